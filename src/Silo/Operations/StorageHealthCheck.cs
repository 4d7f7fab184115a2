using CareCoordination.Common;
using CareCoordination.Alerts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// Readiness needs the storage behind the cluster: a read of a probe feed goes through a silo to the alert store
/// (SQLite, PostgreSQL). While it fails the gateway is not ready, though it stays live.
/// </summary>
public sealed class StorageHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private const string ProbeFeed = "probe:readiness";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.Ref<IAlertFeedGrain>(ProbeFeed).ReadAsync(0, 1, cancellationToken)
                .WaitAsync(Budget, cancellationToken);
            return HealthCheckResult.Healthy("storage answers");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"storage not reachable ({ex.GetType().Name})");
        }
    }
}
