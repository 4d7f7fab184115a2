using Microsoft.Extensions.Hosting;

namespace CareCoordination.Silo;

/// <summary>A silo on its own, for running the gateway as a separate Orleans client.</summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.UseOrleans(silo => silo.UseLocalNode(builder.Configuration).AddCareCoordination(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"Care coordination silo started (silo port {builder.Configuration["Orleans:SiloPort"] ?? "11111"}, " +
                          $"gateway port {builder.Configuration["Orleans:GatewayPort"] ?? "30000"}). Ctrl+C stops it.");
        await host.WaitForShutdownAsync();
    }
}
