using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Gateway;

/// <summary>The gateway as an Orleans client of a separate silo.</summary>
public sealed class ClientModeTests
{
    [Fact]
    public async Task A_gateway_started_before_its_silo_waits_for_it_and_then_serves()
    {
        var siloGatewayPort = TestPorts.Free();
        var gateway = GatewayApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:Mode"] = "Client",
                ["Orleans:GatewayPort"] = siloGatewayPort.ToString(),
                ["Storage:Provider"] = "Memory",
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["Auth:SigningKey"] = Convert.ToBase64String(GatewayFixture.SigningKey),
                ["Management:Url"] = "",
            });
            b.Logging.SetMinimumLevel(LogLevel.Error);
        });
        WebApplication? silo = null;
        try
        {
            var starting = gateway.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(starting.IsCompleted, "the gateway keeps waiting for a cluster instead of failing its start");

            silo = await GatewayFixture.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), new()
            {
                ["Storage:Provider"] = "Memory",
                ["Orleans:GatewayPort"] = siloGatewayPort.ToString(),
            });
            await starting.WaitAsync(TimeSpan.FromSeconds(30));

            using var channel = GrpcChannel.ForAddress(gateway.Addresses().Single());
            var id = TestKeys.New("c");
            await new Api.V1.Clients.ClientsClient(channel).RegisterClientAsync(
                new RegisterClientRequest { RequestId = $"{id}-register", ClientId = id, Region = "r" }, GatewayFixture.As("cm-1"));
            var client = await new Api.V1.Clients.ClientsClient(channel).GetClientAsync(new GetClientRequest { ClientId = id }, GatewayFixture.As("cm-1"));
            Assert.Equal(id, client.ClientId);
        }
        finally
        {
            await gateway.StopAsync();
            await gateway.DisposeAsync();
            if (silo is not null)
            {
                await silo.StopAsync();
                await silo.DisposeAsync();
            }
        }
    }
}
