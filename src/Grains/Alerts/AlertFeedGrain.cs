using System.Diagnostics;
using CareCoordination.Common;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Utilities;

namespace CareCoordination.Alerts;

[GenerateSerializer, Alias("cc.alert-page")]
public sealed record AlertPage([property: Id(0)] IReadOnlyList<Alert> Alerts);

/// <summary>A durable, ordered feed of alerts (one per team, program or region intake), pushed live once
/// stored.</summary>
[Alias("cc.IAlertFeedGrain")]
public interface IAlertFeedGrain : IGrainWithStringKey
{
    /// <summary>Stores alerts not seen before (by alert id), numbers them, then pushes them live. Safe to
    /// retry.</summary>
    [Alias("Append")]
    Task AppendAsync(IReadOnlyList<Alert> alerts);

    /// <summary>Alerts with a sequence above <paramref name="afterSequence"/>, oldest first.</summary>
    [Alias("Read")]
    Task<AlertPage> ReadAsync(long afterSequence, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pushes the alerts stored from now on to <paramref name="watcher"/> for <see cref="AlertFeedGrain.WatchFor"/>;
    /// a watcher renews by calling again (a new activation of the feed knows no watchers).
    /// </summary>
    [Alias("Watch")]
    Task WatchAsync(IAlertFeedWatcher watcher);

    [Alias("Unwatch")]
    Task UnwatchAsync(IAlertFeedWatcher watcher);
}

/// <summary>A live subscription in a gateway, told of each batch of alerts as soon as the feed has stored it.</summary>
[Alias("cc.IAlertFeedWatcher")]
public interface IAlertFeedWatcher : IGrainObserver
{
    /// <summary>One way: the feed does not wait on its watchers, and a watcher that misses a batch reads it from the
    /// feed (it sees the hole in the sequence, or its next scheduled catch-up finds it).</summary>
    [OneWay, Alias("Stored")]
    Task StoredAsync(IReadOnlyList<Alert> alerts);
}

/// <summary>
/// Appends are group-committed: calls that arrive while a batch is being stored wait for the next one, and that
/// next batch stores all their alerts in one store transaction (one fsync on the embedded store, one round trip
/// on PostgreSQL, one entity-group transaction on Azure). A busy team feed then takes many alerts per commit
/// instead of one commit per write. Reentrant so that calls can join a batch; the grain's single-threaded turns
/// keep the batch list consistent, and the store numbers a batch in the order its alerts were queued.
/// <para>Live push goes straight from the feed to its watchers (Orleans grain observers), one one-way message per
/// stored batch and watcher: no queue to poll between the store and the subscriber. It is best effort, like any
/// message: what a watcher misses it reads from the durable feed.</para>
/// </summary>
[GrainType("alert-feed"), Reentrant]
public sealed class AlertFeedGrain(IAlertFeedStore store, ILogger<AlertFeedGrain> logger) : Grain, IAlertFeedGrain
{
    /// <summary>How long a watch lasts without renewal: a gateway renews well within it, and the watch of a
    /// gateway that went away without unwatching lapses.</summary>
    public static readonly TimeSpan WatchFor = TimeSpan.FromMinutes(1);

    private readonly List<(IReadOnlyList<Alert> Alerts, TaskCompletionSource Stored, ActivityContext Caller)> _queued =
        [];
    private readonly ObserverManager<IAlertFeedWatcher> _watchers = new(WatchFor, logger);
    private bool _storing;

    public Task WatchAsync(IAlertFeedWatcher watcher)
    {
        _watchers.Subscribe(watcher, watcher);
        return Task.CompletedTask;
    }

    public Task UnwatchAsync(IAlertFeedWatcher watcher)
    {
        _watchers.Unsubscribe(watcher);
        return Task.CompletedTask;
    }

    private string FeedId => this.GetPrimaryKeyString();

    public Task AppendAsync(IReadOnlyList<Alert> alerts)
    {
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queued.Add((alerts, stored, Activity.Current?.Context ?? default));
        if (!_storing) _ = StoreQueuedAsync();
        return stored.Task;
    }

    private async Task StoreQueuedAsync()
    {
        _storing = true;
        try
        {
            while (_queued.Count > 0)
            {
                var batch = _queued.ToList();
                _queued.Clear();
                try
                {
                    await StoreAsync(batch.SelectMany(b => b.Alerts).ToList(), batch.Select(b => b.Caller).ToList());
                    foreach (var b in batch) b.Stored.TrySetResult();
                }
                catch (Exception ex)
                {
                    // Nothing of the batch is acknowledged; each caller retries its own alerts (they stay in its
                    // outbox).
                    foreach (var b in batch) b.Stored.TrySetException(ex);
                }
            }
        }
        finally
        {
            _storing = false;
        }
    }

    private async Task StoreAsync(List<Alert> alerts, List<ActivityContext> callers)
    {
        // The first caller's trace holds the append; the others are linked to it.
        using var activity = CareTelemetry.Source.StartActivity("alert-feed append", ActivityKind.Internal, callers[0],
            links: callers.Skip(1).Where(c => c != default).Select(c => new ActivityLink(c)));
        activity?.SetTag("feed.kind", FeedId[..Math.Max(FeedId.IndexOf(':'), 0)]);
        // One activation per feed is the only writer; the store's unique keys guard the rare overlap after a crash.
        var stored = DateTimeOffset.UtcNow;
        var added = await StateWrites.GuardAsync(() => store.AppendAsync(FeedId,
            alerts.Select(a => a with { FeedId = FeedId, StoredAt = stored }).ToList()));
        activity?.SetTag("alerts.added", added.Count);
        if (added.Count == 0) return;

        // Live push is best effort: a subscriber that misses it catches up from the stored feed by sequence.
        // Sent without awaiting (one-way), so no other turn of this reentrant grain can change the watchers meanwhile.
        if (_watchers.Count > 0) _watchers.Notify(w => { _ = w.StoredAsync(added); });
    }

    public async Task<AlertPage> ReadAsync(long afterSequence, int max,
        CancellationToken cancellationToken = default) =>
        new(await StateWrites.GuardAsync(() =>
            store.ReadAsync(FeedId, Math.Max(afterSequence, 0), Math.Clamp(max, 0, 1000), cancellationToken)));
}
