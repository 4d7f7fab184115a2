using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using static CareCoordination.Tests.CareGaps.ClientBuilder;
using static CareCoordination.Tests.CareGaps.Kit;

namespace CareCoordination.Tests.CareGaps;

/// <summary>
/// What each client rule looks at, what its variants are, and which event makes its gap close by itself.
/// (The threshold-minus-a-minute, clock and escalation checks for every rule are in <see cref="ClientGapThresholdTests"/>.)
/// </summary>
public class ClientGapRulesTests
{
    private static void AssertClosedByCondition(ClientState client, GapChanges changes, CareGapRule rule, string subject, DateTimeOffset at)
    {
        var closed = changes.Closed.Of(rule, subject);
        Assert.NotNull(closed);
        Assert.False(client.Gaps.IsOpen(rule, subject));
        var entry = Assert.Single(client.Gaps.History, h => h.Gap.GapId == closed.GapId);
        Assert.Equal(GapClosure.ConditionEnded, entry.Closure);
        Assert.Equal(at, entry.ClosedAt);
    }

    // ---- NoRecentContact -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(RiskLevel.Standard, 30, GapSeverity.Warning)]
    [InlineData(RiskLevel.High, 14, GapSeverity.Urgent)]
    public void NoRecentContact_threshold_and_severity_follow_the_risk_level(RiskLevel risk, int days, GapSeverity severity)
    {
        var client = risk == RiskLevel.High ? Client().HighRisk().Build() : Client().Build();

        Assert.False(Reconcile(client, Day(days) - OneMinute).Opened.Has(CareGapRule.NoRecentContact));
        var gap = Reconcile(client, Day(days)).Opened.Of(CareGapRule.NoRecentContact);

        Assert.NotNull(gap);
        Assert.Equal(severity, gap.Severity);
        Assert.Contains($"{days} days", gap.Action);
    }

    [Fact]
    public void NoRecentContact_for_a_standard_client_is_not_open_at_the_high_risk_threshold()
    {
        var client = Client().Build();

        Reconcile(client, Day(14));
        Reconcile(client, Day(29));

        Assert.False(client.Gaps.IsOpen(CareGapRule.NoRecentContact));
    }

    [Fact]
    public void Raising_the_risk_after_15_days_without_contact_opens_NoRecentContact_at_once()
    {
        var client = Client().Build();
        Reconcile(client, Day(20));
        Assert.False(client.Gaps.IsOpen(CareGapRule.NoRecentContact));

        client.Profile = client.Profile with { Risk = RiskLevel.High };
        var gap = Reconcile(client, Day(20)).Opened.Of(CareGapRule.NoRecentContact);

        Assert.NotNull(gap);
        Assert.Equal(Day(14), gap.DueAt);
        Assert.Equal(GapSeverity.Urgent, gap.Severity);
    }

    [Fact]
    public void Recording_a_contact_closes_NoRecentContact_and_restarts_the_count()
    {
        var client = Client().Build();
        Reconcile(client, Day(30));
        Assert.True(client.Gaps.IsOpen(CareGapRule.NoRecentContact));

        client.LastContactAt = Day(31);
        var changes = Reconcile(client, Day(31));

        AssertClosedByCondition(client, changes, CareGapRule.NoRecentContact, "contact", Day(31));
        Assert.Equal(Day(61), changes.NextDueAt);
    }

    [Fact]
    public void NoRecentContact_honours_configured_thresholds()
    {
        var t = CareGapThresholds.Default with { NoRecentContact = TimeSpan.FromDays(7), NoRecentContactHighRisk = TimeSpan.FromDays(3) };
        var standard = Client().Build();
        var highRisk = Client().HighRisk().Build();

        Assert.False(Reconcile(standard, Day(7) - OneMinute, t).Opened.Has(CareGapRule.NoRecentContact));
        Assert.True(Reconcile(standard, Day(7), t).Opened.Has(CareGapRule.NoRecentContact));
        Assert.False(Reconcile(highRisk, Day(3) - OneMinute, t).Opened.Has(CareGapRule.NoRecentContact));
        Assert.True(Reconcile(highRisk, Day(3), t).Opened.Has(CareGapRule.NoRecentContact));
    }

    // ---- ReferralNotAcknowledged -----------------------------------------------------------------------------

    [Theory]
    [InlineData(ReferralStatus.Accepted)]
    [InlineData(ReferralStatus.Declined)]
    [InlineData(ReferralStatus.Waitlisted)]
    public void The_program_answering_closes_ReferralNotAcknowledged(ReferralStatus answer)
    {
        var sent = SentReferral("r1", NeedDomain.Housing, Day(1));
        var client = Client().With(sent).Build();
        Reconcile(client, Day(4));
        Assert.True(client.Gaps.IsOpen(CareGapRule.ReferralNotAcknowledged, "r1"));

        client.Referrals[0] = sent.Answered(answer, Day(4) + TimeSpan.FromHours(2));
        var changes = Reconcile(client, Day(4) + TimeSpan.FromHours(2));

        AssertClosedByCondition(client, changes, CareGapRule.ReferralNotAcknowledged, "r1", Day(4) + TimeSpan.FromHours(2));
    }

    [Fact]
    public void An_answer_within_the_SLA_means_ReferralNotAcknowledged_never_opens()
    {
        var client = Client().With(SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Accepted, Day(2))).Build();

        Reconcile(client, Day(30));

        Assert.False(client.Gaps.IsOpen(CareGapRule.ReferralNotAcknowledged));
    }

    [Fact]
    public void The_programs_SLA_takes_precedence_over_the_configured_threshold()
    {
        var t = CareGapThresholds.Default with { ReferralNotAcknowledged = TimeSpan.FromHours(100) };
        var client = Client().With(SentReferral("r1", NeedDomain.Housing, Day(1), programSla: TimeSpan.FromHours(24))).Build();

        Assert.False(Reconcile(client, Day(2) - OneMinute, t).Opened.Has(CareGapRule.ReferralNotAcknowledged));
        Assert.True(Reconcile(client, Day(2), t).Opened.Has(CareGapRule.ReferralNotAcknowledged, "r1"));
    }

    [Fact]
    public void Without_a_program_SLA_the_configured_threshold_applies()
    {
        var t = CareGapThresholds.Default with { ReferralNotAcknowledged = TimeSpan.FromHours(24) };
        var client = Client().With(SentReferral("r1", NeedDomain.Housing, Day(1))).Build();

        Assert.False(Reconcile(client, Day(2) - OneMinute, t).Opened.Has(CareGapRule.ReferralNotAcknowledged));
        Assert.True(Reconcile(client, Day(2), t).Opened.Has(CareGapRule.ReferralNotAcknowledged, "r1"));
    }

    [Fact]
    public void Each_unanswered_referral_gets_its_own_gap()
    {
        var client = Client()
            .With(SentReferral("r1", NeedDomain.Housing, Day(1)))
            .With(SentReferral("r2", NeedDomain.Employment, Day(2)))
            .Build();

        var changes = Reconcile(client, Day(6));

        Assert.True(changes.Opened.Has(CareGapRule.ReferralNotAcknowledged, "r1"));
        Assert.True(changes.Opened.Has(CareGapRule.ReferralNotAcknowledged, "r2"));
        Assert.Contains("r1", client.Gaps.OpenGap(CareGapRule.ReferralNotAcknowledged, "r1")!.Action);
    }

    // ---- ReferralDeadEnd -------------------------------------------------------------------------------------

    private static Referral DeclinedHousing(string id = "r1", double sentDay = 1, double declinedDay = 2) =>
        SentReferral(id, NeedDomain.Housing, Day(sentDay)).Answered(ReferralStatus.Declined, Day(declinedDay));

    [Fact]
    public void ReferralDeadEnd_is_not_raised_while_another_referral_for_the_domain_is_open()
    {
        var client = Client().With(DeclinedHousing()).With(SentReferral("r2", NeedDomain.Housing, Day(3))
            .Answered(ReferralStatus.Accepted, Day(4))).Build();

        Reconcile(client, Day(60));

        Assert.False(client.Gaps.IsOpen(CareGapRule.ReferralDeadEnd));
    }

    [Fact]
    public void ReferralDeadEnd_is_not_raised_while_the_domain_has_an_active_enrollment()
    {
        var client = Client().With(DeclinedHousing()).With(new Enrollment("p2", "r0", NeedDomain.Housing, Day(1), null, "")).Build();

        Reconcile(client, Day(60));

        Assert.False(client.Gaps.IsOpen(CareGapRule.ReferralDeadEnd));
    }

    [Fact]
    public void Support_in_another_domain_does_not_prevent_ReferralDeadEnd()
    {
        var other = SentReferral("r2", NeedDomain.Employment, Day(1));
        var client = Client().With(DeclinedHousing()).With(other).With(ActiveEnrollment(other, Day(1))).Build();

        Reconcile(client, Day(9));

        Assert.True(client.Gaps.IsOpen(CareGapRule.ReferralDeadEnd, "Housing"));
        Assert.False(client.Gaps.IsOpen(CareGapRule.ReferralDeadEnd, "Employment"));
    }

    [Fact]
    public void A_new_referral_for_the_domain_closes_ReferralDeadEnd()
    {
        var client = Client().With(DeclinedHousing()).Build();
        Reconcile(client, Day(9));
        Assert.True(client.Gaps.IsOpen(CareGapRule.ReferralDeadEnd, "Housing"));

        client.Referrals.Add(SentReferral("r2", NeedDomain.Housing, Day(10)));
        var changes = Reconcile(client, Day(10));

        AssertClosedByCondition(client, changes, CareGapRule.ReferralDeadEnd, "Housing", Day(10));
    }

    [Fact]
    public void Several_dead_ends_in_a_domain_make_one_gap_due_7_days_after_the_latest_answer()
    {
        var client = Client().With(DeclinedHousing("r1", 1, 2)).With(DeclinedHousing("r2", 3, 5)).Build();

        Assert.False(Reconcile(client, Day(12) - OneMinute).Opened.Has(CareGapRule.ReferralDeadEnd));
        var changes = Reconcile(client, Day(12));

        var gap = Assert.Single(changes.Opened, g => g.Rule == CareGapRule.ReferralDeadEnd);
        Assert.Equal("Housing", gap.Subject);
        Assert.Equal(Day(12), gap.DueAt);
    }

    [Fact]
    public void ReferralDeadEnd_honours_a_configured_threshold()
    {
        var t = CareGapThresholds.Default with { ReferralDeadEnd = TimeSpan.FromDays(3) };
        var client = Client().With(DeclinedHousing(declinedDay: 2)).Build();

        Assert.False(Reconcile(client, Day(5) - OneMinute, t).Opened.Has(CareGapRule.ReferralDeadEnd));
        Assert.True(Reconcile(client, Day(5), t).Opened.Has(CareGapRule.ReferralDeadEnd, "Housing"));
    }

    // ---- EnrollmentNotStarted --------------------------------------------------------------------------------

    [Fact]
    public void Enrolling_closes_EnrollmentNotStarted()
    {
        var accepted = SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Accepted, Day(2));
        var client = Client().With(accepted).Build();
        Reconcile(client, Day(16));
        Assert.True(client.Gaps.IsOpen(CareGapRule.EnrollmentNotStarted, "r1"));

        client.Referrals[0] = accepted.Answered(ReferralStatus.Enrolled, Day(17));
        client.Enrollments.Add(ActiveEnrollment(accepted, Day(17)));
        var changes = Reconcile(client, Day(17));

        AssertClosedByCondition(client, changes, CareGapRule.EnrollmentNotStarted, "r1", Day(17));
        Assert.Empty(changes.Opened);
    }

    [Fact]
    public void EnrollmentNotStarted_counts_from_the_acceptance_not_from_sending()
    {
        var client = Client().With(SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Accepted, Day(3))).Build();

        Assert.False(Reconcile(client, Day(17) - OneMinute).Opened.Has(CareGapRule.EnrollmentNotStarted));
        Assert.True(Reconcile(client, Day(17)).Opened.Has(CareGapRule.EnrollmentNotStarted, "r1"));
    }

    [Fact]
    public void EnrollmentNotStarted_honours_a_configured_threshold()
    {
        var t = CareGapThresholds.Default with { EnrollmentNotStarted = TimeSpan.FromDays(5) };
        var client = Client().With(SentReferral("r1", NeedDomain.Housing, Day(1)).Answered(ReferralStatus.Accepted, Day(2))).Build();

        Assert.False(Reconcile(client, Day(7) - OneMinute, t).Opened.Has(CareGapRule.EnrollmentNotStarted));
        Assert.True(Reconcile(client, Day(7), t).Opened.Has(CareGapRule.EnrollmentNotStarted, "r1"));
    }

    // ---- UnmetNeed -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1, null)]
    [InlineData(2, null)]
    [InlineData(3, GapSeverity.Warning)]
    [InlineData(4, GapSeverity.Urgent)]
    [InlineData(5, GapSeverity.Urgent)]
    public void UnmetNeed_is_raised_from_severity_3_and_is_urgent_from_4(int severity, GapSeverity? expected)
    {
        var client = Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, severity))).Build();

        Reconcile(client, Day(15));

        Assert.Equal(expected, client.Gaps.OpenGap(CareGapRule.UnmetNeed, "Housing")?.Severity);
    }

    public enum Support { OpenGoal, OpenReferral, ActiveEnrollment }

    private static void Add(ClientState client, Support support, NeedDomain domain, DateTimeOffset at)
    {
        switch (support)
        {
            case Support.OpenGoal:
                client.Goals.Add(OpenGoal("goal-9", domain, null));
                break;
            case Support.OpenReferral:
                client.Referrals.Add(SentReferral("r9", domain, at));
                break;
            case Support.ActiveEnrollment:
                var r = SentReferral("r9", domain, at).Answered(ReferralStatus.Enrolled, at);
                client.Referrals.Add(r);
                client.Enrollments.Add(ActiveEnrollment(r, at));
                break;
        }
    }

    [Theory]
    [InlineData(Support.OpenGoal)]
    [InlineData(Support.OpenReferral)]
    [InlineData(Support.ActiveEnrollment)]
    public void Putting_support_in_place_for_the_domain_closes_UnmetNeed(Support support)
    {
        var client = Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 3))).Build();
        Reconcile(client, Day(15));
        Assert.True(client.Gaps.IsOpen(CareGapRule.UnmetNeed, "Housing"));

        Add(client, support, NeedDomain.Housing, Day(16));
        var changes = Reconcile(client, Day(16));

        AssertClosedByCondition(client, changes, CareGapRule.UnmetNeed, "Housing", Day(16));
    }

    [Theory]
    [InlineData(Support.OpenGoal)]
    [InlineData(Support.OpenReferral)]
    [InlineData(Support.ActiveEnrollment)]
    public void Support_in_another_domain_leaves_UnmetNeed_open(Support support)
    {
        var client = Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 3))).Build();
        Add(client, support, NeedDomain.Employment, Day(2));

        Reconcile(client, Day(15));

        Assert.True(client.Gaps.IsOpen(CareGapRule.UnmetNeed, "Housing"));
    }

    [Fact]
    public void An_achieved_goal_or_a_declined_referral_is_not_support_for_UnmetNeed()
    {
        var client = Client()
            .With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 3)))
            .With(OpenGoal("goal-1", NeedDomain.Housing, null) with { Status = GoalStatus.Achieved })
            .With(SentReferral("r1", NeedDomain.Housing, Day(2)).Answered(ReferralStatus.Declined, Day(3)))
            .Build();

        Reconcile(client, Day(15));

        Assert.True(client.Gaps.IsOpen(CareGapRule.UnmetNeed, "Housing"));
    }

    [Fact]
    public void Each_unmet_domain_gets_its_own_gap()
    {
        var client = Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 3), new Need(NeedDomain.Language, 4))).Build();

        var changes = Reconcile(client, Day(15));

        Assert.True(changes.Opened.Has(CareGapRule.UnmetNeed, "Housing"));
        Assert.True(changes.Opened.Has(CareGapRule.UnmetNeed, "Language"));
    }

    [Fact]
    public void UnmetNeed_honours_configured_severity_and_delay()
    {
        var t = CareGapThresholds.Default with { UnmetNeedMinimumSeverity = 2, UnmetNeed = TimeSpan.FromDays(7) };
        var client = Client().With(AssessedAt(Day(1), new Need(NeedDomain.Housing, 2))).Build();

        Assert.False(Reconcile(client, Day(8) - OneMinute, t).Opened.Has(CareGapRule.UnmetNeed));
        Assert.True(Reconcile(client, Day(8), t).Opened.Has(CareGapRule.UnmetNeed, "Housing"));
    }

    // ---- GoalOverdue -----------------------------------------------------------------------------------------

    [Theory]
    [InlineData(GoalStatus.Achieved)]
    [InlineData(GoalStatus.Abandoned)]
    public void Finishing_the_goal_closes_GoalOverdue(GoalStatus outcome)
    {
        var goal = OpenGoal("goal-1", NeedDomain.Housing, Day(20));
        var client = Client().With(goal).Build();
        Reconcile(client, Day(20));
        Assert.True(client.Gaps.IsOpen(CareGapRule.GoalOverdue, "goal-1"));

        client.Goals[0] = goal with { Status = outcome, UpdatedAt = Day(21) };
        var changes = Reconcile(client, Day(21));

        AssertClosedByCondition(client, changes, CareGapRule.GoalOverdue, "goal-1", Day(21));
    }

    [Fact]
    public void Moving_the_target_date_closes_GoalOverdue_until_the_new_date()
    {
        var goal = OpenGoal("goal-1", NeedDomain.Housing, Day(20));
        var client = Client().With(goal).Build();
        Reconcile(client, Day(20));

        client.Goals[0] = goal with { TargetDate = Day(50) };
        AssertClosedByCondition(client, Reconcile(client, Day(21)), CareGapRule.GoalOverdue, "goal-1", Day(21));

        Assert.False(Reconcile(client, Day(50) - OneMinute).Opened.Has(CareGapRule.GoalOverdue));
        Assert.True(Reconcile(client, Day(50)).Opened.Has(CareGapRule.GoalOverdue, "goal-1"));
    }

    [Fact]
    public void A_goal_without_a_target_date_is_never_overdue()
    {
        var client = Client().With(OpenGoal("goal-1", NeedDomain.Housing, null)).Build();

        Reconcile(client, Day(400));

        Assert.False(client.Gaps.IsOpen(CareGapRule.GoalOverdue));
    }

    // ---- PlanReviewOverdue / ReassessmentOverdue -------------------------------------------------------------

    [Fact]
    public void Reviewing_the_plan_closes_PlanReviewOverdue()
    {
        var client = Client().PlanReviewDue(Day(90)).Build();
        Reconcile(client, Day(90));
        Assert.True(client.Gaps.IsOpen(CareGapRule.PlanReviewOverdue, "plan"));

        client.PlanLastReviewedAt = Day(92);
        client.PlanReviewDue = Day(92) + CareGapThresholds.Default.PlanReview;
        var changes = Reconcile(client, Day(92));

        AssertClosedByCondition(client, changes, CareGapRule.PlanReviewOverdue, "plan", Day(92));
    }

    [Fact]
    public void A_client_without_a_plan_has_no_PlanReviewOverdue()
    {
        var client = Client().Build();

        Reconcile(client, Day(400));

        Assert.False(client.Gaps.IsOpen(CareGapRule.PlanReviewOverdue));
    }

    [Fact]
    public void A_new_assessment_closes_ReassessmentOverdue()
    {
        var client = Client().With(AssessedAt(T0, Day(180))).Build();
        Reconcile(client, Day(180));
        Assert.True(client.Gaps.IsOpen(CareGapRule.ReassessmentOverdue, "assessment"));

        client.Assessment = AssessedAt(Day(181));
        var changes = Reconcile(client, Day(181));

        AssertClosedByCondition(client, changes, CareGapRule.ReassessmentOverdue, "assessment", Day(181));
    }

    // ---- MissedAppointments ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void MissedAppointments_opens_from_the_second_consecutive_miss(int consecutive, bool expected)
    {
        var client = Client().Missed(consecutive, Day(5)).Build();

        Reconcile(client, Day(5));

        Assert.Equal(expected, client.Gaps.IsOpen(CareGapRule.MissedAppointments, "appointments"));
        if (expected) Assert.Equal(GapSeverity.Urgent, client.Gaps.OpenGap(CareGapRule.MissedAppointments)!.Severity);
    }

    [Fact]
    public void An_attended_appointment_resets_the_count_and_closes_MissedAppointments()
    {
        var client = Client().Missed(2, Day(5)).Build();
        Reconcile(client, Day(5));
        Assert.True(client.Gaps.IsOpen(CareGapRule.MissedAppointments));

        // As ClientGrain.RecordContactAsync does for an attended appointment.
        client.ConsecutiveMissedAppointments = 0;
        client.LastContactAt = Day(8);
        var changes = Reconcile(client, Day(8));

        AssertClosedByCondition(client, changes, CareGapRule.MissedAppointments, "appointments", Day(8));
    }

    [Fact]
    public void MissedAppointments_honours_a_configured_count()
    {
        var t = CareGapThresholds.Default with { MissedAppointments = 3 };
        var client = Client().Missed(2, Day(5)).Build();

        Reconcile(client, Day(5), t);
        Assert.False(client.Gaps.IsOpen(CareGapRule.MissedAppointments));

        client.ConsecutiveMissedAppointments = 3;
        client.LastMissedAt = Day(9);
        Assert.True(Reconcile(client, Day(9), t).Opened.Has(CareGapRule.MissedAppointments));
    }

    // ---- NoLeadWorker ----------------------------------------------------------------------------------------

    [Fact]
    public void NoLeadWorker_is_open_immediately_at_registration()
    {
        var client = Client().WithoutLeadWorker().Build();

        var gap = Reconcile(client, T0).Opened.Of(CareGapRule.NoLeadWorker, "lead-worker");

        Assert.NotNull(gap);
        Assert.Equal(T0, gap.DueAt);
    }

    [Fact]
    public void Assigning_a_lead_worker_closes_NoLeadWorker()
    {
        var client = Client().WithoutLeadWorker().Build();
        Reconcile(client, T0);

        client.TeamId = "t1";
        client.LeadWorkerId = "w7";
        var changes = Reconcile(client, Day(1));

        AssertClosedByCondition(client, changes, CareGapRule.NoLeadWorker, "lead-worker", Day(1));
    }

    // ---- ConsentExpiring / ConsentExpired --------------------------------------------------------------------

    [Fact]
    public void Consent_warns_14_days_ahead_and_turns_into_expired_at_expiry()
    {
        var client = Client().LastContact(Day(40)).With(ConsentUntil(Day(60))).Build();

        var before = Reconcile(client, Day(46) - OneMinute);
        Assert.False(client.Gaps.IsOpen(CareGapRule.ConsentExpiring));
        Assert.Equal(Day(46), before.NextDueAt);

        var warning = Reconcile(client, Day(46)).Opened.Of(CareGapRule.ConsentExpiring, "consent");
        Assert.NotNull(warning);
        Assert.Equal(GapSeverity.Info, warning.Severity);

        GapKeeping.Acknowledge(client.Gaps, warning.GapId, "w1", Day(47));
        var lastMinute = Reconcile(client, Day(60) - OneMinute);
        Assert.True(client.Gaps.IsOpen(CareGapRule.ConsentExpiring));
        Assert.False(client.Gaps.IsOpen(CareGapRule.ConsentExpired));
        Assert.Equal(Day(60), lastMinute.NextDueAt);

        var atExpiry = Reconcile(client, Day(60));
        Assert.True(atExpiry.Closed.Has(CareGapRule.ConsentExpiring));
        var expired = atExpiry.Opened.Of(CareGapRule.ConsentExpired, "consent");
        Assert.NotNull(expired);
        Assert.Equal(GapSeverity.Warning, expired.Severity);
        Assert.False(client.Gaps.IsOpen(CareGapRule.ConsentExpiring));
    }

    [Fact]
    public void Renewing_consent_before_expiry_closes_ConsentExpiring()
    {
        var client = Client().With(ConsentUntil(Day(60))).Build();
        Reconcile(client, Day(50));
        Assert.True(client.Gaps.IsOpen(CareGapRule.ConsentExpiring));

        client.Consent = ConsentUntil(Day(50) + TimeSpan.FromDays(365), grantedAt: Day(50));
        var changes = Reconcile(client, Day(50));

        AssertClosedByCondition(client, changes, CareGapRule.ConsentExpiring, "consent", Day(50));
        Reconcile(client, Day(60));
        Assert.False(client.Gaps.IsOpen(CareGapRule.ConsentExpired));
    }

    [Fact]
    public void Renewing_consent_after_expiry_closes_ConsentExpired()
    {
        var client = Client().With(ConsentUntil(Day(60))).Build();
        Reconcile(client, Day(61));
        Assert.True(client.Gaps.IsOpen(CareGapRule.ConsentExpired));

        client.Consent = ConsentUntil(null, grantedAt: Day(62));
        var changes = Reconcile(client, Day(62));

        AssertClosedByCondition(client, changes, CareGapRule.ConsentExpired, "consent", Day(62));
    }

    [Fact]
    public void Consent_without_an_expiry_date_raises_no_consent_gaps()
    {
        var client = Client().With(ConsentUntil(null)).Build();

        Assert.Empty(ClientGapRules.Consent(client, CareGapThresholds.Default));
    }

    [Fact]
    public void ConsentExpiring_honours_a_configured_notice()
    {
        var t = CareGapThresholds.Default with { ConsentExpiringNotice = TimeSpan.FromDays(30) };
        var client = Client().With(ConsentUntil(Day(60))).Build();

        Assert.False(Reconcile(client, Day(30) - OneMinute, t).Opened.Has(CareGapRule.ConsentExpiring));
        Assert.True(Reconcile(client, Day(30), t).Opened.Has(CareGapRule.ConsentExpiring));
    }

    // ---- the client as a whole -------------------------------------------------------------------------------

    [Fact]
    public void A_closed_or_unregistered_client_has_no_candidates()
    {
        var closed = Client().WithoutLeadWorker().Missed(3, Day(1)).Build();
        closed.Closed = true;
        closed.ClosedAt = Day(2);
        var unregistered = Client().WithoutLeadWorker().Build();
        unregistered.Registered = false;

        Assert.Empty(ClientGapRules.Candidates(closed, CareGapThresholds.Default));
        Assert.Empty(ClientGapRules.Candidates(unregistered, CareGapThresholds.Default));
    }

    [Fact]
    public void A_quiet_active_client_only_has_the_contact_candidate()
    {
        var client = Client().Build();

        var candidate = Assert.Single(ClientGapRules.Candidates(client, CareGapThresholds.Default));

        Assert.Equal(CareGapRule.NoRecentContact, candidate.Rule);
        Assert.Equal(Day(30), candidate.DueAt);
    }
}
