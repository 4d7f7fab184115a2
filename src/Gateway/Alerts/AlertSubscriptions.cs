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

    public int ReplayPageSize { get; set; } = 200;
}

/// <summary>
/// One subscriber's view of its feeds: replay from its cursors, then live, in sequence order per feed, with no
/// gap and no duplicate. The stream subscription is taken before the replay, so nothing raised meanwhile is
/// missed; live events at or below the cursor are dropped, and a hole in the sequence is filled from the feed.
/// </summary>
public sealed class AlertSubscriptions(IClusterClient cluster, IOptions<AlertSubscriptionOptions> options)
{
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public async Task RunAsync(Dictionary<string, long> cursors, Func<Alert, Task> send, CancellationToken cancellationToken)
    {
        var live = Channel.CreateUnbounded<Alert>(new UnboundedChannelOptions { SingleReader = true });
        var handles = new List<StreamSubscriptionHandle<Alert>>();
        try
        {
            var provider = cluster.GetStreamProvider(AlertFeeds.StreamProvider);
            foreach (var feed in cursors.Keys)
            {
                var stream = provider.GetStream<Alert>(StreamId.Create(AlertFeeds.StreamNamespace, feed));
                handles.Add(await stream.SubscribeAsync((alert, _) =>
                {
                    live.Writer.TryWrite(alert);
                    return Task.CompletedTask;
                }));
            }

            foreach (var feed in cursors.Keys.ToList()) await CatchUpAsync(feed);

            var sinceCatchUp = System.Diagnostics.Stopwatch.StartNew();
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Max(options.Value.CatchUpInterval - sinceCatchUp.Elapsed, TimeSpan.Zero));
                try
                {
                    await live.Reader.WaitToReadAsync(wait.Token);
                    while (live.Reader.TryRead(out var alert)) await DeliverLiveAsync(alert);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
                // On a fixed schedule, busy or quiet: a live event lost on one feed is not held up by traffic on another.
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
                catch (Exception ex) when (ex is not OutOfMemoryException) { /* the subscription dies with its silo anyway */ }
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
            var grain = cluster.GetGrain<IAlertFeedGrain>(feed);
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
