using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Tests.CareGaps;
using static CareCoordination.Tests.CareGaps.Kit;
using ClientBuilder = CareCoordination.Tests.CareGaps.ClientBuilder;

namespace CareCoordination.Tests.Clients;

/// <summary>The writes to a person's record as the grain runs them: validated first, so a refused one changes nothing.</summary>
public sealed class ClientTransitionsTests
{
    [Fact]
    public void Two_missed_appointments_count_in_a_row_and_an_attended_one_resets_the_count()
    {
        var s = ClientBuilder.Client().Build();
        var first = s.ScheduleAppointment(new ScheduleAppointment(Day(1), "w1", "w1"), T0);
        var second = s.ScheduleAppointment(new ScheduleAppointment(Day(2), "w1", "w1"), T0);
        var third = s.ScheduleAppointment(new ScheduleAppointment(Day(3), "w1", "w1"), T0);

        s.RecordContact(new RecordContact(ContactKind.InPerson, null, first, Missed: true, "w1"), Day(1));
        s.RecordContact(new RecordContact(ContactKind.InPerson, null, second, Missed: true, "w1"), Day(2));
        Assert.Equal(2, s.ConsecutiveMissedAppointments);

        s.RecordContact(new RecordContact(ContactKind.InPerson, null, third, Missed: false, "w1"), Day(3));
        Assert.Equal(0, s.ConsecutiveMissedAppointments);
        Assert.Equal(Day(3), s.LastContactAt);
        Assert.Equal(["appointment-scheduled", "appointment-scheduled", "appointment-scheduled", "appointment-missed",
            "appointment-missed", "contact-recorded"], s.Timeline.Select(e => e.Kind));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), s.Timeline.Select(e => e.Sequence));
    }

    [Fact]
    public void A_refused_write_changes_nothing()
    {
        var s = ClientBuilder.Client().Build();
        var appointment = s.ScheduleAppointment(new ScheduleAppointment(Day(1), "w1", "w1"), T0);
        s.RecordContact(new RecordContact(ContactKind.InPerson, null, appointment, Missed: false, "w1"), Day(1));
        var lines = s.Timeline.Count;

        Assert.Equal(ErrorKind.InvalidArgument, Refused(() =>
            s.RecordContact(new RecordContact(ContactKind.Phone, null, null, Missed: true, "w1"), Day(2))));
        Assert.Equal(ErrorKind.FailedPrecondition, Refused(() =>
            s.RecordContact(new RecordContact(ContactKind.Phone, null, appointment, Missed: true, "w1"), Day(2))));
        Assert.Equal(ErrorKind.NotFound, Refused(() =>
            s.SetGoal(new SetGoal("goal-99", NeedDomain.Housing, "x", null, GoalStatus.InProgress, 10, "w1"), Day(2),
                CareGapThresholds.Default)));

        Assert.Equal(0, s.ConsecutiveMissedAppointments);
        Assert.Equal(lines, s.Timeline.Count);
        Assert.Empty(s.Goals);
    }

    private static ErrorKind Refused(Func<string> write) =>
        Assert.Throws<CareCoordinationException>(() => { write(); }).Kind;

    [Fact]
    public void Closing_a_case_cancels_the_referrals_still_open_and_keeps_the_ended_ones()
    {
        var open = SentReferral("r1", NeedDomain.Housing, T0);
        var declined = SentReferral("r2", NeedDomain.Employment, T0).Answered(ReferralStatus.Declined, Day(1));
        var s = ClientBuilder.Client().With(open).With(declined).Build();

        s.CloseCase("moved away", "w1", Day(5));

        Assert.True(s.Closed);
        Assert.Equal([ReferralStatus.Cancelled, ReferralStatus.Declined], s.Referrals.Select(r => r.Status));
        Assert.Equal(Day(5), s.Referrals[0].EndedAt);
    }
}
