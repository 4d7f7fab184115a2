using System.Security.Cryptography;
using CareCoordination.Silo;
using CareCoordination.Silo.Storage;

namespace CareCoordination.Gateway.Hosting;

/// <summary>
/// Keys the gateway holds itself. Each comes from configuration (base64, 32 bytes); without one, the embedded
/// mode makes it once and keeps it beside its database (readable by the service's user only), so a restart keeps
/// handing out and accepting the same tokens. A gateway of a cluster must be given its keys: every gateway needs
/// the same ones, or a page token from one is refused by another.
/// </summary>
public sealed class GatewaySecrets
{
    public const string PageTokenKeySetting = "Secrets:PageTokenKey";
    public const string SigningKeySetting = "Auth:SigningKey";
    public const string SigningKeyFile = "token-signing.key";

    public GatewaySecrets(IConfiguration configuration, ILogger<GatewaySecrets> logger)
    {
        PageTokenKey = Key(configuration, logger, PageTokenKeySetting, "page-token.key");
    }

    public byte[] PageTokenKey { get; }

    /// <summary>
    /// The key that signs and checks bearer tokens when no identity provider is configured: "Auth:SigningKey", or
    /// the development key made on first start beside the embedded database (the token command signs with the same).
    /// </summary>
    public static byte[] SigningKey(IConfiguration configuration, ILogger logger)
    {
        if (configuration[SigningKeySetting] is not { Length: > 0 })
            logger.LogWarning("Bearer tokens are checked with the local development key ({File} beside the " +
                              "database): for a real region set Auth:Authority (its identity provider) or " +
                              "Auth:SigningKey", SigningKeyFile);
        return Key(configuration, logger, SigningKeySetting, SigningKeyFile);
    }

    private static byte[] Key(IConfiguration configuration, ILogger logger, string setting,
        string fileName)
    {
        if (configuration[setting] is { Length: > 0 } configured)
        {
            var key = new byte[64];
            return Convert.TryFromBase64String(configured, key, out var n) && n == 32
                ? key[..32]
                : throw new InvalidOperationException(
                    $"{setting} must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)");
        }
        var storage = configuration.Storage();
        if (storage.Provider == StorageProvider.Sqlite)
        {
            // Resolved as the database resolves its path.
            var folder = Path.GetDirectoryName(Path.GetFullPath(storage.SqlitePath))!;
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, fileName);
            if (!File.Exists(path))
            {
                var fresh = RandomNumberGenerator.GetBytes(32);
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096,
                           FileOptions.WriteThrough))
                {
                    if (!OperatingSystem.IsWindows())
                        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    file.Write(fresh);
                }
            }
            return File.ReadAllBytes(path) is { Length: 32 } stored
                ? stored
                : throw new InvalidOperationException($"{path} is not a 32-byte key; delete it to make a new one");
        }
        if (storage.Provider != StorageProvider.Memory)
            logger.LogWarning("{Setting} is not set: this gateway uses a key of its own, so what it signs with it " +
                              "is refused by other gateways and after a restart", setting);
        return RandomNumberGenerator.GetBytes(32);
    }
}
