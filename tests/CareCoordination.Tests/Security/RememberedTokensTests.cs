using CareCoordination.Gateway.Security;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CareCoordination.Tests.Security;

/// <summary>A token validated once is taken again without its signature check, but never past its expiry or a
/// minute, and a refusal is never remembered.</summary>
public sealed class RememberedTokensTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private sealed class CountingHandler : JsonWebTokenHandler
    {
        public int Validations;

        public override Task<TokenValidationResult> ValidateTokenAsync(string token,
            TokenValidationParameters validationParameters)
        {
            Interlocked.Increment(ref Validations);
            return base.ValidateTokenAsync(token, validationParameters);
        }
    }

    private static TokenValidationParameters Parameters(byte[] key) => new()
    {
        ValidIssuer = Authentication.DefaultIssuer,
        ValidAudience = Authentication.DefaultAudience,
        IssuerSigningKey = new SymmetricSecurityKey(key),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = "sub",
    };

    private static string Token(string subject, TimeSpan lifetime) =>
        Authentication.Mint(Key, subject, ["case_manager"], "city", null, lifetime);

    [Fact]
    public async Task The_same_token_is_validated_once_and_each_call_gets_its_own_identity()
    {
        var inner = new CountingHandler { MapInboundClaims = false };
        var tokens = new RememberedTokens(inner, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var token = Token("cm-ana", TimeSpan.FromHours(1));

        var first = await tokens.ValidateTokenAsync(token, Parameters(Key));
        var second = await tokens.ValidateTokenAsync(token, Parameters(Key));
        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, inner.Validations);
        Assert.Equal("cm-ana", second.ClaimsIdentity.Name);
        Assert.Equal("city", second.ClaimsIdentity.FindFirst("org")?.Value);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);

        // Another person's token is validated on its own.
        var other = await tokens.ValidateTokenAsync(Token("cm-ben", TimeSpan.FromHours(1)), Parameters(Key));
        Assert.Equal("cm-ben", other.ClaimsIdentity.Name);
        Assert.Equal(2, inner.Validations);
    }

    [Fact]
    public async Task A_refused_token_is_refused_every_time_with_its_reason()
    {
        var inner = new CountingHandler { MapInboundClaims = false };
        var tokens = new RememberedTokens(inner, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var token = Token("cm-ana", TimeSpan.FromHours(1));
        var otherKey = Parameters(Enumerable.Repeat((byte)7, 32).ToArray());

        for (var i = 0; i < 3; i++)
        {
            var refused = await tokens.ValidateTokenAsync(token, otherKey);
            Assert.False(refused.IsValid);
            Assert.IsAssignableFrom<SecurityTokenSignatureKeyNotFoundException>(refused.Exception);
        }
        Assert.Equal(3, inner.Validations);
    }

    [Fact]
    public async Task A_remembered_token_is_validated_again_after_a_minute_and_once_its_expiry_has_passed()
    {
        var inner = new CountingHandler { MapInboundClaims = false };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new RememberedTokens(inner, time);
        var token = Token("cm-ana", TimeSpan.FromHours(1));
        await tokens.ValidateTokenAsync(token, Parameters(Key));

        time.Advance(RememberedTokens.Lifetime - TimeSpan.FromSeconds(1));
        await tokens.ValidateTokenAsync(token, Parameters(Key));
        Assert.Equal(1, inner.Validations);
        time.Advance(TimeSpan.FromSeconds(1));
        await tokens.ValidateTokenAsync(token, Parameters(Key));
        Assert.Equal(2, inner.Validations); // a key withdrawn meanwhile would have refused it here

        // A token about to expire: remembered until its expiry and the skew, then checked again (and refused by
        // the full validation, whose clock is the real one, once it really has expired).
        inner.Validations = 0;
        time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        tokens = new RememberedTokens(inner, time);
        var shortLived = Token("cm-ben", TimeSpan.FromSeconds(5));
        await tokens.ValidateTokenAsync(shortLived, Parameters(Key));
        time.Advance(TimeSpan.FromSeconds(20));
        await tokens.ValidateTokenAsync(shortLived, Parameters(Key));
        Assert.Equal(1, inner.Validations);
        time.Advance(TimeSpan.FromSeconds(20)); // 40 s: past its expiry (5 s) and the skew (30 s)
        await tokens.ValidateTokenAsync(shortLived, Parameters(Key));
        Assert.Equal(2, inner.Validations);
    }
}
