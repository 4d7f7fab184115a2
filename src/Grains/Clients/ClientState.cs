using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Common;
using CareCoordination.Programs;

namespace CareCoordination.Clients;

/// <summary>Everything the service keeps about one person supported. Persisted as the client grain's state.</summary>
[GenerateSerializer, Alias("cc.client-state")]
public sealed partial class ClientState : IGapOwnerState
{
    [Id(0)] public string ClientId { get; set; } = "";
    [Id(1)] public string Region { get; set; } = "";
    [Id(2)] public bool Registered { get; set; }
    [Id(3)] public bool Closed { get; set; }
    [Id(4)] public DateTimeOffset RegisteredAt { get; set; }
    [Id(5)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(6)] public ClientProfile Profile { get; set; } = new("", null, [], false, RiskLevel.Standard);
    [Id(7)] public Consent? Consent { get; set; }
    [Id(8)] public string? TeamId { get; set; }
    [Id(9)] public string? LeadWorkerId { get; set; }
    [Id(10)] public Assessment? Assessment { get; set; }
    [Id(11)] public List<Goal> Goals { get; set; } = [];
    [Id(12)] public DateTimeOffset? PlanLastReviewedAt { get; set; }
    [Id(13)] public DateTimeOffset? PlanReviewDue { get; set; }
    [Id(14)] public List<Referral> Referrals { get; set; } = [];
    [Id(15)] public List<Enrollment> Enrollments { get; set; } = [];
    [Id(16)] public DateTimeOffset? LastContactAt { get; set; }
    [Id(17)] public List<Appointment> Appointments { get; set; } = [];
    [Id(18)] public int ConsecutiveMissedAppointments { get; set; }
    [Id(19)] public DateTimeOffset? LastMissedAt { get; set; }
    [Id(20)] public GapBook Gaps { get; set; } = new();
    /// <summary>
    /// The timeline's lines not yet filed in the history store (<see cref="GrainHistory"/>): the state carries the
    /// latest few, not the whole history.
    /// </summary>
    [Id(21)] public List<TimelineEntry> Timeline { get; set; } = [];
    [Id(22)] public RequestLog Requests { get; set; } = new();
    [Id(23)] public string? CloseReason { get; set; }
    /// <summary>Alerts decided but not yet stored in their feed; flushed after every write and on activation.</summary>
    [Id(24)] public List<Alert> Outbox { get; set; } = [];
    [Id(25)] public long NextNumber { get; set; } = 1;
    /// <summary>Teams left before assignment numbers existed; turned into <see cref="TeamNotices"/> on
    /// activation.</summary>
    [Id(28)] public Dictionary<string, DateTimeOffset> PendingReleases { get; set; } = new();
    /// <summary>Numbers the client's team decisions, so teams apply joins and departures in order.</summary>
    [Id(29)] public long AssignmentVersion { get; set; }
    [Id(30)] public DateTimeOffset? AssignedAt { get; set; }
    /// <summary>
    /// Teams still to be told where the client stands (joined, or left), the latest notice per team: an outbox, so
    /// a second move while the first notice is pending loses neither.
    /// </summary>
    [Id(31)] public Dictionary<string, CareTeams.CaseloadNotice> TeamNotices { get; set; } =
        new(StringComparer.Ordinal);
    /// <summary>The worker (or service) that registered the person: the one who reaches them until a team
    /// does.</summary>
    [Id(32)] public string RegisteredBy { get; set; } = "";
    /// <summary>The sequence of the timeline's last line, filed or not.</summary>
    [Id(33)] public long TimelineLast { get; set; }

    public bool Active => Registered && !Closed;

    /// <summary>
    /// The pure part of every commit: runs the care-gap rules against the record and the clock, announces what opened,
    /// closed or escalated in the outbox, moves open gaps to the current feed and writes the timeline lines. The grain
    /// and the rule tests both call this, so the tests exercise what the grain does.
    /// </summary>
    public GapChanges ReconcileGaps(DateTimeOffset now, CareGapThresholds thresholds, GapOwner owner, string feed)
    {
        var changes = CareGapEngine.Reconcile(Gaps, ClientGapRules.Candidates(this, thresholds), now, thresholds,
            owner.Prefix, feed);
        GapKeeping.RecordChanges(changes, Gaps, owner, Region, now, Outbox);
        // After a team change, gaps still open follow the client to the new team's feed.
        GapKeeping.MoveOpenGaps(Gaps, feed, owner, Region, now, "system", Outbox);
        foreach (var g in changes.Opened) Log(now, "gap-opened", $"{g.GapId} {g.Rule}", "system");
        foreach (var g in changes.Closed) Log(now, "gap-closed", $"{g.GapId} {g.Rule}", "system");
        foreach (var g in changes.Escalated) Log(now, "gap-escalated", $"{g.GapId} {g.Rule}", "system");
        return changes;
    }

    /// <summary>
    /// A program's answer to one of this person's referrals, applied once (by version): the referral, and the
    /// enrollment it starts or ends. False if it is unknown or not newer than what is applied.
    /// </summary>
    public bool ApplyReferralUpdate(ReferralUpdate update, DateTimeOffset now)
    {
        var i = Referrals.FindIndex(r => r.ReferralId == update.ReferralId);
        if (i < 0 || Referrals[i].ProgramVersion >= update.Version) return false;
        var r = Referrals[i];
        Referrals[i] = r.WithProgramAnswer(update);
        var status = Referrals[i].Status;
        if (status == ReferralStatus.Enrolled && !Enrollments.Any(e => e.ReferralId == r.ReferralId))
            Enrollments.Add(new Enrollment(r.ProgramId, r.ReferralId, r.Domain, update.At, null, ""));
        if (status is ReferralStatus.Completed or ReferralStatus.Cancelled)
        {
            var e = Enrollments.FindIndex(x => x.ReferralId == r.ReferralId && x.Active);
            if (e >= 0) Enrollments[e] = Enrollments[e] with { EndedAt = update.At, Outcome = update.ReasonCode };
        }
        Log(now, "referral-" + status.ToString().ToLowerInvariant(), $"{r.ReferralId} by {r.ProgramId}", r.ProgramId);
        return true;
    }

    /// <summary>
    /// A line of the timeline, numbered after the last. Lines wait in the state until filed
    /// (<see cref="GrainHistory"/>); the bound only matters while the history store is down for long, when the latest
    /// lines are kept.
    /// </summary>
    public void Log(DateTimeOffset at, string kind, string detail, string actor)
    {
        Timeline.Add(new TimelineEntry(++TimelineLast, at, kind, detail, actor));
        if (Timeline.Count > UnfiledCapacity) Timeline.RemoveRange(0, Timeline.Count - UnfiledCapacity);
    }

    private const int UnfiledCapacity = 2000;
}

[GenerateSerializer, Alias("cc.client-profile")]
public sealed record ClientProfile(
    [property: Id(0)] string PreferredLanguage,
    [property: Id(1)] int? BirthYear,
    [property: Id(2)] IReadOnlyList<Circumstance> Circumstances,
    [property: Id(3)] bool InterpreterNeeded,
    [property: Id(4)] RiskLevel Risk);

[GenerateSerializer, Alias("cc.consent")]
public sealed record Consent(
    [property: Id(0)] IReadOnlyList<ConsentScope> Scopes,
    [property: Id(1)] DateTimeOffset GrantedAt,
    [property: Id(2)] DateTimeOffset? ExpiresAt,
    [property: Id(3)] string RecordedBy)
{
    public bool Allows(ConsentScope scope, DateTimeOffset now) =>
        Scopes.Contains(scope) && (ExpiresAt is null || now < ExpiresAt);
}

[GenerateSerializer, Alias("cc.need")]
public sealed record Need([property: Id(0)] NeedDomain Domain, [property: Id(1)] int Severity);

[GenerateSerializer, Alias("cc.assessment")]
public sealed record Assessment(
    [property: Id(0)] DateTimeOffset AssessedAt,
    [property: Id(1)] DateTimeOffset ReviewDue,
    [property: Id(2)] IReadOnlyList<Need> Needs,
    [property: Id(3)] string AssessedBy);

[GenerateSerializer, Alias("cc.goal")]
public sealed record Goal(
    [property: Id(0)] string GoalId,
    [property: Id(1)] NeedDomain Domain,
    [property: Id(2)] string Title,
    [property: Id(3)] DateTimeOffset? TargetDate,
    [property: Id(4)] GoalStatus Status,
    [property: Id(5)] int Progress,
    [property: Id(6)] DateTimeOffset UpdatedAt)
{
    public bool Open => Status is GoalStatus.NotStarted or GoalStatus.InProgress;
}

[GenerateSerializer, Alias("cc.referral")]
public sealed record Referral(
    [property: Id(0)] string ReferralId,
    [property: Id(1)] string ProgramId,
    [property: Id(2)] NeedDomain Domain,
    [property: Id(3)] ReferralStatus Status,
    [property: Id(4)] DateTimeOffset SentAt,
    [property: Id(5)] DateTimeOffset? RespondedAt,
    [property: Id(6)] DateTimeOffset? EnrolledAt,
    [property: Id(7)] DateTimeOffset? EndedAt,
    [property: Id(8)] string ReasonCode,
    [property: Id(9)] TimeSpan? ProgramResponseSla,
    [property: Id(10)] string ReferredBy,
    // What the program has been told of the client's side (Sent or Cancelled): the outbox delivers the difference.
    [property: Id(11)] ReferralStatus ProgramKnows,
    // The program's version of its answer last applied here, so a replayed or late update is ignored.
    [property: Id(12)] long ProgramVersion)
{
    /// <summary>The referral still stands for its domain: nobody has said no and it has not ended.</summary>
    public bool Open => Status is ReferralStatus.Sent or ReferralStatus.Accepted or ReferralStatus.Waitlisted
        or ReferralStatus.Enrolled;

    /// <summary>The referral after the program's answer. A closed case keeps its referrals cancelled: the program heard
    /// that from us.</summary>
    public Referral WithProgramAnswer(ReferralUpdate update)
    {
        var status = Status == ReferralStatus.Cancelled ? ReferralStatus.Cancelled : update.Status;
        return this with
        {
            Status = status,
            ProgramVersion = update.Version,
            ReasonCode = update.ReasonCode,
            RespondedAt = RespondedAt ?? (update.Status is ReferralStatus.Sent ? null : update.At),
            EnrolledAt = update.Status == ReferralStatus.Enrolled ? update.At : EnrolledAt,
            EndedAt = update.Status is ReferralStatus.Completed or ReferralStatus.Declined ? update.At : EndedAt,
        };
    }
}

[GenerateSerializer, Alias("cc.enrollment")]
public sealed record Enrollment(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string ReferralId,
    [property: Id(2)] NeedDomain Domain,
    [property: Id(3)] DateTimeOffset StartedAt,
    [property: Id(4)] DateTimeOffset? EndedAt,
    [property: Id(5)] string Outcome)
{
    public bool Active => EndedAt is null;
}

[GenerateSerializer, Alias("cc.appointment")]
public sealed record Appointment(
    [property: Id(0)] string AppointmentId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] AppointmentStatus Status,
    [property: Id(3)] string WorkerId);

/// <summary>One line of a client's history. Kinds and ids only: the timeline is shown to many workers.</summary>
[GenerateSerializer, Alias("cc.timeline-entry")]
public sealed record TimelineEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Kind,
    [property: Id(3)] string Detail,
    [property: Id(4)] string Actor) : ISequenced;
