using CareCoordination.CareGaps;
using CareCoordination.Common;
using CareCoordination.Programs;
using static CareCoordination.Tests.CareGaps.Kit;
using static CareCoordination.Tests.CareGaps.ProgramBuilder;

namespace CareCoordination.Tests.CareGaps;

/// <summary>ProgramWaitlistStalled: the program is full and the oldest waitlisted referral has waited 30 days.</summary>
public class ProgramGapRulesTests
{
    private static readonly TimeSpan Escalation = CareGapThresholds.Default.Escalation;

    /// <summary>Capacity 1, taken by "e1"; "w1" waitlisted on day 2, so the gap is due on day 32.</summary>
    private static ProgramState FullWithWaitlist() => Program(capacity: 1).Enrolled("e1", Day(1)).Waitlisted("w1", Day(2)).Build();

    [Fact]
    public void Not_open_one_minute_before_the_oldest_has_waited_30_days()
    {
        var program = FullWithWaitlist();

        var changes = Reconcile(program, Day(32) - OneMinute);

        Assert.Empty(changes.Opened);
        Assert.Empty(program.Gaps.Open);
        Assert.Equal(Day(32), changes.NextDueAt);
    }

    [Fact]
    public void Opens_exactly_when_the_oldest_has_waited_30_days()
    {
        var program = FullWithWaitlist();
        Reconcile(program, Day(32) - OneMinute);

        var changes = Reconcile(program, Day(32));

        var gap = Assert.Single(changes.Opened);
        Assert.Equal(CareGapRule.ProgramWaitlistStalled, gap.Rule);
        Assert.Equal("waitlist", gap.Subject);
        Assert.Equal(Day(32), gap.DueAt);
        Assert.Equal("program/p1/g1", gap.GapId);
        Assert.Equal(ProgramFeed, gap.FeedId);
        Assert.Equal(GapSeverity.Warning, gap.Severity);
        Assert.Contains("w1", gap.Action);
        Assert.Equal(Day(32) + Escalation, changes.NextDueAt);
    }

    [Fact]
    public void The_oldest_waitlisted_referral_sets_the_due_time()
    {
        // Added newest first, to show the order comes from WaitlistedAt and not from insertion.
        var program = Program(capacity: 1).Enrolled("e1", Day(1)).Waitlisted("late", Day(9)).Waitlisted("early", Day(4)).Build();

        var candidate = Assert.Single(ProgramGapRules.Candidates(program, CareGapThresholds.Default));

        Assert.Equal(Day(34), candidate.DueAt);
        Assert.Contains("early", candidate.Action);
    }

    [Fact]
    public void A_program_with_a_free_place_never_stalls()
    {
        var program = Program(capacity: 2).Enrolled("e1", Day(1)).Waitlisted("w1", Day(2)).Build();

        var changes = Reconcile(program, Day(100));

        Assert.Empty(program.Gaps.Open);
        Assert.Null(changes.NextDueAt);
    }

    [Fact]
    public void A_full_program_without_a_waitlist_has_no_gap()
    {
        var program = Program(capacity: 1).Enrolled("e1", Day(1)).Build();

        Assert.Empty(ProgramGapRules.Candidates(program, CareGapThresholds.Default));
    }

    [Fact]
    public void An_unregistered_program_has_no_candidates()
    {
        var program = Program(capacity: 1).Enrolled("e1", Day(1)).Waitlisted("w1", Day(2)).Unregistered().Build();

        Assert.Empty(ProgramGapRules.Candidates(program, CareGapThresholds.Default));
    }

    [Fact]
    public void A_place_freeing_up_closes_the_gap()
    {
        var program = FullWithWaitlist();
        Reconcile(program, Day(32));
        Assert.True(program.Gaps.IsOpen(CareGapRule.ProgramWaitlistStalled));

        // The enrolled person is discharged.
        program.Referrals["e1"] = program.Referrals["e1"] with { Status = ReferralStatus.Completed, EndedAt = Day(33) };
        var changes = Reconcile(program, Day(33));

        var closed = Assert.Single(changes.Closed);
        Assert.Equal(CareGapRule.ProgramWaitlistStalled, closed.Rule);
        Assert.Empty(program.Gaps.Open);
        Assert.Equal(GapClosure.ConditionEnded, Assert.Single(program.Gaps.History).Closure);
    }

    [Fact]
    public void The_waitlist_emptying_closes_the_gap()
    {
        var program = FullWithWaitlist();
        Reconcile(program, Day(32));

        // The client closed the case: the referral is withdrawn.
        program.Referrals["w1"] = program.Referrals["w1"] with { Status = ReferralStatus.Cancelled, EndedAt = Day(33) };
        var changes = Reconcile(program, Day(33));

        Assert.True(changes.Closed.Has(CareGapRule.ProgramWaitlistStalled));
        Assert.Empty(program.Gaps.Open);
    }

    [Fact]
    public void When_the_oldest_leaves_the_waitlist_the_next_one_restarts_the_wait()
    {
        var program = Program(capacity: 1).Enrolled("e1", Day(1)).Waitlisted("w1", Day(2)).Waitlisted("w2", Day(20)).Build();
        Reconcile(program, Day(32));
        Assert.True(program.Gaps.IsOpen(CareGapRule.ProgramWaitlistStalled));

        program.Referrals["w1"] = program.Referrals["w1"] with { Status = ReferralStatus.Cancelled, EndedAt = Day(33) };
        var changes = Reconcile(program, Day(33));

        Assert.True(changes.Closed.Has(CareGapRule.ProgramWaitlistStalled));
        Assert.Equal(Day(50), changes.NextDueAt);
        Assert.False(Reconcile(program, Day(50) - OneMinute).Opened.Has(CareGapRule.ProgramWaitlistStalled));
        Assert.True(Reconcile(program, Day(50)).Opened.Has(CareGapRule.ProgramWaitlistStalled));
    }

    [Fact]
    public void Escalates_when_nobody_acknowledges_it_within_48_hours()
    {
        var program = FullWithWaitlist();
        Reconcile(program, Day(32));

        Assert.Empty(Reconcile(program, Day(32) + Escalation - OneMinute).Escalated);
        var escalated = Assert.Single(Reconcile(program, Day(32) + Escalation).Escalated);

        Assert.Equal(Day(32) + Escalation, escalated.EscalatedAt);
    }

    [Fact]
    public void Does_not_escalate_once_acknowledged()
    {
        var program = FullWithWaitlist();
        Reconcile(program, Day(32));
        GapKeeping.Acknowledge(program.Gaps, program.Gaps.Open[0].GapId, "coordinator", Day(33));

        var changes = Reconcile(program, Day(32) + Escalation);

        Assert.Empty(changes.Escalated);
        Assert.Null(program.Gaps.Open[0].EscalatedAt);
        Assert.Null(changes.NextDueAt);
    }

    [Fact]
    public void A_resolved_stall_is_not_reopened_until_the_waitlist_changes()
    {
        var program = Program(capacity: 1).Enrolled("e1", Day(1)).Waitlisted("w1", Day(2)).Waitlisted("w2", Day(3)).Build();
        Reconcile(program, Day(32));
        GapKeeping.Resolve(program.Gaps, program.Gaps.Open[0].GapId, Day(32));

        Assert.False(Reconcile(program, Day(40)).Any);

        // w1 gets a place elsewhere; w2 has waited well over 30 days: a new occurrence.
        program.Referrals["w1"] = program.Referrals["w1"] with { Status = ReferralStatus.Cancelled, EndedAt = Day(41) };
        var reopened = Reconcile(program, Day(41)).Opened.Of(CareGapRule.ProgramWaitlistStalled);

        Assert.NotNull(reopened);
        Assert.Equal(Day(33), reopened.DueAt);
    }

    [Fact]
    public void A_program_override_of_the_stall_threshold_is_honoured()
    {
        var options = new CareGapOptions
        {
            Regions = { ["north"] = new() { ProgramWaitlistStalled = TimeSpan.FromDays(20) } },
            Programs = { ["p1"] = new() { ProgramWaitlistStalled = TimeSpan.FromDays(10) } },
        };
        var program = FullWithWaitlist();
        var t = options.ForProgram(program.ProgramId, program.Region);

        Assert.False(Reconcile(program, Day(12) - OneMinute, t).Opened.Has(CareGapRule.ProgramWaitlistStalled));
        Assert.True(Reconcile(program, Day(12), t).Opened.Has(CareGapRule.ProgramWaitlistStalled));
    }

    [Fact]
    public void Without_a_program_override_the_regions_stall_threshold_applies()
    {
        var options = new CareGapOptions
        {
            Regions = { ["north"] = new() { ProgramWaitlistStalled = TimeSpan.FromDays(20) } },
            Programs = { ["another-program"] = new() { ProgramWaitlistStalled = TimeSpan.FromDays(10) } },
        };
        var program = FullWithWaitlist();
        var t = options.ForProgram(program.ProgramId, program.Region);

        Assert.False(Reconcile(program, Day(22) - OneMinute, t).Opened.Has(CareGapRule.ProgramWaitlistStalled));
        Assert.True(Reconcile(program, Day(22), t).Opened.Has(CareGapRule.ProgramWaitlistStalled));
    }
}
