using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace CareCoordination.Silo;

/// <summary>
/// The one place a silo is configured: used by the Silo program, by the gateway's embedded mode and by tests.
/// </summary>
public static class SiloHosting
{
    /// <summary>Grain state, alert feeds, stream pub-sub and reminders.</summary>
    public const string StateStorage = "state";
    public const string AlertStorage = "alerts";

    public static ISiloBuilder AddCareCoordination(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.Configure<CareGapOptions>(configuration.GetSection(CareGapOptions.Section));
        silo.Services.TryAddSingleton(CareClock.System);

        silo.AddMemoryGrainStorage(StateStorage);
        silo.AddMemoryGrainStorage(AlertStorage);
        silo.AddMemoryGrainStorage("PubSubStore");
        silo.UseInMemoryReminderService();
        silo.AddMemoryStreams(AlertFeeds.StreamProvider);
        return silo;
    }

    /// <summary>A single local silo on loopback: the embedded default, and the separate Silo process for development.</summary>
    public static ISiloBuilder UseLocalNode(this ISiloBuilder silo, IConfiguration configuration)
    {
        var siloPort = configuration.GetValue("Orleans:SiloPort", 11111);
        var gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = configuration["Orleans:ClusterId"] ?? "care-coordination";
            o.ServiceId = configuration["Orleans:ServiceId"] ?? "care-coordination";
        });
        return silo.UseLocalhostClustering(siloPort, gatewayPort);
    }
}
