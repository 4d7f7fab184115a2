using System.Collections.Concurrent;
using CareCoordination.Alerts;

namespace CareCoordination.Silo.Storage;

/// <summary>Alert feeds in process memory: for tests and the in-memory mode only; gone with the process.</summary>
public sealed class MemoryAlertFeedStore : IAlertFeedStore
{
    private readonly ConcurrentDictionary<string, List<Alert>> _feeds = new();

    public Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts,
        CancellationToken cancellationToken = default)
    {
        var feed = _feeds.GetOrAdd(feedId, _ => []);
        lock (feed)
        {
            var added = new List<Alert>();
            foreach (var alert in alerts)
            {
                if (feed.Any(a => a.AlertId == alert.AlertId) || added.Any(a => a.AlertId == alert.AlertId)) continue;
                added.Add(alert with { FeedId = feedId, Sequence = feed.Count + added.Count + 1 });
            }
            feed.AddRange(added);
            return Task.FromResult<IReadOnlyList<Alert>>(added);
        }
    }

    public Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max,
        CancellationToken cancellationToken = default)
    {
        if (!_feeds.TryGetValue(feedId, out var feed)) return Task.FromResult<IReadOnlyList<Alert>>([]);
        lock (feed)
            return Task.FromResult<IReadOnlyList<Alert>>(
                feed.Skip((int)Math.Min(afterSequence, feed.Count)).Take(max).ToList());
    }
}
