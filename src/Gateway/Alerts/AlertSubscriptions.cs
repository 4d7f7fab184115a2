using CareCoordination.Common;
using System.Threading.Channels;
using CareCoordination.Alerts;
using Microsoft.Extensions.Options;

namespace CareCoordination.Gateway.Alerts;

public sealed class AlertSubscriptionOptions
{
    public const string Section = "Alerts";

    /// <summary>
    /// How often a subscription re-reads its feeds even without live alerts. Live push can lose what is in flight
    /// when a silo dies; this bounds how late such an alert arrives.
    /// </summary>
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Alerts read from a feed per call while replaying (1 to 1000, the feed's own limit).</summary>
    public int ReplayPageSize { get; set; } = 200;

    /// <summary>Live alerts held for a subscriber that reads slowly; beyond it the oldest are dropped and re-read
    /// from the feed.</summary>
    public int LiveBuffer { get; set; } = 1000;

    public bool IsValid() => CatchUpInterval > TimeSpan.Zero && ReplayPageSize is >= 1 and <= 1000 && LiveBuffer >= 1;
}

/// <summary>
/// One subscriber's view of its feeds: replay from its cursors, then live, in sequence order per feed, with no
/// gap and no duplicate. The feeds are watched before the replay, so nothing raised meanwhile is missed; live
/// alerts at or below the cursor are dropped, and a hole in the sequence is filled from the feed. The watch is
/// renewed with every scheduled catch-up (and at least every quarter of <see cref="AlertFeedGrain.WatchFor"/>), so a
/// feed that moved to another silo, or came back after idling, pushes again from its next renewal; the catch-up
/// brings what it stored meanwhile.
/// </summary>
public sealed class AlertSubscriptions(IClusterClient cluster, IOptions<AlertSubscriptionOptions> options)
{
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <param name="subscribed">Called once the feeds are watched, before the replay: whatever is raised from then
    /// on reaches <paramref name="send"/>.</param>
    public async Task RunAsync(Dictionary<string, long> cursors, Func<Alert, Task> send, Func<Task> subscribed,
        CancellationToken cancellationToken)
    {
        // Bounded: a stalled reader cannot grow memory without end. A dropped alert leaves a hole in the sequence,
        // which the next alert or the scheduled catch-up fills from the durable feed.
        var pushed = Channel.CreateBounded<Alert>(new BoundedChannelOptions(options.Value.LiveBuffer)
            { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var watcher = new Watcher(pushed.Writer);
        var reference = cluster.CreateObjectReference<IAlertFeedWatcher>(watcher);
        var feeds = cursors.Keys.Select(f => cluster.Ref<IAlertFeedGrain>(f)).ToList();
        try
        {
            await WatchAsync();
            await subscribed();
            foreach (var feed in cursors.Keys.ToList()) await CatchUpAsync(feed);

            var catchUp = options.Value.CatchUpInterval;
            var renew = Min(catchUp, AlertFeedGrain.WatchFor / 4);
            var sinceCatchUp = System.Diagnostics.Stopwatch.StartNew();
            var sinceRenewal = System.Diagnostics.Stopwatch.StartNew();
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Max(Min(catchUp - sinceCatchUp.Elapsed, renew - sinceRenewal.Elapsed),
                    TimeSpan.Zero));
                try
                {
                    await pushed.Reader.WaitToReadAsync(wait.Token);
                    while (pushed.Reader.TryRead(out var alert)) await DeliverLiveAsync(alert);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
                // On a fixed schedule, busy or quiet: a live alert lost on one feed is not held up by traffic on
                // another.
                if (sinceRenewal.Elapsed >= renew)
                {
                    await WatchAsync();
                    sinceRenewal.Restart();
                }
                if (sinceCatchUp.Elapsed >= catchUp)
                {
                    foreach (var feed in cursors.Keys.ToList()) await CatchUpAsync(feed);
                    sinceCatchUp.Restart();
                }
            }
        }
        finally
        {
            try { await Task.WhenAll(feeds.Select(f => f.UnwatchAsync(reference))); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                /* a watch left behind lapses by itself */
            }
            cluster.DeleteObjectReference<IAlertFeedWatcher>(reference);
            // Orleans holds a watcher weakly: it must live as long as the subscription, or pushes find it collected.
            GC.KeepAlive(watcher);
        }

        Task WatchAsync() => Task.WhenAll(feeds.Select(f => f.WatchAsync(reference)));

        async Task DeliverLiveAsync(Alert alert)
        {
            if (!cursors.TryGetValue(alert.FeedId, out var last) || alert.Sequence <= last) return;
            if (alert.Sequence == last + 1)
            {
                await send(alert);
                cursors[alert.FeedId] = alert.Sequence;
            }
            else
            {
                await CatchUpAsync(alert.FeedId);
            }
        }

        async Task CatchUpAsync(string feed)
        {
            var grain = cluster.Ref<IAlertFeedGrain>(feed);
            while (true)
            {
                var page = await grain.ReadAsync(cursors[feed], options.Value.ReplayPageSize, cancellationToken);
                foreach (var alert in page.Alerts)
                {
                    await send(alert);
                    cursors[feed] = alert.Sequence;
                }
                if (page.Alerts.Count < options.Value.ReplayPageSize) return;
            }
        }
    }

    /// <summary>Takes what the feeds push; the subscription reads it in order.</summary>
    private sealed class Watcher(ChannelWriter<Alert> pushed) : IAlertFeedWatcher
    {
        public Task StoredAsync(IReadOnlyList<Alert> alerts)
        {
            foreach (var alert in alerts) pushed.TryWrite(alert);
            return Task.CompletedTask;
        }
    }
}
