using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using static CareCoordination.Tests.CareGaps.ClientBuilder;
using static CareCoordination.Tests.CareGaps.Kit;

namespace CareCoordination.Tests.CareGaps;

/// <summary>The engine's bookkeeping: opening, closing, escalation, acknowledgement, resolution and the next wake-up.</summary>
public class CareGapEngineTests
{
    private static readonly TimeSpan Escalation = CareGapThresholds.Default.Escalation;

    private static GapCandidate Candidate(CareGapRule rule, string subject, DateTimeOffset dueAt, DateTimeOffset? until = null) =>
        new(rule, subject, dueAt, until, GapSeverity.Warning, $"do something about {subject}");

    // ---- opening and closing ---------------------------------------------------------------------------------

    [Fact]
    public void Opened_gaps_are_numbered_in_due_order_under_the_owner_prefix_and_carry_the_feed()
    {
        var client = Client().WithoutLeadWorker().With(OpenGoal("goal-1", NeedDomain.Housing, Day(3))).Build();

        var changes = Reconcile(client, Day(10));

        Assert.Collection(changes.Opened,
            g => { Assert.Equal("client/c1/g1", g.GapId); Assert.Equal(CareGapRule.NoLeadWorker, g.Rule); },
            g => { Assert.Equal("client/c1/g2", g.GapId); Assert.Equal(CareGapRule.GoalOverdue, g.Rule); });
        Assert.All(changes.Opened, g =>
        {
            Assert.Equal(Day(10), g.OpenedAt);
            Assert.Equal(ClientFeed, g.FeedId);
            Assert.False(string.IsNullOrWhiteSpace(g.Action));
        });
        Assert.Equal(Day(3), changes.Opened[1].DueAt);
        Assert.Equal(3, client.Gaps.NextGapNumber);
    }

    [Fact]
    public void Reconciling_again_with_nothing_changed_changes_nothing()
    {
        var client = Client().WithoutLeadWorker().Build();
        var first = Reconcile(client, Day(1));
        var gap = client.Gaps.OpenGap(CareGapRule.NoLeadWorker);

        var second = Reconcile(client, Day(1) + TimeSpan.FromHours(1));

        Assert.True(first.Any);
        Assert.False(second.Any);
        Assert.Equal(gap, client.Gaps.OpenGap(CareGapRule.NoLeadWorker));
    }

    [Fact]
    public void A_gap_keeps_its_id_while_its_condition_holds()
    {
        var client = Client().Missed(2, Day(5)).Build();
        Reconcile(client, Day(5));
        var gapId = client.Gaps.OpenGap(CareGapRule.MissedAppointments)!.GapId;

        client.ConsecutiveMissedAppointments = 3;
        client.LastMissedAt = Day(6);
        var changes = Reconcile(client, Day(6));

        Assert.False(changes.Opened.Has(CareGapRule.MissedAppointments));
        Assert.False(changes.Closed.Has(CareGapRule.MissedAppointments));
        Assert.Equal(gapId, client.Gaps.OpenGap(CareGapRule.MissedAppointments)!.GapId);
    }

    [Fact]
    public void An_open_gap_whose_occurrence_moves_takes_the_new_due_time_so_resolving_it_holds()
    {
        var client = Client().Missed(2, Day(5)).Build();
        Reconcile(client, Day(5));
        client.ConsecutiveMissedAppointments = 3;
        client.LastMissedAt = Day(6);
        Reconcile(client, Day(6));
        var gap = client.Gaps.OpenGap(CareGapRule.MissedAppointments)!;
        Assert.Equal(Day(6), gap.DueAt);

        GapKeeping.Resolve(client.Gaps, gap.GapId, Day(6));
        var changes = Reconcile(client, Day(6) + OneMinute);

        Assert.False(changes.Opened.Has(CareGapRule.MissedAppointments));
        Assert.False(client.Gaps.IsOpen(CareGapRule.MissedAppointments));
    }

    [Fact]
    public void Raising_risk_to_high_makes_an_open_no_contact_gap_urgent_with_the_high_risk_due_time()
    {
        var client = Client().Build();
        Reconcile(client, Day(31));
        Assert.Equal(GapSeverity.Warning, client.Gaps.OpenGap(CareGapRule.NoRecentContact)!.Severity);

        client.Profile = client.Profile with { Risk = RiskLevel.High };
        Reconcile(client, Day(31) + OneMinute);

        var gap = client.Gaps.OpenGap(CareGapRule.NoRecentContact)!;
        Assert.Equal((GapSeverity.Urgent, Day(14)), (gap.Severity, gap.DueAt));
    }

    [Fact]
    public void Of_two_candidates_with_the_same_key_the_earliest_occurrence_is_opened()
    {
        var book = new GapBook();
        var candidates = new[]
        {
            Candidate(CareGapRule.GoalOverdue, "goal-1", Day(5)),
            Candidate(CareGapRule.GoalOverdue, "goal-1", Day(2)),
        };

        var changes = CareGapEngine.Reconcile(book, candidates, Day(10), CareGapThresholds.Default, ClientPrefix, ClientFeed);

        var gap = Assert.Single(changes.Opened);
        Assert.Equal(Day(2), gap.DueAt);
    }

    [Fact]
    public void A_window_candidate_is_open_only_between_its_due_time_and_its_end()
    {
        var book = new GapBook();
        GapCandidate[] window = [Candidate(CareGapRule.ConsentExpiring, "consent", Day(10), until: Day(20))];
        GapChanges At(DateTimeOffset now) => CareGapEngine.Reconcile(book, window, now, CareGapThresholds.Default, ClientPrefix, ClientFeed);

        Assert.Empty(At(Day(10) - OneMinute).Opened);
        Assert.Single(At(Day(10)).Opened);
        Assert.Empty(At(Day(20) - OneMinute).Closed);
        var end = At(Day(20));

        Assert.Single(end.Closed);
        Assert.Empty(book.Open);
        Assert.Null(end.NextDueAt);
    }

    [Fact]
    public void Closing_the_case_closes_every_open_gap_and_stops_the_clock()
    {
        var client = Client().WithoutLeadWorker().Missed(2, Day(1)).With(ConsentUntil(Day(40))).Build();
        Reconcile(client, Day(35));
        Assert.Equal(4, client.Gaps.Open.Count); // NoLeadWorker, MissedAppointments, NoRecentContact, ConsentExpiring

        client.Closed = true;
        client.ClosedAt = Day(36);
        var changes = Reconcile(client, Day(36));

        Assert.Empty(ClientGapRules.Candidates(client, CareGapThresholds.Default));
        Assert.Equal(4, changes.Closed.Count);
        Assert.Empty(changes.Opened);
        Assert.Empty(client.Gaps.Open);
        Assert.All(client.Gaps.History, h => Assert.Equal(GapClosure.ConditionEnded, h.Closure));
        Assert.All(client.Gaps.History, h => Assert.Equal(Day(36), h.ClosedAt));
        Assert.Null(changes.NextDueAt);
        Assert.False(Reconcile(client, Day(100)).Any);
    }

    [Fact]
    public void History_keeps_only_the_most_recent_closed_gaps()
    {
        var client = Client().Build();
        for (var i = 0; i < GapBook.HistoryCapacity + 5; i++)
        {
            client.ConsecutiveMissedAppointments = 2;
            client.LastMissedAt = Day(i);
            Reconcile(client, Day(i));
            client.ConsecutiveMissedAppointments = 0;
            client.LastContactAt = Day(i) + TimeSpan.FromHours(1);
            Reconcile(client, Day(i) + TimeSpan.FromHours(1));
        }

        Assert.Equal(GapBook.HistoryCapacity, client.Gaps.History.Count);
        Assert.Equal($"{ClientPrefix}g{GapBook.HistoryCapacity + 5}", client.Gaps.History[^1].Gap.GapId);
    }

    // ---- escalation ------------------------------------------------------------------------------------------

    [Fact]
    public void A_gap_escalates_only_once()
    {
        var client = Client().WithoutLeadWorker().Build();
        Reconcile(client, T0);
        Assert.Single(Reconcile(client, T0 + Escalation).Escalated);

        var later = Reconcile(client, T0 + Escalation + TimeSpan.FromDays(3));

        Assert.Empty(later.Escalated);
        Assert.Equal(T0 + Escalation, client.Gaps.OpenGap(CareGapRule.NoLeadWorker)!.EscalatedAt);
    }

    [Fact]
    public void Escalation_counts_from_when_the_gap_was_opened_not_from_when_it_was_due()
    {
        var client = Client().WithoutLeadWorker().Build();

        // First look at the client ten days after the gap was due.
        var opened = Reconcile(client, Day(10));
        Assert.True(opened.Opened.Has(CareGapRule.NoLeadWorker));
        Assert.Empty(opened.Escalated);
        Assert.Equal(Day(10) + Escalation, opened.NextDueAt);

        Assert.Empty(Reconcile(client, Day(10) + Escalation - OneMinute).Escalated);
        Assert.True(Reconcile(client, Day(10) + Escalation).Escalated.Has(CareGapRule.NoLeadWorker));
    }

    [Fact]
    public void Escalation_honours_a_configured_delay()
    {
        var t = CareGapThresholds.Default with { Escalation = TimeSpan.FromHours(24) };
        var client = Client().WithoutLeadWorker().Build();
        Reconcile(client, T0, t);

        Assert.Empty(Reconcile(client, Day(1) - OneMinute, t).Escalated);
        Assert.True(Reconcile(client, Day(1), t).Escalated.Has(CareGapRule.NoLeadWorker));
    }

    [Fact]
    public void Acknowledging_records_who_and_when_and_removes_the_escalation_wake_up()
    {
        var client = Client().Build();
        var opened = Reconcile(client, Day(30));
        Assert.Equal(Day(32), opened.NextDueAt);
        var gapId = client.Gaps.OpenGap(CareGapRule.NoRecentContact)!.GapId;

        var acknowledged = GapKeeping.Acknowledge(client.Gaps, gapId, "w2", Day(31));
        var changes = Reconcile(client, Day(31));

        Assert.Equal(Day(31), acknowledged.AcknowledgedAt);
        Assert.Equal("w2", acknowledged.AcknowledgedBy);
        Assert.Equal(acknowledged, client.Gaps.OpenGap(CareGapRule.NoRecentContact));
        Assert.Null(changes.NextDueAt);
        Assert.Empty(Reconcile(client, Day(60)).Escalated);
    }

    [Fact]
    public void A_gap_cannot_be_acknowledged_twice()
    {
        var client = Client().WithoutLeadWorker().Build();
        Reconcile(client, T0);
        var gapId = client.Gaps.Open[0].GapId;
        GapKeeping.Acknowledge(client.Gaps, gapId, "w1", T0);

        var ex = Assert.Throws<CareCoordinationException>(() => GapKeeping.Acknowledge(client.Gaps, gapId, "w2", Day(1)));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("w1", client.Gaps.Find(gapId)!.AcknowledgedBy);
    }

    // ---- resolution by a worker ------------------------------------------------------------------------------

    [Fact]
    public void Resolving_closes_the_gap_and_it_stays_closed_while_the_occurrence_is_the_same()
    {
        var client = Client().Build();
        Reconcile(client, Day(30));
        var gap = client.Gaps.OpenGap(CareGapRule.NoRecentContact)!;

        var resolved = GapKeeping.Resolve(client.Gaps, gap.GapId, Day(30) + TimeSpan.FromHours(3));
        var changes = Reconcile(client, Day(30) + TimeSpan.FromHours(3));

        Assert.Equal(gap, resolved);
        Assert.Empty(client.Gaps.Open);
        Assert.False(changes.Any);
        Assert.Null(changes.NextDueAt);
        var entry = Assert.Single(client.Gaps.History);
        Assert.Equal(GapClosure.ResolvedByWorker, entry.Closure);
        Assert.Equal(Day(30) + TimeSpan.FromHours(3), entry.ClosedAt);
        Assert.Equal(Day(30), client.Gaps.Resolved[gap.Key]);

        Assert.False(Reconcile(client, Day(90)).Any);
        Assert.Empty(client.Gaps.Open);
    }

    [Fact]
    public void After_a_resolution_a_new_occurrence_opens_a_new_gap()
    {
        var client = Client().Build();
        Reconcile(client, Day(30));
        var first = client.Gaps.OpenGap(CareGapRule.NoRecentContact)!;
        GapKeeping.Resolve(client.Gaps, first.GapId, Day(30));

        client.LastContactAt = Day(35);
        var afterContact = Reconcile(client, Day(35));
        Assert.Empty(client.Gaps.Resolved);
        Assert.Equal(Day(65), afterContact.NextDueAt);

        Assert.False(Reconcile(client, Day(65) - OneMinute).Opened.Has(CareGapRule.NoRecentContact));
        var second = Reconcile(client, Day(65)).Opened.Of(CareGapRule.NoRecentContact);
        Assert.NotNull(second);
        Assert.Equal(Day(65), second.DueAt);
        Assert.NotEqual(first.GapId, second.GapId);
    }

    [Fact]
    public void A_further_missed_appointment_after_a_resolution_reopens_MissedAppointments()
    {
        var client = Client().Missed(2, Day(5)).Build();
        Reconcile(client, Day(5));
        GapKeeping.Resolve(client.Gaps, client.Gaps.OpenGap(CareGapRule.MissedAppointments)!.GapId, Day(6));
        Assert.False(Reconcile(client, Day(6)).Opened.Has(CareGapRule.MissedAppointments));

        client.ConsecutiveMissedAppointments = 3;
        client.LastMissedAt = Day(8);
        var reopened = Reconcile(client, Day(8)).Opened.Of(CareGapRule.MissedAppointments);

        Assert.NotNull(reopened);
        Assert.Equal(Day(8), reopened.DueAt);
    }

    [Fact]
    public void Resolving_the_consent_warning_does_not_suppress_the_expiry()
    {
        var client = Client().LastContact(Day(40)).With(ConsentUntil(Day(60))).Build();
        Reconcile(client, Day(46));
        GapKeeping.Resolve(client.Gaps, client.Gaps.OpenGap(CareGapRule.ConsentExpiring)!.GapId, Day(47));

        var quiet = Reconcile(client, Day(50));
        Assert.False(client.Gaps.IsOpen(CareGapRule.ConsentExpiring));
        Assert.Equal(Day(60), quiet.NextDueAt);

        Assert.True(Reconcile(client, Day(60)).Opened.Has(CareGapRule.ConsentExpired));
    }

    [Fact]
    public void Working_a_closed_gap_is_a_precondition_and_an_unknown_one_not_found()
    {
        var client = Client().WithoutLeadWorker().Build();
        Reconcile(client, T0);
        var gapId = client.Gaps.Open[0].GapId;
        GapKeeping.Resolve(client.Gaps, gapId, T0);

        Assert.Equal(ErrorKind.FailedPrecondition, Assert.Throws<CareCoordinationException>(() => GapKeeping.Resolve(client.Gaps, gapId, T0)).Kind);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<CareCoordinationException>(() => GapKeeping.Resolve(client.Gaps, "client/c1/g99", T0)).Kind);
        Assert.Equal(ErrorKind.FailedPrecondition, Assert.Throws<CareCoordinationException>(() => GapKeeping.Acknowledge(client.Gaps, gapId, "w1", T0)).Kind);
    }

    // ---- the next wake-up ------------------------------------------------------------------------------------

    [Fact]
    public void NextDueAt_is_the_earliest_upcoming_threshold()
    {
        var client = Client()
            .With(OpenGoal("goal-1", NeedDomain.Housing, Day(20)))   // GoalOverdue at day 20
            .With(ConsentUntil(Day(60)))                            // ConsentExpiring at day 46, ConsentExpired at day 60
            .PlanReviewDue(Day(25))                                 // PlanReviewOverdue at day 25
            .Build();                                               // NoRecentContact at day 30

        Assert.Equal(Day(20), Reconcile(client, T0).NextDueAt);
        Assert.Equal(Day(20), Reconcile(client, Day(20) - OneMinute).NextDueAt);
    }

    [Fact]
    public void Following_NextDueAt_visits_every_threshold_and_escalation_in_order_then_stops()
    {
        var client = Client()
            .With(OpenGoal("goal-1", NeedDomain.Housing, Day(20)))
            .With(ConsentUntil(Day(60)))
            .Build();
        var log = new List<string>();
        var now = T0;
        var changes = Reconcile(client, now);

        for (var wakeUps = 0; changes.NextDueAt is { } next; wakeUps++)
        {
            Assert.True(wakeUps < 20, "the clock does not settle");
            Assert.True(next > now);
            now = next;
            changes = Reconcile(client, now);
            var day = (now - T0).TotalDays;
            log.AddRange(changes.Closed.Select(g => $"day {day}: closed {g.Rule}"));
            log.AddRange(changes.Opened.Select(g => $"day {day}: opened {g.Rule}"));
            log.AddRange(changes.Escalated.Select(g => $"day {day}: escalated {g.Rule}"));
        }

        Assert.Equal(new[]
        {
            "day 20: opened GoalOverdue",
            "day 22: escalated GoalOverdue",
            "day 30: opened NoRecentContact",
            "day 32: escalated NoRecentContact",
            "day 46: opened ConsentExpiring",
            "day 48: escalated ConsentExpiring",
            "day 60: closed ConsentExpiring",
            "day 60: opened ConsentExpired",
            "day 62: escalated ConsentExpired",
        }, log);
    }

    [Fact]
    public void NextDueAt_is_the_escalation_time_when_that_comes_first()
    {
        var client = Client().WithoutLeadWorker().Build();

        var changes = Reconcile(client, T0);

        Assert.Equal(T0 + Escalation, changes.NextDueAt);
    }

    [Fact]
    public void NextDueAt_is_null_when_nothing_is_coming()
    {
        Assert.Null(CareGapEngine.Reconcile(new GapBook(), [], T0, CareGapThresholds.Default, ClientPrefix, ClientFeed).NextDueAt);
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    private static CareGapOptions Options() => new()
    {
        Defaults = new() { NoRecentContact = TimeSpan.FromDays(21), Escalation = TimeSpan.FromHours(24) },
        Regions = { ["south"] = new() { NoRecentContact = TimeSpan.FromDays(10) } },
        Programs = { ["p-fast"] = new() { ProgramWaitlistStalled = TimeSpan.FromDays(5) } },
    };

    [Fact]
    public void ForRegion_layers_the_regions_override_over_the_defaults_field_by_field()
    {
        var options = Options();

        Assert.Equal(CareGapThresholds.Default with { NoRecentContact = TimeSpan.FromDays(10), Escalation = TimeSpan.FromHours(24) },
            options.ForRegion("south"));
        Assert.Equal(CareGapThresholds.Default with { NoRecentContact = TimeSpan.FromDays(21), Escalation = TimeSpan.FromHours(24) },
            options.ForRegion("north"));
        Assert.Equal(options.ForRegion("north"), options.ForRegion("South")); // region ids are case-sensitive
    }

    [Fact]
    public void ForProgram_layers_the_program_over_its_region_over_the_defaults()
    {
        var options = Options();

        Assert.Equal(options.ForRegion("south") with { ProgramWaitlistStalled = TimeSpan.FromDays(5) }, options.ForProgram("p-fast", "south"));
        Assert.Equal(options.ForRegion("south"), options.ForProgram("p-other", "south"));
        Assert.Equal(options.ForRegion("north"), options.ForProgram("p-other", "north"));
    }

    [Fact]
    public void A_regional_override_is_honoured_for_clients_of_that_region_only()
    {
        var options = Options();
        var south = Client().InRegion("south").Build();
        var north = Client().InRegion("north").Build();

        Assert.False(Reconcile(south, Day(10) - OneMinute, options.ForRegion(south.Region)).Opened.Has(CareGapRule.NoRecentContact));
        Assert.True(Reconcile(south, Day(10), options.ForRegion(south.Region)).Opened.Has(CareGapRule.NoRecentContact));
        Assert.Equal(Day(21), Reconcile(north, Day(10), options.ForRegion(north.Region)).NextDueAt);
        Assert.True(Reconcile(north, Day(21), options.ForRegion(north.Region)).Opened.Has(CareGapRule.NoRecentContact));
    }

    [Fact]
    public void An_unconfigured_options_object_uses_the_catalogue_defaults()
    {
        var t = new CareGapOptions().ForProgram("p1", "north");

        Assert.Equal(CareGapThresholds.Default, t);
        Assert.Equal(TimeSpan.FromDays(30), t.NoRecentContact);
        Assert.Equal(TimeSpan.FromDays(14), t.NoRecentContactHighRisk);
        Assert.Equal(TimeSpan.FromHours(72), t.ReferralNotAcknowledged);
        Assert.Equal(TimeSpan.FromDays(7), t.ReferralDeadEnd);
        Assert.Equal(TimeSpan.FromDays(14), t.EnrollmentNotStarted);
        Assert.Equal(TimeSpan.FromDays(14), t.UnmetNeed);
        Assert.Equal(3, t.UnmetNeedMinimumSeverity);
        Assert.Equal(TimeSpan.FromDays(90), t.PlanReview);
        Assert.Equal(TimeSpan.FromDays(180), t.Reassessment);
        Assert.Equal(2, t.MissedAppointments);
        Assert.Equal(TimeSpan.FromDays(14), t.ConsentExpiringNotice);
        Assert.Equal(TimeSpan.FromDays(30), t.ProgramWaitlistStalled);
        Assert.Equal(TimeSpan.FromHours(48), t.Escalation);
    }
}
