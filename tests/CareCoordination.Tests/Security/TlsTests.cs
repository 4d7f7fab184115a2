using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Tests.Gateway;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Security;

/// <summary>The gRPC endpoint over TLS, configured as the README shows (a certificate file and its password).</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task The_gateway_serves_over_TLS_with_a_configured_certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(Path.GetTempPath(), $"cc-tls-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "test-password"));
        var app = await GatewayFixture.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), new()
        {
            ["Storage:Provider"] = "Memory",
            ["Kestrel:Endpoints:Grpc:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Grpc:Certificate:Path"] = path,
            ["Kestrel:Endpoints:Grpc:Certificate:Password"] = "test-password",
        });
        try
        {
            var address = app.Addresses().Single();
            Assert.StartsWith("https://", address);
            var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    // Trust exactly this certificate, as a platform pinning the region's certificate would.
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
                },
            };
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            var team = await new Api.V1.CareTeams.CareTeamsClient(channel).CreateTeamAsync(new Api.V1.CreateTeamRequest
                { RequestId = TestKeys.Request(), TeamId = TestKeys.New("t"), Region = "r", Name = "T", Organisation = "city" }, GatewayFixture.As("tl-1"));
            Assert.Equal("city", team.Organisation);

            // Plaintext to the TLS port is not served.
            using var plain = GrpcChannel.ForAddress(address.Replace("https://", "http://"));
            await Assert.ThrowsAsync<RpcException>(() => new Health.HealthClient(plain).CheckAsync(new HealthCheckRequest()).ResponseAsync);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            File.Delete(path);
        }
    }
}
