using System.Text;
using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CareCoordination.Tests.Security;

/// <summary>Authentication: every call but health needs a valid bearer token, and a bad one says what is wrong with it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenTests(GatewayFixture gateway)
{
    private static string Sign(byte[] key, string issuer = Authentication.DefaultIssuer, string audience = Authentication.DefaultAudience,
        DateTime? notBefore = null, DateTime? expires = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer, Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = "cm-ana", ["role"] = new[] { Roles.CaseManager }, ["org"] = "city" },
            IssuedAt = notBefore ?? now, NotBefore = notBefore ?? now, Expires = expires ?? now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }

    private static string Unsigned()
    {
        static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return $"{Part("""{"alg":"none","typ":"JWT"}""")}.{Part($$"""{"sub":"cm-ana","role":["case_manager"],"org":"city","iss":"{{Authentication.DefaultIssuer}}","aud":"{{Authentication.DefaultAudience}}","exp":{{exp}}}""")}.";
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "missing", "bearer token is required" },
        { "alg none", "not valid" },
        { "expired", "expired" },
        { "not yet valid", "not valid yet" },
        { "wrong audience", "another audience" },
        { "wrong issuer", "issuer" },
        { "bad signature", "signature" },
        { "garbage", "not valid" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_or_missing_token_is_UNAUTHENTICATED_naming_the_problem(string kind, string said)
    {
        var key = GatewayFixture.SigningKey;
        var now = DateTime.UtcNow;
        string? token = kind switch
        {
            "missing" => null,
            "alg none" => Unsigned(),
            "expired" => Sign(key, notBefore: now.AddHours(-2), expires: now.AddMinutes(-5)),
            "not yet valid" => Sign(key, notBefore: now.AddMinutes(10), expires: now.AddHours(1)),
            "wrong audience" => Sign(key, audience: "someone-else"),
            "wrong issuer" => Sign(key, issuer: "https://evil.example"),
            "bad signature" => Sign(Enumerable.Repeat((byte)9, 32).ToArray()),
            _ => "not.a.token",
        };
        var headers = token is null ? new Metadata() : new Metadata { { "authorization", $"Bearer {token}" } };
        // Through the bare channel: the fixture's invoker would add a good token to a call without one.
        var error = await Assert.ThrowsAsync<RpcException>(() => new Api.V1.Clients.ClientsClient(gateway.Channel)
            .GetClientAsync(new GetClientRequest { ClientId = "c-any" }, headers).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(said, error.Status.Detail);
    }

    [Fact]
    public async Task Health_needs_no_token_and_a_good_token_passes_authentication()
    {
        var health = await new Health.HealthClient(gateway.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // A valid token gets past authentication: what follows is the object's policy (no such client: denied).
        var error = await Assert.ThrowsAsync<RpcException>(() => new Api.V1.Clients.ClientsClient(gateway.Channel)
            .GetClientAsync(new GetClientRequest { ClientId = "c-any" }, GatewayFixture.As("cm-ana")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task Only_a_platform_service_may_act_on_behalf_of_a_worker()
    {
        var headers = GatewayFixture.As("cm-ana");
        headers.Add(Caller.OnBehalfOfHeader, "cm-other");
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients
            .GetClientAsync(new GetClientRequest { ClientId = "c-any" }, headers).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(Caller.OnBehalfOfHeader, error.Status.Detail);
    }
}
