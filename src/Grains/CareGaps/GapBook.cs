namespace CareCoordination.CareGaps;

/// <summary>A condition that needs a person to act: where it is (rule + subject), from when, how urgent, what to
/// do.</summary>
[GenerateSerializer, Alias("cc.gap-candidate")]
public sealed record GapCandidate(
    [property: Id(0)] CareGapRule Rule,
    [property: Id(1)] string Subject,
    [property: Id(2)] DateTimeOffset DueAt,
    [property: Id(3)] DateTimeOffset? Until,
    [property: Id(4)] GapSeverity Severity,
    [property: Id(5)] string Action)
{
    public string Key => $"{Rule}/{Subject}";

    public bool IsActiveAt(DateTimeOffset now) => DueAt <= now && (Until is null || now < Until);
}

[GenerateSerializer, Alias("cc.open-gap")]
public sealed record OpenGap(
    [property: Id(0)] string GapId,
    [property: Id(1)] CareGapRule Rule,
    [property: Id(2)] string Subject,
    [property: Id(3)] DateTimeOffset DueAt,
    [property: Id(4)] DateTimeOffset OpenedAt,
    [property: Id(5)] GapSeverity Severity,
    [property: Id(6)] string Action,
    [property: Id(7)] DateTimeOffset? AcknowledgedAt = null,
    [property: Id(8)] string? AcknowledgedBy = null,
    [property: Id(9)] DateTimeOffset? EscalatedAt = null,
    // The alert feed that announced the gap; its later events go there too, so the same people see it through.
    [property: Id(10)] string FeedId = "")
{
    public string Key => $"{Rule}/{Subject}";
}

/// <summary>How a gap ended: its condition ended by itself, or a worker resolved it.</summary>
public enum GapClosure
{
    Unspecified = 0,
    ConditionEnded = 1,
    ResolvedByWorker = 2,
}

[GenerateSerializer, Alias("cc.closed-gap")]
public sealed record ClosedGap(
    [property: Id(0)] OpenGap Gap,
    [property: Id(1)] DateTimeOffset ClosedAt,
    [property: Id(2)] GapClosure Closure);

/// <summary>The gaps of one owner (a client or a program): open ones, recent closed ones, and resolutions to
/// respect.</summary>
[GenerateSerializer, Alias("cc.gap-book")]
public sealed class GapBook
{
    public const int HistoryCapacity = 200;

    [Id(0)] public List<OpenGap> Open { get; set; } = [];
    [Id(1)] public List<ClosedGap> History { get; set; } = [];
    /// <summary>Rule/subject → the due time a worker resolved; the same occurrence is not reopened.</summary>
    [Id(2)] public Dictionary<string, DateTimeOffset> Resolved { get; set; } = new();
    [Id(3)] public long NextGapNumber { get; set; } = 1;
    /// <summary>Numbers every alert event of this owner, so alert ids are unique for good.</summary>
    [Id(4)] public long NextEventNumber { get; set; } = 1;

    public OpenGap? Find(string gapId) => Open.Find(g => g.GapId == gapId);

    public void Close(OpenGap gap, DateTimeOffset at, GapClosure closure)
    {
        Open.Remove(gap);
        History.Add(new ClosedGap(gap, at, closure));
        if (History.Count > HistoryCapacity) History.RemoveRange(0, History.Count - HistoryCapacity);
    }
}
