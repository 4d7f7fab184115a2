using CareCoordination.Alerts;
using CareCoordination.Common;

namespace CareCoordination.CareGaps;

/// <summary>
/// The gap-handling steps clients and programs share: turning engine changes into alerts, acknowledging and
/// resolving by a worker, and delivering the outbox to the feeds.
/// </summary>
public static class GapKeeping
{
    /// <summary>When something could not be delivered (a peer or the feed was down), the owner asks to be woken this
    /// much later to retry.</summary>
    public static readonly TimeSpan DeliveryRetry = TimeSpan.FromSeconds(5);

    public static void RecordChanges(GapChanges changes, GapBook book, GapOwner owner, string region,
        DateTimeOffset now, List<Alert> outbox)
    {
        foreach (var g in changes.Closed) outbox.Add(Announce(book, g, AlertKind.Closed, owner, region, now, null));
        foreach (var g in changes.Opened) outbox.Add(Announce(book, g, AlertKind.Opened, owner, region, now, null));
        foreach (var g in changes.Escalated)
            outbox.Add(Announce(book, g, AlertKind.Escalated, owner, region, now, null));
        foreach (var g in changes.Closed) CareTelemetry.Closed(g.Rule, byWorker: false);
        foreach (var g in changes.Opened) CareTelemetry.Opened(g.Rule);
        foreach (var g in changes.Escalated) CareTelemetry.Escalated(g.Rule);
    }

    /// <summary>The alert for one event of a gap, numbered by the owner's book.</summary>
    public static Alert Announce(GapBook book, OpenGap gap, AlertKind kind, GapOwner owner, string region,
        DateTimeOffset now, string? actor) =>
        Alert.For(gap, kind, owner, region, now, actor, book.NextEventNumber++);

    /// <summary>
    /// The owner's alerts now belong in another feed (a client moved team): open gaps leave the old feed with a
    /// Closed event and are announced again in the new one (escalated ones as such), so each team sees exactly the
    /// gaps it must act on.
    /// </summary>
    public static void MoveOpenGaps(GapBook book, string newFeedId, GapOwner owner, string region, DateTimeOffset now,
        string actor, List<Alert> outbox)
    {
        for (var i = 0; i < book.Open.Count; i++)
        {
            var gap = book.Open[i];
            if (gap.FeedId == newFeedId) continue;
            outbox.Add(Announce(book, gap, AlertKind.Closed, owner, region, now, actor));
            book.Open[i] = gap with { FeedId = newFeedId };
            outbox.Add(Announce(book, book.Open[i], AlertKind.Opened, owner, region, now, actor));
            // An escalated gap reaches the new team's lead too, not only as a plain opening.
            if (gap.EscalatedAt is not null)
                outbox.Add(Announce(book, book.Open[i], AlertKind.Escalated, owner, region, now, actor));
        }
    }

    public static OpenGap Acknowledge(GapBook book, string gapId, string actor, DateTimeOffset now)
    {
        var gap = Find(book, gapId);
        if (gap.AcknowledgedAt is not null)
            throw CareCoordinationException.Precondition("gap_id", $"gap {gapId} was already acknowledged");
        var acknowledged = gap with { AcknowledgedAt = now, AcknowledgedBy = actor };
        CareTelemetry.Acknowledged(gap.Rule, now - gap.OpenedAt);
        book.Open[book.Open.IndexOf(gap)] = acknowledged;
        return acknowledged;
    }

    /// <summary>A worker closes the gap; the same occurrence (rule, subject, due time) will not reopen.</summary>
    public static OpenGap Resolve(GapBook book, string gapId, DateTimeOffset now)
    {
        var gap = Find(book, gapId);
        book.Resolved[gap.Key] = gap.DueAt;
        book.Close(gap, now, GapClosure.ResolvedByWorker);
        CareTelemetry.Closed(gap.Rule, byWorker: true);
        return gap;
    }

    /// <summary>For a retried acknowledge or resolve: the gap as it now stands, open or closed.</summary>
    public static OpenGap FindAny(GapBook book, string gapId) =>
        book.Find(gapId) ?? book.History.LastOrDefault(h => h.Gap.GapId == gapId)?.Gap
        ?? throw CareCoordinationException.Precondition("gap_id",
            $"gap {gapId} was handled by this request long ago and is no longer in the recent history");

    // A gap that closed is there but past being worked on: a rule of the work, not a missing object.
    private static OpenGap Find(GapBook book, string gapId) =>
        book.Find(gapId) ?? throw (book.History.Any(h => h.Gap.GapId == gapId)
            ? CareCoordinationException.Precondition("gap_id", $"gap {gapId} is already closed")
            : CareCoordinationException.NotFound("gap_id", $"gap {gapId} does not exist"));

    /// <summary>Stores pending alerts in their feeds. True when the outbox is empty afterwards.</summary>
    public static async Task<bool> TryFlushAsync(IGrainFactory grains, List<Alert> outbox)
    {
        if (outbox.Count == 0) return true;
        try
        {
            foreach (var feed in outbox.GroupBy(a => a.FeedId))
                await grains.Ref<IAlertFeedGrain>(feed.Key).AppendAsync(feed.ToList());
            outbox.Clear();
            return true;
        }
        catch (Exception ex) when (ex is not CareCoordinationException)
        {
            // Kept in the durable outbox; the clock wakes the owner again shortly to retry.
            return false;
        }
    }
}
