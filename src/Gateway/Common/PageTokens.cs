using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CareCoordination.Gateway.Hosting;

namespace CareCoordination.Gateway.Common;

/// <summary>
/// Page tokens: opaque, unforgeable and bound to the list they page. The position is sealed with AES-GCM under the
/// gateway's page-token key, with the query (e.g. "caseload:team-1") as associated data, so a token that was never
/// handed out, was altered, or belongs to another list is refused as INVALID_ARGUMENT, and a position (a client id)
/// is not readable in it. Every gateway of a cluster needs the same key (<see cref="GatewaySecrets"/>).
/// </summary>
public sealed class PageTokens(GatewaySecrets secrets)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key = secrets.PageTokenKey;

    public string Issue(string query, string position)
    {
        var plain = Encoding.UTF8.GetBytes(position);
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize),
            Encoding.UTF8.GetBytes(query));
        return Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>The position a token stands for, or null for no token (the first page).</summary>
    public string? Read(string token, string query, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token)) return null;
        var refused = Validate.Invalid(field,
            $"{field} is not one this service handed out for this list; start again without it");
        if (token.Length > 512) throw refused;
        byte[] sealedBytes;
        try { sealedBytes = Base64Url.DecodeFromChars(token); }
        catch (FormatException) { throw refused; }
        if (sealedBytes.Length < NonceSize + TagSize) throw refused;
        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize),
                sealedBytes.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(query));
        }
        catch (AuthenticationTagMismatchException) { throw refused; }
        return Encoding.UTF8.GetString(plain);
    }
}
