using CareCoordination.Common;

namespace CareCoordination.CareGaps;

/// <summary>What changed when a gap book was brought up to date, and when it next needs looking at.</summary>
public sealed record GapChanges(
    IReadOnlyList<OpenGap> Opened,
    IReadOnlyList<OpenGap> Closed,
    IReadOnlyList<OpenGap> Escalated,
    DateTimeOffset? NextDueAt)
{
    public bool Any => Opened.Count + Closed.Count + Escalated.Count > 0;
}

/// <summary>
/// Brings a gap book in line with the conditions that hold now: opens new gaps, closes gaps whose condition
/// ended, escalates gaps nobody acknowledged in time, and says when the next change is due so the owner is
/// woken then and not before. Pure: the clock is a parameter.
/// </summary>
public static class CareGapEngine
{
    public static GapChanges Reconcile(GapBook book, IEnumerable<GapCandidate> candidates, DateTimeOffset now,
        CareGapThresholds t, string gapIdPrefix, string feedId)
    {
        using var activity = CareTelemetry.Source.StartActivity("care-gaps reconcile");
        activity?.SetTag("owner.kind",
            gapIdPrefix.StartsWith("client/", StringComparison.Ordinal) ? "Client" : "Program");
        var all = candidates.ToList();
        // Forget resolutions whose occurrence no longer exists, so the book does not grow and a new occurrence opens.
        foreach (var key in book.Resolved.Keys.ToList())
            if (!all.Any(c => c.Key == key && c.DueAt == book.Resolved[key])) book.Resolved.Remove(key);

        var active = all.Where(c => c.IsActiveAt(now) && !IsResolved(book, c))
            .GroupBy(c => c.Key).Select(g => g.OrderBy(c => c.DueAt).First())
            .ToDictionary(c => c.Key);

        var closed = new List<OpenGap>();
        foreach (var gap in book.Open.ToList())
        {
            if (active.TryGetValue(gap.Key, out var current))
            {
                // Still open, but the occurrence moved (a third missed appointment, risk raised to high): keep the
                // gap's identity and acknowledgement, take the current due time, severity and wording, so a
                // worker's resolution applies to what is true now.
                if (current.DueAt != gap.DueAt || current.Severity != gap.Severity || current.Action != gap.Action)
                    book.Open[book.Open.IndexOf(gap)] =
                        gap with { DueAt = current.DueAt, Severity = current.Severity, Action = current.Action };
                continue;
            }
            book.Close(gap, now, GapClosure.ConditionEnded);
            closed.Add(gap);
        }

        var opened = new List<OpenGap>();
        foreach (var c in active.Values.OrderBy(c => c.DueAt).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            if (book.Open.Any(g => g.Key == c.Key)) continue;
            var gap = new OpenGap($"{gapIdPrefix}g{book.NextGapNumber++}", c.Rule, c.Subject, c.DueAt, now, c.Severity,
                c.Action, FeedId: feedId);
            book.Open.Add(gap);
            opened.Add(gap);
        }

        var escalated = new List<OpenGap>();
        for (var i = 0; i < book.Open.Count; i++)
        {
            var gap = book.Open[i];
            if (gap.AcknowledgedAt is null && gap.EscalatedAt is null && gap.OpenedAt + t.Escalation <= now)
            {
                book.Open[i] = gap with { EscalatedAt = now };
                escalated.Add(book.Open[i]);
            }
        }

        return new GapChanges(opened, closed, escalated, NextDueAt(book, all, now, t));
    }

    private static bool IsResolved(GapBook book, GapCandidate c) =>
        book.Resolved.TryGetValue(c.Key, out var due) && due == c.DueAt;

    private static DateTimeOffset? NextDueAt(GapBook book, List<GapCandidate> all, DateTimeOffset now,
        CareGapThresholds t)
    {
        var times = new List<DateTimeOffset>();
        foreach (var c in all)
        {
            if (IsResolved(book, c)) continue;
            if (c.DueAt > now) times.Add(c.DueAt);
            else if (c.Until is { } until && until > now) times.Add(until);
        }
        foreach (var gap in book.Open)
            if (gap.AcknowledgedAt is null && gap.EscalatedAt is null) times.Add(gap.OpenedAt + t.Escalation);
        return times.Count == 0 ? null : times.Min();
    }
}
