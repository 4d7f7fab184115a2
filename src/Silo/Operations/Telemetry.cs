using CareCoordination.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// OpenTelemetry for every process (silo and gateway): the service's own source and meter, Orleans' and .NET's.
/// Export is configured by the standard variables — OTEL_EXPORTER_OTLP_ENDPOINT (OTLP, traces and metrics),
/// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES. "Telemetry:Console=true" writes spans to standard output instead,
/// to look at traces where no collector runs; "Telemetry:Tracing=true" records spans for an exporter added in code
/// (the tests' in-memory one). Without an exporter nothing is exported and no span is recorded;
/// the meters stay in process (each process's Prometheus endpoint reads them).
/// </summary>
public static class Telemetry
{
    /// <summary>Orleans' sources: grain calls (with activity propagation on), and the application's spans.</summary>
    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <param name="tracing">More instrumentation for this process's spans (the gateway's ASP.NET Core), when
    /// spans are recorded.</param>
    /// <param name="metrics">More meters for this process.</param>
    public static IServiceCollection AddCareCoordinationTelemetry(this IServiceCollection services,
        IConfiguration configuration, string serviceName, Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = configuration.GetValue<bool>("Telemetry:Console");
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r =>
            {
                // OTEL_SERVICE_NAME, read by the SDK itself, wins over the default name.
                if (string.IsNullOrEmpty(configuration["OTEL_SERVICE_NAME"])) r.AddService(serviceName);
            })
            .WithMetrics(m =>
            {
                m.AddMeter(CareTelemetry.Name, "Microsoft.Orleans").AddRuntimeInstrumentation().AddPrometheusExporter();
                metrics?.Invoke(m);
                if (otlp) m.AddOtlpExporter();
            });
        if (otlp || console || configuration.GetValue<bool>("Telemetry:Tracing"))
            builder.WithTracing(t =>
            {
                t.AddSource(CareTelemetry.Name).AddSource(OrleansSources).AddProcessor(new PrivacyProcessor());
                tracing?.Invoke(t);
                if (otlp) t.AddOtlpExporter();
                if (console) t.AddConsoleExporter();
            });
        return services;
    }
}

/// <summary>
/// Keeps ids of people out of exported spans. Orleans tags its grain-call spans with grain ids (a client grain's id
/// is a person's) and failed calls with exception messages (which quote ids): of Orleans' spans only the call's
/// system, service and method stay; of every span, exception messages and stack traces go.
/// </summary>
internal sealed class PrivacyProcessor : BaseProcessor<System.Diagnostics.Activity>
{
    private static readonly HashSet<string> OrleansKept =
        new(StringComparer.Ordinal) { "rpc.system", "rpc.service", "rpc.method" };
    private static readonly string[] NeverKept = ["exception.message", "exception.stacktrace"];

    public override void OnEnd(System.Diagnostics.Activity activity)
    {
        var orleans = activity.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal);
        foreach (var tag in activity.TagObjects.ToList())
            if ((orleans && !OrleansKept.Contains(tag.Key)) || NeverKept.Contains(tag.Key))
                activity.SetTag(tag.Key, null);
    }
}
