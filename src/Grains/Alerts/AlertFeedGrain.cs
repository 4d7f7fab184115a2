using Orleans.Runtime;
using Orleans.Streams;

namespace CareCoordination.Alerts;

[GenerateSerializer, Alias("cc.alert-page")]
public sealed record AlertPage([property: Id(0)] IReadOnlyList<Alert> Alerts, [property: Id(1)] long LastSequence);

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

[GenerateSerializer, Alias("cc.alert-feed-state")]
public sealed class AlertFeedState
{
    [Id(0)] public List<Alert> Alerts { get; set; } = [];
    [Id(1)] public HashSet<string> AlertIds { get; set; } = [];
}

[GrainType("alert-feed")]
public sealed class AlertFeedGrain(
    [PersistentState("feed", "alerts")] IPersistentState<AlertFeedState> feed) : Grain, IAlertFeedGrain
{
    public async Task AppendAsync(IReadOnlyList<Alert> alerts)
    {
        var added = new List<Alert>();
        foreach (var alert in alerts)
        {
            if (!feed.State.AlertIds.Add(alert.AlertId)) continue;
            var stored = alert with { Sequence = feed.State.Alerts.Count + 1, FeedId = this.GetPrimaryKeyString() };
            feed.State.Alerts.Add(stored);
            added.Add(stored);
        }
        if (added.Count == 0) return;
        try
        {
            await feed.WriteStateAsync();
        }
        catch
        {
            // Not stored means not numbered: undo so the caller's retry gets the same sequence numbers.
            foreach (var a in added) { feed.State.Alerts.Remove(a); feed.State.AlertIds.Remove(a.AlertId); }
            throw;
        }

        // Live push is best effort: a subscriber that misses it catches up from the stored feed by sequence.
        try
        {
            var stream = this.GetStreamProvider(AlertFeeds.StreamProvider)
                .GetStream<Alert>(StreamId.Create(AlertFeeds.StreamNamespace, this.GetPrimaryKeyString()));
            foreach (var a in added) await stream.OnNextAsync(a);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Swallowed on purpose: the alert is durable and subscribers poll the feed for what the stream missed.
        }
    }

    public Task<AlertPage> ReadAsync(long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        var all = feed.State.Alerts;
        var start = (int)Math.Clamp(afterSequence, 0, all.Count);
        var page = all.GetRange(start, Math.Min(Math.Max(max, 0), all.Count - start));
        return Task.FromResult(new AlertPage(page, all.Count));
    }
}
