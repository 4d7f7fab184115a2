using CareCoordination.Common;
using System.Threading.Channels;
using CareCoordination.Alerts;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace CareCoordination.Gateway.Alerts;

public sealed class AlertSubscriptionOptions
{
    public const string Section = "Alerts";

    /// <summary>
    /// How often a subscription re-reads its feeds even without live events. Live push over a memory stream can
    /// lose what is in flight when a silo dies; this bounds how late such an alert arrives.
    /// </summary>
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Alerts read from a feed per call while replaying (1 to 1000, the feed's own limit).</summary>
    public int ReplayPageSize { get; set; } = 200;

    /// <summary>Live events held for a subscriber that reads slowly; beyond it the oldest are dropped and re-read
    /// from the feed.</summary>
    public int LiveBuffer { get; set; } = 1000;

    public bool IsValid() => CatchUpInterval > TimeSpan.Zero && ReplayPageSize is >= 1 and <= 1000 && LiveBuffer >= 1;
}

/// <summary>
/// One subscriber's view of its feeds: replay from its cursors, then live, in sequence order per feed, with no
/// gap and no duplicate. The stream subscription is taken before the replay, so nothing raised meanwhile is
/// missed; live events at or below the cursor are dropped, and a hole in the sequence is filled from the feed.
/// </summary>
public sealed class AlertSubscriptions(IClusterClient cluster, IOptions<AlertSubscriptionOptions> options)
{
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <param name="subscribed">Called once the live subscriptions are taken, before the replay: whatever is raised
    /// from then on reaches <paramref name="send"/>.</param>
    public async Task RunAsync(Dictionary<string, long> cursors, Func<Alert, Task> send, Func<Task> subscribed,
        CancellationToken cancellationToken)
    {
        // Bounded: a stalled reader cannot grow memory without end. A dropped event leaves a hole in the sequence,
        // which the next event or the scheduled catch-up fills from the durable feed.
        var pushed = Channel.CreateBounded<Alert>(new BoundedChannelOptions(options.Value.LiveBuffer)
            { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var handles = new List<StreamSubscriptionHandle<Alert>>();
        try
        {
            var provider = cluster.GetStreamProvider(AlertFeeds.StreamProvider);
            foreach (var feed in cursors.Keys)
            {
                var stream = provider.GetStream<Alert>(StreamId.Create(AlertFeeds.StreamNamespace, feed));
                handles.Add(await stream.SubscribeAsync((alert, _) =>
                {
                    pushed.Writer.TryWrite(alert);
                    return Task.CompletedTask;
                }));
            }

            await subscribed();
            foreach (var feed in cursors.Keys.ToList()) await CatchUpAsync(feed);

            var sinceCatchUp = System.Diagnostics.Stopwatch.StartNew();
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Max(options.Value.CatchUpInterval - sinceCatchUp.Elapsed, TimeSpan.Zero));
                try
                {
                    await pushed.Reader.WaitToReadAsync(wait.Token);
                    while (pushed.Reader.TryRead(out var alert)) await DeliverLiveAsync(alert);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
                // On a fixed schedule, busy or quiet: a live event lost on one feed is not held up by traffic on
                // another.
                if (sinceCatchUp.Elapsed >= options.Value.CatchUpInterval)
                {
                    foreach (var feed in cursors.Keys.ToList()) await CatchUpAsync(feed);
                    sinceCatchUp.Restart();
                }
            }
        }
        finally
        {
            foreach (var handle in handles)
            {
                try { await handle.UnsubscribeAsync(); }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    /* the subscription dies with its silo anyway */
                }
            }
        }

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
}
