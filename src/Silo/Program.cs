using CareCoordination.Silo.Operations;
using CareCoordination.Silo.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CareCoordination.Silo;

/// <summary>
/// A silo on its own (the gateway then runs as an Orleans client), with its management endpoint
/// ("Management:SiloUrl", default http://127.0.0.1:5085: health probes and Prometheus metrics);
/// "migrate" applies the PostgreSQL schema and exits.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args.Where(a => a != "migrate").ToArray());
        if (args.Contains("migrate"))
        {
            var storage = builder.Configuration.Storage();
            var applied = await PostgresSchema.MigrateAsync(storage.PostgresConnectionString);
            Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
            return 0;
        }

        // No appsettings.json of its own (it would be copied over the gateway's, which references this project):
        // defaults in code. Run from the gateway's folder it reads the gateway's file, whose Kestrel endpoints are the
        // gateway's: the silo listens on its management endpoint only.
        var config = builder.Configuration;
        builder.Logging.AddPrivateConsole()
            .AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft.Orleans", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Warning).AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var management = Management.Endpoint(config["Management:SiloUrl"] ?? "http://127.0.0.1:5085")
            ?? throw new InvalidOperationException(
                "Management:SiloUrl is empty: a silo needs its health endpoint (e.g. http://0.0.0.0:5085)");
        builder.WebHost.ConfigureKestrel(k => k.Configure(new ConfigurationBuilder().Build()));
        builder.WebHost.ListenAlsoOn(management);
        builder.Services.AddHealthChecks().AddReadinessChecks();
        builder.Services.AddCareCoordinationTelemetry(config, "care-coordination-silo");
        builder.UseOrleans(silo =>
        {
            silo.UseCareCoordinationClustering(config).AddCareCoordination(config);
            if (Dashboard.Enabled(config, builder.Environment)) silo.AddCareCoordinationDashboard();
        });
        var app = builder.Build();
        app.MapManagement();
        await app.StartAsync();
        Console.WriteLine($"Care coordination silo started: storage {config.Storage().Provider}, " +
                          $"silo port {config["Orleans:SiloPort"] ?? "11111"}, " +
                          $"gateway port {config["Orleans:GatewayPort"] ?? "30000"}, " +
                          $"health and metrics on http://{management}. Ctrl+C stops it.");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
