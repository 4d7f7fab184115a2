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
using CareCoordination.Silo.Operations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CareCoordination.Gateway.Hosting;

/// <summary>How the gateway reaches grains: by co-hosting a silo (one process, the default) or as a client of a
/// cluster.</summary>
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
        builder.Logging.AddPrivateConsole();
        configure?.Invoke(builder);
        var config = builder.Configuration;

        var mode = config.GetValue("Orleans:Mode", OrleansMode.Embedded);
        if (mode == OrleansMode.Embedded)
        {
            builder.UseOrleans(silo =>
            {
                silo.UseCareCoordinationClustering(config).AddCareCoordination(config);
                if (Dashboard.Enabled(config, builder.Environment)) silo.AddCareCoordinationDashboard();
            });
        }
        else
        {
            builder.UseOrleansClient(client =>
            {
                client.UseCareCoordinationCluster(config);
                if (Dashboard.Enabled(config, builder.Environment)) client.AddCareCoordinationDashboard();
            });
        }

        builder.Services.AddOptions<AlertSubscriptionOptions>()
            .Bind(config.GetSection(AlertSubscriptionOptions.Section))
            .Validate(o => o.IsValid(),
                "Alerts: CatchUpInterval must be positive, ReplayPageSize 1 to 1000 and LiveBuffer at least 1")
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
        // Singletons (all are stateless): otherwise gRPC builds each interceptor and service by reflection for every
        // call.
        builder.Services.AddSingleton<ErrorMappingInterceptor>();
        builder.Services.AddSingleton<AuthorizationInterceptor>();
        builder.Services.AddSingleton<ClientsService>();
        builder.Services.AddSingleton<CareTeamsService>();
        builder.Services.AddSingleton<ProgramsService>();
        builder.Services.AddSingleton<AlertsService>();
        builder.Services.AddSingleton<ReportsService>();
        builder.Services.AddSingleton<AuditService>();
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
        // grpc.health.v1 runs the shared readiness checks only; the management port runs the plain ones.
        builder.Services.AddGrpcHealthChecks(o =>
            {
                o.Services.Clear();
                o.Services.Map("", check => check.Tags.Contains(Management.PublicTag));
            })
            .AddReadinessChecks().AddPublicReadinessChecks();
        builder.Services.AddCareCoordinationTelemetry(config, "care-coordination-gateway",
            t => t.AddAspNetCoreInstrumentation(), m => m.AddAspNetCoreInstrumentation());
        var management = Management.Endpoint(config["Management:Url"]);
        if (management is not null) builder.WebHost.ListenAlsoOn(management);
        var dashboard = Dashboard.Enabled(config, builder.Environment) ? OrleansDashboard.Endpoint(config) : null;
        if (dashboard is not null) builder.WebHost.ListenAlsoOn(dashboard);

        var app = builder.Build();
        app.UsePortZones((management?.Port ?? 0, Management.Paths), (dashboard?.Port ?? 0, [OrleansDashboard.Path]));
        app.UseAuthentication();
        app.UseAuthorization();
        // Badly framed gRPC requests are INVALID_ARGUMENT, not INTERNAL or UNKNOWN (authenticated callers only).
        app.UseMiddleware<RequestFraming>();
        // Every service needs a valid bearer token; which objects a caller may touch is AuthorizationInterceptor's.
        app.MapGrpcService<ClientsService>().RequireAuthorization();
        app.MapGrpcService<CareTeamsService>().RequireAuthorization();
        app.MapGrpcService<ProgramsService>().RequireAuthorization();
        app.MapGrpcService<AlertsService>().RequireAuthorization();
        app.MapGrpcService<ReportsService>().RequireAuthorization();
        app.MapGrpcService<AuditService>().RequireAuthorization();
        app.MapGrpcHealthChecksService().AllowAnonymous(); // load balancers probe without a token
        app.MapGrpcReflectionService().RequireAuthorization();

        app.MapManagement();
        if (dashboard is not null) app.MapCareCoordinationDashboard();
        return app;
    }

    /// <summary>The addresses Kestrel actually listens on (port 0 resolved), once started.</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
