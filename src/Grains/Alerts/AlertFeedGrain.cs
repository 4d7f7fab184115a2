using CareCoordination.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace CareCoordination.Alerts;

[GenerateSerializer, Alias("cc.alert-page")]
public sealed record AlertPage([property: Id(0)] IReadOnlyList<Alert> Alerts);

/// <summary>A durable, ordered feed of alerts (one per team, program or region intake), pushed live once stored.</summary>
[Alias("cc.IAlertFeedGrain")]
public interface IAlertFeedGrain : IGrainWithStringKey
{
    /// <summary>Stores alerts not seen before (by alert id), numbers them, then pushes them live. Safe to retry.</summary>
    [Alias("Append")]
    Task AppendAsync(IReadOnlyList<Alert> alerts);

    /// <summary>Alerts with a sequence above <paramref name="afterSequence"/>, oldest first.</summary>
    [Alias("Read")]
    Task<AlertPage> ReadAsync(long afterSequence, int max, CancellationToken cancellationToken = default);
}

[GrainType("alert-feed")]
public sealed class AlertFeedGrain(IAlertFeedStore store) : Grain, IAlertFeedGrain
{
    private string FeedId => this.GetPrimaryKeyString();

    public async Task AppendAsync(IReadOnlyList<Alert> alerts)
    {
        using var activity = CareTelemetry.Source.StartActivity("alert-feed append");
        activity?.SetTag("feed.kind", FeedId[..Math.Max(FeedId.IndexOf(':'), 0)]);
        // One activation per feed is the only writer; the store's unique keys guard the rare overlap after a crash.
        var stored = DateTimeOffset.UtcNow;
        var added = await StateWrites.GuardAsync(() => store.AppendAsync(FeedId,
            alerts.Select(a => a with { FeedId = FeedId, StoredAt = stored }).ToList()));
        activity?.SetTag("alerts.added", added.Count);
        if (added.Count == 0) return;

        // Live push is best effort: a subscriber that misses it catches up from the stored feed by sequence.
        try
        {
            var stream = this.GetStreamProvider(AlertFeeds.StreamProvider)
                .GetStream<Alert>(StreamId.Create(AlertFeeds.StreamNamespace, FeedId));
            foreach (var a in added) await stream.OnNextAsync(a);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Swallowed on purpose: the alert is durable and subscribers re-read the feed for what the stream missed.
        }
    }

    public async Task<AlertPage> ReadAsync(long afterSequence, int max, CancellationToken cancellationToken = default) =>
        new(await StateWrites.GuardAsync(() => store.ReadAsync(FeedId, Math.Max(afterSequence, 0), Math.Clamp(max, 0, 1000), cancellationToken)));
}
