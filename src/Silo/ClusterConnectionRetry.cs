using Microsoft.Extensions.Logging;

namespace CareCoordination.Silo;

/// <summary>
/// A gateway started while its cluster is still forming (or restarting) keeps trying to connect instead of
/// failing its start: Orleans' default gives up after the first refused connection, and the process exits.
/// Waits 0.5 s, doubling to 5 s between attempts, until it connects or the host stops.
/// </summary>
internal sealed class ClusterConnectionRetry(ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(500), Longest = TimeSpan.FromSeconds(5);
    private TimeSpan _next = First;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        logger.LogWarning("Connecting to the cluster failed ({ExceptionType}); retrying in {Delay}",
            exception.GetType().Name, _next);
        try { await Task.Delay(_next, cancellationToken); }
        catch (OperationCanceledException) { return false; }
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Longest.Ticks));
        return true;
    }
}
