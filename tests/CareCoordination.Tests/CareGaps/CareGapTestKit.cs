using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Programs;

namespace CareCoordination.Tests.CareGaps;

/// <summary>Shared instants, builders and the reconcile loop the client and program grains run.</summary>
internal static class Kit
{
    /// <summary>Fixed base instant: every scenario is expressed relative to it.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan OneMinute = TimeSpan.FromMinutes(1);

    public const string ClientPrefix = "client/c1/";
    public const string ClientFeed = "team:t1";
    public const string ProgramPrefix = "program/p1/";
    public const string ProgramFeed = "program:p1";

    public static DateTimeOffset Day(double days) => T0 + TimeSpan.FromDays(days);

    /// <summary>The reconcile step of ClientGrain's commit, the same method the grain calls.</summary>
    public static GapChanges Reconcile(ClientState s, DateTimeOffset now, CareGapThresholds? t = null) =>
        s.ReconcileGaps(now, t ?? CareGapThresholds.Default, new GapOwner(GapOwnerKind.Client, "c1"), ClientFeed);

    /// <summary>The reconcile step of ProgramGrain's commit, the same method the grain calls.</summary>
    public static GapChanges Reconcile(ProgramState p, DateTimeOffset now, CareGapThresholds? t = null) =>
        p.ReconcileGaps(now, t ?? CareGapThresholds.Default, new GapOwner(GapOwnerKind.Program, "p1"), ProgramFeed);

    public static OpenGap? OpenGap(this GapBook book, CareGapRule rule, string? subject = null) =>
        book.Open.SingleOrDefault(g => g.Rule == rule && (subject is null || g.Subject == subject));

    public static bool IsOpen(this GapBook book, CareGapRule rule, string? subject = null) => book.OpenGap(rule, subject) is not null;

    public static OpenGap? Of(this IReadOnlyList<OpenGap> gaps, CareGapRule rule, string? subject = null) =>
        gaps.SingleOrDefault(g => g.Rule == rule && (subject is null || g.Subject == subject));

    public static bool Has(this IReadOnlyList<OpenGap> gaps, CareGapRule rule, string? subject = null) => gaps.Of(rule, subject) is not null;

    // ---- referrals, goals, needs -------------------------------------------------------------------------------

    public static Referral SentReferral(string id, NeedDomain domain, DateTimeOffset sentAt, TimeSpan? programSla = null, string programId = "p1") =>
        new(id, programId, domain, ReferralStatus.Sent, sentAt, null, null, null, "", programSla, "w1", ReferralStatus.Sent, 0);

    /// <summary>The referral after the program's answer: the transition ClientState.ApplyReferralUpdate makes.</summary>
    public static Referral Answered(this Referral r, ReferralStatus status, DateTimeOffset at) =>
        r.WithProgramAnswer(new ReferralUpdate(r.ReferralId, status, at, "", r.ProgramVersion + 1));

    public static Goal OpenGoal(string id, NeedDomain domain, DateTimeOffset? targetDate) =>
        new(id, domain, $"goal {id}", targetDate, GoalStatus.InProgress, 10, T0);

    public static Assessment AssessedAt(DateTimeOffset at, params Need[] needs) =>
        new(at, at + CareGapThresholds.Default.Reassessment, needs, "w1");

    public static Assessment AssessedAt(DateTimeOffset at, DateTimeOffset reviewDue, params Need[] needs) => new(at, reviewDue, needs, "w1");

    public static Consent ConsentUntil(DateTimeOffset? expiresAt, DateTimeOffset? grantedAt = null) =>
        new([ConsentScope.CareTeam, ConsentScope.ReferredPrograms], grantedAt ?? T0, expiresAt, "w1");

    public static Enrollment ActiveEnrollment(Referral r, DateTimeOffset startedAt) => new(r.ProgramId, r.ReferralId, r.Domain, startedAt, null, "");
}

/// <summary>
/// Builds a registered, active client with a lead worker and nothing else going on, so each test adds only the
/// facts its rule looks at. (NoRecentContact always has a candidate: it is due 30 days after registration.)
/// </summary>
internal sealed class ClientBuilder
{
    private readonly ClientState s = new()
    {
        ClientId = "c1",
        Region = "north",
        Registered = true,
        RegisteredAt = Kit.T0,
        TeamId = "t1",
        LeadWorkerId = "w1",
    };

    public static ClientBuilder Client() => new();

    public ClientBuilder RegisteredAt(DateTimeOffset at) { s.RegisteredAt = at; return this; }
    public ClientBuilder InRegion(string region) { s.Region = region; return this; }
    public ClientBuilder HighRisk() { s.Profile = s.Profile with { Risk = RiskLevel.High }; return this; }
    public ClientBuilder LastContact(DateTimeOffset at) { s.LastContactAt = at; return this; }
    public ClientBuilder WithoutLeadWorker() { s.LeadWorkerId = null; return this; }
    public ClientBuilder With(Referral r) { s.Referrals.Add(r); return this; }
    public ClientBuilder With(Enrollment e) { s.Enrollments.Add(e); return this; }
    public ClientBuilder With(Goal g) { s.Goals.Add(g); return this; }
    public ClientBuilder With(Assessment a) { s.Assessment = a; return this; }
    public ClientBuilder With(Consent c) { s.Consent = c; return this; }
    public ClientBuilder PlanReviewDue(DateTimeOffset due) { s.PlanReviewDue = due; return this; }
    public ClientBuilder Missed(int consecutive, DateTimeOffset lastMissedAt)
    {
        s.ConsecutiveMissedAppointments = consecutive;
        s.LastMissedAt = lastMissedAt;
        return this;
    }

    public ClientState Build() => s;
}

internal sealed class ProgramBuilder
{
    private readonly ProgramState p = new()
    {
        ProgramId = "p1",
        Region = "north",
        Registered = true,
        RegisteredAt = Kit.T0,
        Name = "Housing First North",
        Kind = ProgramKind.HousingFirst,
        Domains = [NeedDomain.Housing],
        Capacity = 1,
        ResponseSla = TimeSpan.FromHours(72),
    };

    public static ProgramBuilder Program(int capacity = 1) => new ProgramBuilder().Capacity(capacity);

    public ProgramBuilder Capacity(int capacity) { p.Capacity = capacity; return this; }
    public ProgramBuilder Unregistered() { p.Registered = false; return this; }

    public ProgramBuilder Enrolled(string referralId, DateTimeOffset at) =>
        Add(referralId, ReferralStatus.Enrolled, r => r with { RespondedAt = at, EnrolledAt = at });

    public ProgramBuilder Waitlisted(string referralId, DateTimeOffset at) =>
        Add(referralId, ReferralStatus.Waitlisted, r => r with { RespondedAt = at, WaitlistedAt = at });

    private ProgramBuilder Add(string referralId, ReferralStatus status, Func<ProgramReferral, ProgramReferral> shape)
    {
        var received = new ProgramReferral(referralId, $"client-{referralId}", NeedDomain.Housing, status, Kit.T0, null, null, null, null,
            "", 1, 1, Kit.T0);
        p.Referrals[referralId] = shape(received);
        return this;
    }

    public ProgramState Build() => p;
}
