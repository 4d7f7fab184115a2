using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;

namespace CareCoordination.Tests.Security;

/// <summary>The development token command: what it is asked for, or a refusal saying why; never a silent default.</summary>
public sealed class TokenCommandTests
{
    private static int Run(params string[] more) => TokenCommand.Run(
        ["token", "--sub", "cm-1", "--role", "case_manager", "--org", "city",
         $"--Auth:SigningKey={Convert.ToBase64String(GatewayFixture.SigningKey)}", .. more]);

    [Theory]
    [InlineData("--hours", "2")]
    [InlineData("--hours", "24")]
    [InlineData("--region", "north")]
    public void Mints_a_token_as_asked(string option, string value) => Assert.Equal(0, Run(option, value));

    [Theory]
    [InlineData("--hours", "0")]
    [InlineData("--hours", "99")]
    [InlineData("--hours", "eight")]
    [InlineData("--region", "north\n")]
    [InlineData("--region", "Región Norte")]
    public void Refuses_an_option_it_cannot_honour_instead_of_changing_it(string option, string value) =>
        Assert.Equal(2, Run(option, value));
}
