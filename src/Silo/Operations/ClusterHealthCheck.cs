using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// grpc.health.v1 answers SERVING only while this gateway reaches the cluster and at least one silo is active:
/// a load balancer then stops sending calls to a gateway cut off from its silos.
/// </summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)
                .WaitAsync(Budget, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("no active silo");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"cluster not reachable ({ex.GetType().Name})");
        }
    }
}
