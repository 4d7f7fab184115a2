using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// The Orleans dashboard (Microsoft.Orleans.Dashboard): grain types, calls, latencies and silos, live. Its grains run
/// on every silo while "Dashboard:Enabled" (default: on in Development only, since it profiles every grain call);
/// the gateway serves its pages, behind authentication, on a port of its own.
/// </summary>
public static class Dashboard
{
    public static bool Enabled(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool?>("Dashboard:Enabled") ?? environment.IsDevelopment();

    public static ISiloBuilder AddCareCoordinationDashboard(this ISiloBuilder silo) => silo.AddDashboard(Configure);

    public static IClientBuilder AddCareCoordinationDashboard(this IClientBuilder client) =>
        client.AddDashboard(Configure);

    // The live log view streams every log line of every silo to a browser: logs carry no personal data, but they are
    // not the dashboard's to publish; operators read them where the logs are kept.
    private static void Configure(DashboardOptions options) => options.HideTrace = true;
}
