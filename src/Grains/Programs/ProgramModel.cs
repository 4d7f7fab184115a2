using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Common;

namespace CareCoordination.Programs;

[GenerateSerializer, Alias("cc.program-state")]
public sealed class ProgramState : IGapOwnerState
{
    [Id(0)] public string ProgramId { get; set; } = "";
    [Id(1)] public string Region { get; set; } = "";
    [Id(2)] public bool Registered { get; set; }
    [Id(3)] public string Name { get; set; } = "";
    [Id(4)] public ProgramKind Kind { get; set; }
    [Id(5)] public List<NeedDomain> Domains { get; set; } = [];
    [Id(6)] public int Capacity { get; set; }
    [Id(7)] public TimeSpan ResponseSla { get; set; }
    [Id(8)] public List<string> Coordinators { get; set; } = [];
    [Id(9)] public string Eligibility { get; set; } = "";
    [Id(10)] public string Provider { get; set; } = "";
    /// <summary>
    /// Referrals in progress, and ended ones until they are filed in the history store (once the client knows how
    /// they ended): a program of 10,000 referrals writes about as many bytes per change as one of 10.
    /// </summary>
    [Id(11)] public Dictionary<string, ProgramReferral> Referrals { get; set; } = new();
    [Id(12)] public GapBook Gaps { get; set; } = new();
    [Id(13)] public List<Alert> Outbox { get; set; } = [];
    [Id(14)] public RequestLog Requests { get; set; } = new();
    [Id(15)] public DateTimeOffset RegisteredAt { get; set; }
    /// <summary>What the referrals filed in the history store add to the program's figures.</summary>
    [Id(16)] public ReferralTally Filed { get; set; } = new();

    public int Enrolled => Referrals.Values.Count(r => r.Status == ReferralStatus.Enrolled);

    /// <summary>The pure part of every commit: runs the program's care-gap rules and announces the changes in the
    /// outbox.</summary>
    public GapChanges ReconcileGaps(DateTimeOffset now, CareGapThresholds thresholds, GapOwner owner, string feed)
    {
        var changes = CareGapEngine.Reconcile(Gaps, ProgramGapRules.Candidates(this, thresholds), now, thresholds,
            owner.Prefix, feed);
        GapKeeping.RecordChanges(changes, Gaps, owner, Region, now, Outbox);
        return changes;
    }
    public bool Full => Enrolled >= Capacity;
    public IEnumerable<ProgramReferral> Waitlist =>
        Referrals.Values.Where(r => r.Status == ReferralStatus.Waitlisted).OrderBy(r => r.WaitlistedAt);
}

/// <summary>
/// The counts of filed referrals, by how they ended, and their response times: a report adds them to those in the
/// state. Only ended referrals are filed, so each counts once and never changes afterwards.
/// </summary>
[GenerateSerializer, Alias("cc.referral-tally")]
public sealed class ReferralTally
{
    [Id(0)] public int Sent { get; set; }
    [Id(1)] public int Declined { get; set; }
    [Id(2)] public int Completed { get; set; }
    [Id(3)] public int Cancelled { get; set; }
    [Id(4)] public int Responses { get; set; }
    [Id(5)] public double ResponseHours { get; set; }

    public static bool Ended(ReferralStatus status) =>
        status is ReferralStatus.Declined or ReferralStatus.Completed or ReferralStatus.Cancelled;

    public void Add(ProgramReferral r)
    {
        Sent++;
        if (r.Status == ReferralStatus.Declined) Declined++;
        else if (r.Status == ReferralStatus.Completed) Completed++;
        else if (r.Status == ReferralStatus.Cancelled) Cancelled++;
        if (r.RespondedAt is { } at)
        {
            Responses++;
            ResponseHours += (at - r.SentAt).TotalHours;
        }
    }
}

[GenerateSerializer, Alias("cc.referral-page")]
public sealed record ReferralPage(
    [property: Id(0)] IReadOnlyList<ProgramReferral> Referrals,
    [property: Id(1)] string? NextAfter);

/// <summary>A referral as the program sees it. The program is the authority on its answer.</summary>
[GenerateSerializer, Alias("cc.program-referral")]
public sealed record ProgramReferral(
    [property: Id(0)] string ReferralId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] NeedDomain Domain,
    [property: Id(3)] ReferralStatus Status,
    [property: Id(4)] DateTimeOffset ReceivedAt,
    [property: Id(5)] DateTimeOffset? RespondedAt,
    [property: Id(6)] DateTimeOffset? WaitlistedAt,
    [property: Id(7)] DateTimeOffset? EnrolledAt,
    [property: Id(8)] DateTimeOffset? EndedAt,
    [property: Id(9)] string ReasonCode,
    // Increases with every answer; the client applies an update only if it is newer than what it has.
    [property: Id(10)] long Version,
    [property: Id(11)] long ClientKnowsVersion,
    [property: Id(12)] DateTimeOffset SentAt);

[GenerateSerializer, Alias("cc.register-program")]
public sealed record RegisterProgram(
    [property: Id(0)] string Region,
    [property: Id(1)] string Name,
    [property: Id(2)] ProgramKind Kind,
    [property: Id(3)] IReadOnlyList<NeedDomain> Domains,
    [property: Id(4)] int Capacity,
    [property: Id(5)] TimeSpan ResponseSla,
    [property: Id(6)] IReadOnlyList<string> Coordinators,
    [property: Id(7)] string Eligibility,
    [property: Id(8)] string Provider);

[GenerateSerializer, Alias("cc.program-view")]
public sealed record ProgramView(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string Region,
    [property: Id(2)] string Name,
    [property: Id(3)] ProgramKind Kind,
    [property: Id(4)] IReadOnlyList<NeedDomain> Domains,
    [property: Id(5)] int Capacity,
    [property: Id(6)] int Enrolled,
    [property: Id(7)] TimeSpan ResponseSla,
    [property: Id(8)] IReadOnlyList<string> Coordinators,
    [property: Id(9)] string Eligibility,
    [property: Id(10)] string Provider,
    [property: Id(11)] IReadOnlyList<ProgramReferral> Referrals,
    [property: Id(12)] IReadOnlyList<OpenGap> OpenGaps);

/// <summary>What a client sends a program when it refers someone.</summary>
[GenerateSerializer, Alias("cc.referral-notice")]
public sealed record ReferralNotice(
    [property: Id(0)] string ReferralId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] NeedDomain Domain,
    [property: Id(3)] DateTimeOffset SentAt);

/// <summary>What a program tells the client about a referral.</summary>
[GenerateSerializer, Alias("cc.referral-update")]
public sealed record ReferralUpdate(
    [property: Id(0)] string ReferralId,
    [property: Id(1)] ReferralStatus Status,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string ReasonCode,
    [property: Id(4)] long Version);

public static class ProgramGapRules
{
    /// <summary>ProgramWaitlistStalled: the program is full and someone has waited longer than the threshold.</summary>
    public static IEnumerable<GapCandidate> Candidates(ProgramState p, CareGapThresholds t)
    {
        if (!p.Registered || !p.Full) yield break;
        var oldest = p.Waitlist.FirstOrDefault();
        if (oldest?.WaitlistedAt is not { } since) yield break;
        yield return new GapCandidate(CareGapRule.ProgramWaitlistStalled, "waitlist", since + t.ProgramWaitlistStalled,
            null, GapSeverity.Warning,
            $"Free a place or find an alternative: program is full and referral {oldest.ReferralId} has waited over "
                + $"{t.ProgramWaitlistStalled.TotalDays:0} days");
    }
}
