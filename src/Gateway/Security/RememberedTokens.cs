using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CareCoordination.Gateway.Security;

/// <summary>
/// Remembers, for a minute, the bearer tokens that passed validation, so a platform that sends the same token on every
/// call pays for the signature check and the claims once, not per call (it was the largest single cost of a read).
/// What is remembered is only what a full validation would answer again: an entry is used while the token's own
/// expiry (with the usual clock skew) is ahead, and for <see cref="Lifetime"/> at most, so a signing key withdrawn
/// from the identity provider stops its tokens within a minute. Refusals are never remembered: each says again what
/// is wrong with its token. Keyed by the whole token (an exact match: nothing that merely resembles a remembered token
/// passes unchecked), and bounded; the validated token it keeps is the one the call's principal carries anyway.
/// IdentityModel has no cache of validation results of its own (its replay cache is the opposite: it refuses a token
/// seen before), hence this small wrapper.
/// </summary>
public sealed class RememberedTokens(TokenHandler inner, TimeProvider time) : TokenHandler
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private const int Capacity = 10_000;
    private readonly ConcurrentDictionary<string, Entry> _valid = new();

    private sealed record Entry(TokenValidationResult Result, DateTime ValidTo, long RememberedAt);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token,
        TokenValidationParameters validationParameters)
    {
        if (_valid.TryGetValue(token, out var entry))
        {
            if (time.GetElapsedTime(entry.RememberedAt) < Lifetime
                && time.GetUtcNow().UtcDateTime < entry.ValidTo + validationParameters.ClockSkew)
                return Copy(entry.Result);
            _valid.TryRemove(token, out _);
        }
        var result = await inner.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is { } validated)
        {
            if (_valid.Count >= Capacity) _valid.Clear(); // a burst of one-off tokens: start again
            _valid[token] = new Entry(result, validated.ValidTo, time.GetTimestamp());
        }
        return result;
    }

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    /// <summary>Each call gets an identity of its own: nothing one request does to its principal reaches
    /// another.</summary>
    private static TokenValidationResult Copy(TokenValidationResult remembered) => new()
    {
        IsValid = true,
        ClaimsIdentity = remembered.ClaimsIdentity.Clone(),
        SecurityToken = remembered.SecurityToken,
        Issuer = remembered.Issuer,
        TokenType = remembered.TokenType,
    };
}
