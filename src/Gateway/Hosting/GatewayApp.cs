using CareCoordination.Gateway.Alerts;
using CareCoordination.Gateway.CareTeams;
using CareCoordination.Gateway.Clients;
using CareCoordination.Gateway.Common;
using CareCoordination.Gateway.Programs;
using CareCoordination.Gateway.Audit;
using CareCoordination.Gateway.Regions;
using CareCoordination.Gateway.Reports;
using CareCoordination.Gateway.Security;
using CareCoordination.Silo;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CareCoordination.Gateway.Hosting;

/// <summary>How the gateway reaches grains: by co-hosting a silo (one process, the default) or as a client of a cluster.</summary>
public enum OrleansMode
{
    Embedded,
    Client,
}

/// <summary>Builds the gateway: the one place where its services, Orleans and Kestrel are wired.</summary>
public static class GatewayApp
{
    /// <summary>
    /// gRPC's own per-call status lines ("Error status code 'NotFound' with detail ...") are one per refusal at
    /// Information and quote the refusal's detail (ids): expected refusals are logged at Debug, without detail, by
    /// <see cref="ErrorMappingInterceptor"/> instead.
    /// </summary>
    private static readonly Dictionary<string, string?> LogDefaults = new()
    {
        ["Logging:LogLevel:Grpc"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Microsoft.Orleans"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Defaults under every other source, so appsettings, environment and arguments can still change them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LogDefaults });
        configure?.Invoke(builder);
        var config = builder.Configuration;

        var mode = config.GetValue("Orleans:Mode", OrleansMode.Embedded);
        if (mode == OrleansMode.Embedded)
        {
            builder.UseOrleans(silo => silo.UseCareCoordinationClustering(config).AddCareCoordination(config));
        }
        else
        {
            builder.UseOrleansClient(client => client.UseCareCoordinationCluster(config));
        }

        builder.Services.AddOptions<AlertSubscriptionOptions>().Bind(config.GetSection(AlertSubscriptionOptions.Section))
            .Validate(o => o.IsValid(), "Alerts: CatchUpInterval must be positive, ReplayPageSize 1 to 1000 and LiveBuffer at least 1")
            .ValidateOnStart();
        builder.Services.AddSingleton<AlertSubscriptions>();
        builder.Services.AddSingleton<GatewaySecrets>();
        builder.Services.AddSingleton<PageTokens>();
        builder.AddCareCoordinationAuthentication();
        builder.Services.AddSingleton<IAccessPolicy, ClientPolicy>();
        builder.Services.AddSingleton<IAccessPolicy, TeamPolicy>();
        builder.Services.AddSingleton<IAccessPolicy, ProgramPolicy>();
        builder.Services.AddSingleton<IAccessPolicy, RegionPolicy>();
        builder.Services.AddSingleton<IAccessPolicy, AuditPolicy>();
        builder.Services.AddSingleton<AccessPolicies>();
        builder.Services.AddSingleton<TeamSharing>();
        builder.Services.AddSingleton<AuditWriter>();
        builder.Services.AddGrpc(o =>
        {
            // Outermost first: refusals of the authorization step are mapped like any other.
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.Interceptors.Add<AuthorizationInterceptor>();
            o.MaxReceiveMessageSize = 1024 * 1024;
            o.EnableDetailedErrors = false; // exception messages never reach callers
        });
        // Undecodable requests are INVALID_ARGUMENT: our binder replaces Grpc.AspNetCore's default one.
        builder.Services.RemoveAll(typeof(IServiceMethodProvider<>));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>),
            typeof(DecodingServiceMethodProvider<>)));
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks()
            .AddCheck<ClusterHealthCheck>("cluster", tags: [ReadyTag])
            .AddCheck<StorageHealthCheck>("storage", tags: [ReadyTag]);
        builder.Services.AddCareCoordinationTelemetry(config, "care-coordination-gateway",
            config.GetValue<bool>("Telemetry:Tracing") ? t => t.AddAspNetCoreInstrumentation() : null,
            m => m.AddAspNetCoreInstrumentation().AddPrometheusExporter());
        var management = ManagementEndpoint(config);
        if (management is { } endpoint)
            // Probes and Prometheus speak HTTP/1.1, which the gRPC endpoint (h2c, HTTP/2 only) cannot.
            builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint, o => o.Protocols = HttpProtocols.Http1AndHttp2));

        var app = builder.Build();
        if (management is { Port: > 0 } managementPort)
            // Probes and metrics answer on the management port only: by the port a request arrived on, not by its
            // Host header, which a caller chooses.
            app.Use((context, next) =>
                context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics")
                    ? context.Connection.LocalPort == managementPort.Port ? next(context) : NotFound(context)
                    : next(context));
        app.UseAuthentication();
        app.UseAuthorization();
        // Every service needs a valid bearer token; which objects a caller may touch is AuthorizationInterceptor's.
        app.MapGrpcService<ClientsService>().RequireAuthorization();
        app.MapGrpcService<CareTeamsService>().RequireAuthorization();
        app.MapGrpcService<ProgramsService>().RequireAuthorization();
        app.MapGrpcService<AlertsService>().RequireAuthorization();
        app.MapGrpcService<ReportsService>().RequireAuthorization();
        app.MapGrpcService<AuditService>().RequireAuthorization();
        app.MapGrpcHealthChecksService().AllowAnonymous(); // load balancers probe without a token
        app.MapGrpcReflectionService().RequireAuthorization();

        // Liveness depends on nothing but the process; readiness on the cluster and its storage. With the metrics,
        // on the management endpoint only when there is one.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }

    private const string ReadyTag = "ready";

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    /// <summary>"Management:Url" (http://127.0.0.1:5081 by default): health probes and Prometheus; empty for none.</summary>
    private static System.Net.IPEndPoint? ManagementEndpoint(IConfiguration config)
    {
        if (config["Management:Url"] is not { Length: > 0 } url) return null;
        var uri = new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"));
        var address = uri.Host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Parse(uri.Host);
        return new System.Net.IPEndPoint(address, uri.Port);
    }

    /// <summary>The addresses Kestrel actually listens on (port 0 resolved), once started.</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
