using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using static CareCoordination.Tests.CareGaps.ClientBuilder;
using static CareCoordination.Tests.CareGaps.Kit;

namespace CareCoordination.Tests.CareGaps;

/// <summary>
/// One row per client rule of the catalogue (with its variants): a client in which the rule's condition holds and
/// the instant its threshold is reached. Every row goes through the same threshold, clock and escalation checks.
/// </summary>
public sealed record ClientRuleScenario(CareGapRule Rule, string Subject, DateTimeOffset DueAt, Func<ClientState> Build);

public static class ClientRuleScenarios
{
    public static readonly IReadOnlyDictionary<string, ClientRuleScenario> All = new Dictionary<string, ClientRuleScenario>
    {
        ["NoRecentContact: 30 days after registration"] =
            new(CareGapRule.NoRecentContact, "contact", Day(30), () => Client().Build()),
        ["NoRecentContact: 30 days after the last contact"] =
            new(CareGapRule.NoRecentContact, "contact", Day(40), () => Client().LastContact(Day(10)).Build()),
        ["NoRecentContact: 14 days for a high-risk person"] =
            new(CareGapRule.NoRecentContact, "contact", Day(14), () => Client().HighRisk().Build()),
        ["ReferralNotAcknowledged: default 72 h"] =
            new(CareGapRule.ReferralNotAcknowledged, "r1", Day(1) + TimeSpan.FromHours(72),
                () => Client().With(SentReferral("r1", NeedDomain.Housing, Day(1))).Build()),
        ["ReferralNotAcknowledged: the program's own SLA"] =
            new(CareGapRule.ReferralNotAcknowledged, "r1", Day(1) + TimeSpan.FromHours(24),
                () => Client().With(SentReferral("r1", NeedDomain.Housing, Day(1), programSla: TimeSpan.FromHours(24))).Build()),
        ["ReferralDeadEnd: 7 days after a decline"] =
            new(CareGapRule.ReferralDeadEnd, "Housing", Day(9),
                () => Client().With(SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Declined, Day(2))).Build()),
        ["ReferralDeadEnd: 7 days after a cancellation"] =
            new(CareGapRule.ReferralDeadEnd, "Employment", Day(10),
                () => Client().With(SentReferral("r1", NeedDomain.Employment, Day(1)) with { Status = ReferralStatus.Cancelled, EndedAt = Day(3) }).Build()),
        ["EnrollmentNotStarted: 14 days after acceptance"] =
            new(CareGapRule.EnrollmentNotStarted, "r1", Day(16),
                () => Client().With(SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Accepted, Day(2))).Build()),
        ["UnmetNeed: 14 days after the assessment"] =
            new(CareGapRule.UnmetNeed, "Housing", Day(15),
                () => Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 3))).Build()),
        ["GoalOverdue: at the target date"] =
            new(CareGapRule.GoalOverdue, "goal-1", Day(20), () => Client().With(OpenGoal("goal-1", NeedDomain.Housing, Day(20))).Build()),
        ["PlanReviewOverdue: at the review date"] =
            new(CareGapRule.PlanReviewOverdue, "plan", Day(90), () => Client().PlanReviewDue(Day(90)).Build()),
        ["ReassessmentOverdue: at the assessment review date"] =
            new(CareGapRule.ReassessmentOverdue, "assessment", Day(180), () => Client().With(AssessedAt(T0, Day(180))).Build()),
        ["MissedAppointments: at the second missed appointment"] =
            new(CareGapRule.MissedAppointments, "appointments", Day(5), () => Client().Missed(2, Day(5)).Build()),
        ["NoLeadWorker: at registration"] =
            new(CareGapRule.NoLeadWorker, "lead-worker", Day(2), () => Client().RegisteredAt(Day(2)).WithoutLeadWorker().Build()),
        ["ConsentExpiring: 14 days before expiry"] =
            new(CareGapRule.ConsentExpiring, "consent", Day(46), () => Client().With(ConsentUntil(Day(60))).Build()),
        ["ConsentExpired: at expiry"] =
            new(CareGapRule.ConsentExpired, "consent", Day(60), () => Client().With(ConsentUntil(Day(60))).Build()),
    };

    public static TheoryData<string> Names => new(All.Keys);
}

public class ClientGapThresholdTests
{
    private static readonly TimeSpan Escalation = CareGapThresholds.Default.Escalation;

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void Not_open_one_minute_before_the_threshold(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();

        var changes = Reconcile(client, due - OneMinute);

        Assert.False(changes.Opened.Has(rule, subject));
        Assert.False(client.Gaps.IsOpen(rule, subject));
    }

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void Opens_exactly_at_the_threshold(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();
        Reconcile(client, due - OneMinute);

        var changes = Reconcile(client, due);

        var opened = changes.Opened.Of(rule, subject);
        Assert.NotNull(opened);
        Assert.Equal(due, opened.DueAt);
        Assert.Equal(due, opened.OpenedAt);
        Assert.Equal(ClientFeed, opened.FeedId);
        Assert.StartsWith(ClientPrefix, opened.GapId);
        Assert.Null(opened.AcknowledgedAt);
        Assert.Null(opened.EscalatedAt);
        Assert.Equal(opened, client.Gaps.OpenGap(rule, subject));
    }

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void Following_NextDueAt_wakes_the_client_exactly_at_the_threshold(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();
        var now = due - TimeSpan.FromDays(3);
        var changes = Reconcile(client, now);

        for (var wakeUps = 0; !client.Gaps.IsOpen(rule, subject); wakeUps++)
        {
            Assert.True(wakeUps < 20, "the clock never reached the threshold");
            var next = changes.NextDueAt;
            Assert.NotNull(next);
            Assert.True(next > now, $"NextDueAt {next:O} is not after {now:O}");
            Assert.True(next <= due, $"NextDueAt {next:O} overshoots the threshold {due:O}");
            now = next.Value;
            changes = Reconcile(client, now);
        }

        Assert.Equal(due, now);
    }

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void Escalates_when_nobody_acknowledges_it_within_48_hours(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();
        Reconcile(client, due);

        var justBefore = Reconcile(client, due + Escalation - OneMinute);
        Assert.False(justBefore.Escalated.Has(rule, subject));
        Assert.Null(client.Gaps.OpenGap(rule, subject)!.EscalatedAt);

        var atEscalation = Reconcile(client, due + Escalation);
        var escalated = atEscalation.Escalated.Of(rule, subject);
        Assert.NotNull(escalated);
        Assert.Equal(due + Escalation, escalated.EscalatedAt);
        Assert.Equal(due + Escalation, client.Gaps.OpenGap(rule, subject)!.EscalatedAt);
    }

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void Does_not_escalate_once_acknowledged(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();
        Reconcile(client, due);
        var gap = client.Gaps.OpenGap(rule, subject)!;

        GapKeeping.Acknowledge(client.Gaps, gap.GapId, "w2", due + TimeSpan.FromHours(47));
        var atEscalation = Reconcile(client, due + Escalation);
        var later = Reconcile(client, due + Escalation + TimeSpan.FromDays(1));

        Assert.False(atEscalation.Escalated.Has(rule, subject));
        Assert.False(later.Escalated.Has(rule, subject));
        var stillOpen = client.Gaps.OpenGap(rule, subject);
        Assert.NotNull(stillOpen);
        Assert.Null(stillOpen.EscalatedAt);
        Assert.Equal("w2", stillOpen.AcknowledgedBy);
    }

    [Theory]
    [MemberData(nameof(ClientRuleScenarios.Names), MemberType = typeof(ClientRuleScenarios))]
    public void A_resolved_gap_is_not_reopened_for_the_same_occurrence(string scenario)
    {
        var (rule, subject, due, build) = ClientRuleScenarios.All[scenario];
        var client = build();
        Reconcile(client, due);
        var gap = client.Gaps.OpenGap(rule, subject)!;

        GapKeeping.Resolve(client.Gaps, gap.GapId, due + TimeSpan.FromHours(1));
        var changes = Reconcile(client, due + TimeSpan.FromDays(1));

        Assert.False(changes.Opened.Has(rule, subject));
        Assert.False(client.Gaps.IsOpen(rule, subject));
        var closed = Assert.Single(client.Gaps.History, h => h.Gap.GapId == gap.GapId);
        Assert.Equal(GapClosure.ResolvedByWorker, closed.Closure);
    }
}
