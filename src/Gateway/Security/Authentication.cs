using System.Text;
using CareCoordination.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CareCoordination.Gateway.Security;

/// <summary>
/// Bearer tokens (JWT) on every gRPC call but health. Production takes the region's identity provider by
/// configuration: "Auth:Authority" (OpenID Connect discovery) or "Auth:MetadataAddress"; otherwise tokens are checked
/// with a shared key, "Auth:SigningKey", or, for local use, the development key the embedded mode makes on first
/// start (<c>dotnet run --project src/Gateway -- token ...</c> mints tokens with it). Issuer, audience, lifetime and
/// signature are always checked; unsigned tokens ("alg": "none") never pass.
/// </summary>
public static class Authentication
{
    public const string DefaultIssuer = "care-coordination-local";
    public const string DefaultAudience = "care-coordination";

    public static string Issuer(IConfiguration configuration) =>
        configuration["Auth:Issuer"] is { Length: > 0 } i ? i : DefaultIssuer;

    public static string Audience(IConfiguration configuration) =>
        configuration["Auth:Audience"] is { Length: > 0 } a ? a : DefaultAudience;

    public static void AddCareCoordinationAuthentication(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false; // keep "sub", "role", "org", "region" as issued
            options.TokenHandlers.Clear();
            options.TokenHandlers.Add(new RememberedTokens(new JsonWebTokenHandler { MapInboundClaims = false },
                TimeProvider.System));
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer(configuration),
                ValidAudience = Audience(configuration),
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "sub",
                RoleClaimType = "role",
            };
            if (configuration["Auth:Authority"] is { Length: > 0 } authority)
            {
                options.Authority = authority;
                options.MetadataAddress = configuration["Auth:MetadataAddress"] ?? options.MetadataAddress;
            }
            else if (configuration["Auth:MetadataAddress"] is { Length: > 0 } metadata)
            {
                options.MetadataAddress = metadata;
            }
            options.Events = new JwtBearerEvents
            {
                OnChallenge = ChallengeAsync,
                OnMessageReceived = context =>
                {
                    context.Token ??= OrleansDashboard.Token(context.Request);
                    return Task.CompletedTask;
                },
            };
        });
        if (configuration["Auth:Authority"] is not { Length: > 0 }
            && configuration["Auth:MetadataAddress"] is not { Length: > 0 })
            // A shared key: configured, or the local development key (made when the options are first needed).
            builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<ILogger<GatewaySecrets>>((options, logger) =>
                {
                    options.TokenValidationParameters.IssuerSigningKey =
                        new SymmetricSecurityKey(GatewaySecrets.SigningKey(configuration, logger));
                    options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                });
    }

    /// <summary>
    /// A refused token answers as gRPC does: UNAUTHENTICATED, with a message that says what is wrong with the token,
    /// instead of a bare HTTP 401. Other requests (the dashboard's) get the 401 with the same message as text.
    /// </summary>
    private static Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.Headers.WWWAuthenticate = "Bearer";
            return response.WriteAsync(Reason(context.AuthenticateFailure) + ".");
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = "16";
        response.Headers["grpc-message"] = Uri.EscapeDataString(Reason(context.AuthenticateFailure));
        return Task.CompletedTask;
    }

    private static string Reason(Exception? failure) => failure switch
    {
        null => "a bearer token is required: send the header authorization: Bearer <token>",
        SecurityTokenExpiredException => "the bearer token has expired: get a new one",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet (nbf is in the future)",
        SecurityTokenInvalidAudienceException => "the bearer token was issued for another audience",
        SecurityTokenInvalidIssuerException => "the bearer token was issued by an issuer this service does not trust",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException =>
            "the bearer token's signature is not valid",
        SecurityTokenInvalidAlgorithmException => "the bearer token is not signed with an accepted algorithm",
        SecurityTokenNoExpirationException => "the bearer token has no expiry (exp)",
        _ => "the bearer token is not valid",
    };

    /// <summary>Mints a token signed with a shared key: for local use, tests and the demo, never for production
    /// identities.</summary>
    public static string Mint(byte[] key, string subject, IEnumerable<string> roles, string organisation,
        string? region, TimeSpan lifetime, string issuer = DefaultIssuer, string audience = DefaultAudience,
        DateTime? notBefore = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
            { ["sub"] = subject, ["role"] = roles.ToArray(), ["org"] = organisation };
        if (region is not null) claims["region"] = region;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = notBefore ?? now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }
}
