using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// Runs a readiness check at most once per <see cref="Freshness"/>: probes that arrive meanwhile, concurrent or
/// repeated, share its answer. grpc.health.v1 answers without a token (load balancers probe it) and runs the checks
/// on every call; without this, anyone who reaches the gRPC port could make the cluster and its storage answer a
/// probe per call. One second keeps readiness as fresh as a probe interval can see. (grpc-dotnet's own
/// UseHealthChecksCache answers from a health-check publisher whose first run comes seconds after start: a fresh
/// gateway would have no answer for its first probes.)
/// </summary>
public sealed class SharedResultCheck<TCheck>(TCheck inner, TimeProvider time) : IHealthCheck
    where TCheck : IHealthCheck
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _startedAt;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> shared;
        lock (_gate)
        {
            // A check still running is joined, however old; a finished one is reused while fresh.
            if (_last is null || (_last.IsCompleted && time.GetElapsedTime(_startedAt) >= Freshness))
            {
                _startedAt = time.GetTimestamp();
                // Not the caller's token: one probe hanging up must not cancel the answer the others wait for (the
                // checks bound their own time).
                _last = inner.CheckHealthAsync(context, CancellationToken.None);
            }
            shared = _last;
        }
        return shared.WaitAsync(cancellationToken);
    }
}
