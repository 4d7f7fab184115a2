using System.Collections.Concurrent;
using CareCoordination.Alerts;
using CareCoordination.Gateway.CareTeams;
using CareCoordination.Gateway.Security;
using Google.Protobuf;
using Grpc.Core;

namespace CareCoordination.Gateway.Alerts;

/// <summary>
/// Keeps a live subscription within what its caller may see, while it runs: its access to each feed is checked
/// again every <see cref="Recheck"/> (a worker removed from a team stops receiving that team's alerts), the stream
/// ends when the caller's token expires, and on a team's feed a member from another organisation receives alerts
/// about a person only while that person consents to sharing across organisations (checked per alert).
/// </summary>
public sealed class SubscriptionGuard(Caller caller, IReadOnlyCollection<string> feeds, IMessage request,
    AccessPolicies policies, TeamSharing sharing)
{
    public static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(400);
    private readonly ConcurrentDictionary<string, TeamSharing.Visible> _teamSharing = new(StringComparer.Ordinal);

    /// <summary>Why the subscription was ended, once it was.</summary>
    public Status? Ended { get; private set; }

    /// <summary>
    /// Checks once now (before anything is delivered), then every <see cref="Recheck"/> until
    /// <paramref name="stop"/> is cancelled; cancels it, and says why, when access ends.
    /// </summary>
    public async Task<Task> StartAsync(CancellationTokenSource stop)
    {
        // AuthorizationInterceptor has just decided every feed: this first pass only learns each team's sharing rule.
        await CheckAsync(stop, decide: false);
        return WatchAsync(stop);
    }

    private async Task WatchAsync(CancellationTokenSource stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var left = caller.ExpiresAt - DateTimeOffset.UtcNow;
                await Task.Delay(left < Recheck ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : Recheck, stop.Token);
                await CheckAsync(stop, decide: true);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    private async Task CheckAsync(CancellationTokenSource stop, bool decide)
    {
        if (caller.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            End(stop, new Status(StatusCode.Unauthenticated,
                "the bearer token has expired: subscribe again with a new one"));
            return;
        }
        foreach (var feed in feeds)
        {
            if (decide && (await policies.DecideAsync(caller, On.Feed, Act.Read, feed, request, stop.Token)).Decision
                is { Allowed: false } d)
            {
                End(stop, new Status(StatusCode.PermissionDenied, $"access to feed {feed} has ended: {d.Reason}"));
                return;
            }
            if (AlertFeeds.TryParse(feed, out var kind, out var team) && kind == "team")
                _teamSharing[feed] = await sharing.ForAsync(caller, team, stop.Token);
        }
    }

    /// <summary>
    /// Whether this alert may reach the caller now (<see cref="TeamSharing"/>): consent is read afresh for each alert,
    /// since the write that withdrew it, or the clock that ended it, came before the alert.
    /// </summary>
    public async Task<bool> MayDeliverAsync(Alert alert, CancellationToken cancellationToken) =>
        alert.Owner.Kind != GapOwnerKind.Client || !_teamSharing.TryGetValue(alert.FeedId, out var visible)
        || await visible(alert.Owner.Id, cancellationToken);

    private void End(CancellationTokenSource stop, Status status)
    {
        Ended = status;
        stop.Cancel();
    }
}
