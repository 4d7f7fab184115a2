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

/// <summary>
/// Thresholds a configuration layer sets; the ones it leaves unset fall through to the layer below. Bound from
/// "CareGaps:Defaults", "CareGaps:Regions:{region}" and "CareGaps:Programs:{program}".
/// </summary>
public sealed record CareGapThresholdOverrides
{
    public TimeSpan? NoRecentContact { get; init; }
    public TimeSpan? NoRecentContactHighRisk { get; init; }
    public TimeSpan? ReferralNotAcknowledged { get; init; }
    public TimeSpan? ReferralDeadEnd { get; init; }
    public TimeSpan? EnrollmentNotStarted { get; init; }
    public TimeSpan? UnmetNeed { get; init; }
    public int? UnmetNeedMinimumSeverity { get; init; }
    public TimeSpan? PlanReview { get; init; }
    public TimeSpan? Reassessment { get; init; }
    public int? MissedAppointments { get; init; }
    public TimeSpan? ConsentExpiringNotice { get; init; }
    public TimeSpan? ProgramWaitlistStalled { get; init; }
    public TimeSpan? Escalation { get; init; }

    /// <summary>This layer over <paramref name="below"/>: each threshold it sets wins, the others stay.</summary>
    public CareGapThresholds Over(CareGapThresholds below) => new()
    {
        NoRecentContact = NoRecentContact ?? below.NoRecentContact,
        NoRecentContactHighRisk = NoRecentContactHighRisk ?? below.NoRecentContactHighRisk,
        ReferralNotAcknowledged = ReferralNotAcknowledged ?? below.ReferralNotAcknowledged,
        ReferralDeadEnd = ReferralDeadEnd ?? below.ReferralDeadEnd,
        EnrollmentNotStarted = EnrollmentNotStarted ?? below.EnrollmentNotStarted,
        UnmetNeed = UnmetNeed ?? below.UnmetNeed,
        UnmetNeedMinimumSeverity = UnmetNeedMinimumSeverity ?? below.UnmetNeedMinimumSeverity,
        PlanReview = PlanReview ?? below.PlanReview,
        Reassessment = Reassessment ?? below.Reassessment,
        MissedAppointments = MissedAppointments ?? below.MissedAppointments,
        ConsentExpiringNotice = ConsentExpiringNotice ?? below.ConsentExpiringNotice,
        ProgramWaitlistStalled = ProgramWaitlistStalled ?? below.ProgramWaitlistStalled,
        Escalation = Escalation ?? below.Escalation,
    };
}

/// <summary>
/// Configuration section "CareGaps". Thresholds layer per field: the catalogue, then Defaults, then the region,
/// then the program; a layer that sets one threshold changes only that one.
/// </summary>
public sealed class CareGapOptions
{
    public const string Section = "CareGaps";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string? Program, string Region),
        CareGapThresholds> _resolved = new();

    public CareGapThresholdOverrides Defaults { get; set; } = new();
    public Dictionary<string, CareGapThresholdOverrides> Regions { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, CareGapThresholdOverrides> Programs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often each clock shard looks for gaps coming due. Bounds how late a time-based gap fires.</summary>
    public TimeSpan ClockTick { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Number of clock shards; owners are spread over them by key.</summary>
    public int ClockShards { get; set; } = 64;

    // Options are bound once at start, so each combination is layered once (grains ask on every write).
    public CareGapThresholds ForRegion(string region) => _resolved.GetOrAdd((null, region), k =>
        Layer(Regions, k.Region, Defaults.Over(CareGapThresholds.Default)));

    public CareGapThresholds ForProgram(string programId, string region) => _resolved.GetOrAdd((programId, region), k =>
        Layer(Programs, k.Program!, ForRegion(k.Region)));

    private static CareGapThresholds Layer(Dictionary<string, CareGapThresholdOverrides> layer, string key,
        CareGapThresholds below) =>
        layer.TryGetValue(key, out var overrides) ? overrides.Over(below) : below;
}
