using CareCoordination.Silo.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CareCoordination.Silo;

/// <summary>A silo on its own (the gateway then runs as an Orleans client); "migrate" applies the PostgreSQL schema and exits.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args.Where(a => a != "migrate").ToArray());
        if (args.Contains("migrate"))
        {
            var storage = builder.Configuration.Storage();
            var applied = await PostgresSchema.MigrateAsync(storage.PostgresConnectionString);
            Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
            return 0;
        }

        // No appsettings.json here (it would be copied over the gateway's, which references this project): defaults in code.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft.Orleans", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddCareCoordinationTelemetry(builder.Configuration, "care-coordination-silo");
        builder.UseOrleans(silo => silo.UseCareCoordinationClustering(builder.Configuration).AddCareCoordination(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"Care coordination silo started: storage {builder.Configuration.Storage().Provider}, " +
                          $"silo port {builder.Configuration["Orleans:SiloPort"] ?? "11111"}, gateway port {builder.Configuration["Orleans:GatewayPort"] ?? "30000"}. Ctrl+C stops it.");
        await host.WaitForShutdownAsync();
        return 0;
    }
}
