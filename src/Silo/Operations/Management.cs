using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// The management endpoint every process has (gateway and silo): liveness, readiness and the Prometheus scrape, on
/// a port of its own, in HTTP/1.1 (probes and Prometheus do not speak h2c, which the gRPC endpoint is limited to).
/// </summary>
public static class Management
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";
    private const string ReadyTag = "ready";

    /// <summary>
    /// Readiness: the cluster has an active silo and its storage answers. Liveness depends on nothing but the process,
    /// so an orchestrator restarts a process that hangs, never one that waits for its database.
    /// </summary>
    public static IHealthChecksBuilder AddReadinessChecks(this IHealthChecksBuilder checks) =>
        checks.AddCheck<ClusterHealthCheck>("cluster", tags: [ReadyTag])
            .AddCheck<StorageHealthCheck>("storage", tags: [ReadyTag]);

    /// <summary>Marks the readiness checks grpc.health.v1 runs (<see cref="AddPublicReadinessChecks"/>).</summary>
    public const string PublicTag = "public";

    /// <summary>
    /// The same readiness for grpc.health.v1, which answers anyone who reaches the gRPC port (load balancers probe it
    /// without a token): probes share one run a second (<see cref="SharedResultCheck{T}"/>), so they cannot make the
    /// cluster and its storage answer a probe per call. The management port, not public, keeps checking on every
    /// probe.
    /// </summary>
    public static IHealthChecksBuilder AddPublicReadinessChecks(this IHealthChecksBuilder checks) =>
        checks.AddShared<ClusterHealthCheck>("cluster, shared").AddShared<StorageHealthCheck>("storage, shared");

    private static IHealthChecksBuilder AddShared<TCheck>(this IHealthChecksBuilder checks, string name)
        where TCheck : class, IHealthCheck
    {
        checks.Services.TryAddSingleton<TCheck>();
        // The wall clock, not a TimeProvider the host may simulate care time with: freshness is real time.
        checks.Services.AddSingleton(sp => new SharedResultCheck<TCheck>(sp.GetRequiredService<TCheck>(),
            TimeProvider.System));
        return checks.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<SharedResultCheck<TCheck>>(),
            failureStatus: null, tags: [PublicTag]));
    }

    /// <summary>An endpoint from a URL ("http://127.0.0.1:5081", "http://*:5081"); null when the setting is
    /// empty.</summary>
    public static IPEndPoint? Endpoint(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        var uri = new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"));
        var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host);
        return new IPEndPoint(address, uri.Port);
    }

    /// <summary>
    /// Kestrel also listens on <paramref name="endpoint"/>, in HTTP/1.1: what probes, scrapers and browsers speak.
    /// Without TLS, "HTTP/1.1 and HTTP/2" is HTTP/1.1 anyway (h2c needs prior knowledge), and Kestrel warned so at
    /// every start of every process, a warning an operator could only read as a misconfiguration.
    /// </summary>
    public static void ListenAlsoOn(this IWebHostBuilder host, IPEndPoint endpoint) =>
        host.ConfigureKestrel(k => k.Listen(endpoint, o => o.Protocols = HttpProtocols.Http1));

    /// <summary>Probes and metrics, answered on the management port only (see <see cref="UsePortZones"/>).</summary>
    public static void MapManagement(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) })
            .AllowAnonymous();
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
    }

    /// <summary>The paths the management port serves, for <see cref="UsePortZones"/>.</summary>
    public static readonly string[] Paths = ["/health", MetricsPath];

    /// <summary>
    /// Each zone's paths answer on its port only, and its port answers nothing else: decided by the port a request
    /// arrived on, not by its Host header, which a caller chooses. Zones with port 0 (not fixed) are skipped.
    /// </summary>
    public static void UsePortZones(this WebApplication app, params (int Port, string[] Paths)[] zones)
    {
        var fixedZones = zones.Where(z => z.Port > 0).ToArray();
        if (fixedZones.Length == 0) return;
        app.Use((context, next) =>
        {
            foreach (var (port, paths) in fixedZones)
            {
                var onPort = context.Connection.LocalPort == port;
                var inZone = paths.Any(p => context.Request.Path.StartsWithSegments(p));
                if (onPort != inZone)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
            }
            return next(context);
        });
    }
}
