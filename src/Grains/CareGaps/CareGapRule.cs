namespace CareCoordination.CareGaps;

/// <summary>The care-gap catalogue (DESIGN.md §4).</summary>
public enum CareGapRule
{
    Unspecified = 0,
    NoRecentContact = 1,
    ReferralNotAcknowledged = 2,
    ReferralDeadEnd = 3,
    EnrollmentNotStarted = 4,
    UnmetNeed = 5,
    GoalOverdue = 6,
    PlanReviewOverdue = 7,
    ReassessmentOverdue = 8,
    MissedAppointments = 9,
    NoLeadWorker = 10,
    ConsentExpiring = 11,
    ConsentExpired = 12,
    ProgramWaitlistStalled = 13,
}

public enum GapSeverity
{
    Unspecified = 0,
    Info = 1,
    Warning = 2,
    Urgent = 3,
}

/// <summary>
/// Thresholds of the catalogue. Defaults follow published social-care practice; a region or a program can
/// override any of them through configuration (see <see cref="CareGapOptions"/>).
/// </summary>
[GenerateSerializer, Alias("cc.gap-thresholds")]
public sealed record CareGapThresholds
{
    [Id(0)] public TimeSpan NoRecentContact { get; init; } = TimeSpan.FromDays(30);
    [Id(1)] public TimeSpan NoRecentContactHighRisk { get; init; } = TimeSpan.FromDays(14);
    [Id(2)] public TimeSpan ReferralNotAcknowledged { get; init; } = TimeSpan.FromHours(72);
    [Id(3)] public TimeSpan ReferralDeadEnd { get; init; } = TimeSpan.FromDays(7);
    [Id(4)] public TimeSpan EnrollmentNotStarted { get; init; } = TimeSpan.FromDays(14);
    [Id(5)] public TimeSpan UnmetNeed { get; init; } = TimeSpan.FromDays(14);
    [Id(6)] public int UnmetNeedMinimumSeverity { get; init; } = 3;
    [Id(7)] public TimeSpan PlanReview { get; init; } = TimeSpan.FromDays(90);
    [Id(8)] public TimeSpan Reassessment { get; init; } = TimeSpan.FromDays(180);
    [Id(9)] public int MissedAppointments { get; init; } = 2;
    [Id(10)] public TimeSpan ConsentExpiringNotice { get; init; } = TimeSpan.FromDays(14);
    [Id(11)] public TimeSpan ProgramWaitlistStalled { get; init; } = TimeSpan.FromDays(30);
    [Id(12)] public TimeSpan Escalation { get; init; } = TimeSpan.FromHours(48);

    public static CareGapThresholds Default { get; } = new();
}

/// <summary>Configuration section "CareGaps": defaults, then per-region and per-program overrides.</summary>
public sealed class CareGapOptions
{
    public const string Section = "CareGaps";

    public CareGapThresholds Defaults { get; set; } = new();
    public Dictionary<string, CareGapThresholds> Regions { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, CareGapThresholds> Programs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often each clock shard looks for gaps coming due. Bounds how late a time-based gap fires.</summary>
    public TimeSpan ClockTick { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Number of clock shards; owners are spread over them by key. Each shard rewrites its index when a due time
    /// changes, so more shards mean smaller writes (a few hundred entries each for tens of thousands of clients).
    /// </summary>
    public int ClockShards { get; set; } = 64;

    public CareGapThresholds ForRegion(string region) => Regions.GetValueOrDefault(region) ?? Defaults;

    public CareGapThresholds ForProgram(string programId, string region) => Programs.GetValueOrDefault(programId) ?? ForRegion(region);
}
