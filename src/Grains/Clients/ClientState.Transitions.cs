using CareCoordination.CareGaps;
using CareCoordination.Common;

namespace CareCoordination.Clients;

/// <summary>
/// The writes a worker makes to a person's record, as pure transitions: each validates before it changes anything
/// (so a refused request changes nothing), changes the state, writes its timeline line and returns the id its answer
/// names. <see cref="ClientGrain"/> runs them once per request id and commits; tests call them directly.
/// </summary>
public sealed partial class ClientState
{
    /// <summary>Consent to share, as recorded now (an expiry must be plausible).</summary>
    public string RecordConsent(RecordConsent command, DateTimeOffset now)
    {
        if (command.ExpiresAt is { } e) Plausible.Future(e, now, "expires_at", years: 10);
        Consent = new Consent(command.Scopes.Distinct().ToList(), now, command.ExpiresAt, command.Actor);
        Log(now, "consent-recorded", string.Join(",", Consent.Scopes), command.Actor);
        return "consent";
    }

    /// <summary>
    /// A needs assessment; its review falls due after the region's reassessment interval unless given.
    /// </summary>
    public string RecordAssessment(RecordAssessment command, DateTimeOffset now, CareGapThresholds t)
    {
        if (command.ReviewDue is { } due) Plausible.Future(due, now, "review_due", years: 5);
        Assessment = new Assessment(now, command.ReviewDue ?? now + t.Reassessment,
            command.Needs.ToList(), command.Actor);
        Log(now, "assessment-recorded", $"{command.Needs.Count} domain(s)", command.Actor);
        return "assessment";
    }

    /// <summary>A new goal (the first makes a plan, reviewed on a schedule), or an update of one.</summary>
    public string SetGoal(SetGoal command, DateTimeOffset now, CareGapThresholds t)
    {
        if (command.TargetDate is { } target) Plausible.Target(target, now, "target_date");
        if (command.GoalId is { Length: > 0 } goalId)
        {
            var i = Goals.FindIndex(g => g.GoalId == goalId);
            if (i < 0)
                throw CareCoordinationException.NotFound("goal_id",
                    $"goal {goalId} does not exist for this client");
            Goals[i] = Goals[i] with
            {
                Domain = command.Domain, Title = command.Title, TargetDate = command.TargetDate,
                // Unspecified on an update means "unchanged", not "no longer tracked".
                Status = command.Status == GoalStatus.Unspecified ? Goals[i].Status : command.Status,
                Progress = command.Status == GoalStatus.Achieved ? 100 : command.Progress, UpdatedAt = now,
            };
            Log(now, "goal-updated", $"{goalId} {Goals[i].Status} {Goals[i].Progress}%", command.Actor);
            return goalId;
        }
        var id = $"goal-{NextNumber++}";
        Goals.Add(new Goal(id, command.Domain, command.Title, command.TargetDate,
            command.Status == GoalStatus.Unspecified ? GoalStatus.NotStarted : command.Status,
            command.Progress, now));
        // The first goal makes a plan, and a plan is reviewed on a schedule.
        PlanReviewDue ??= now + t.PlanReview;
        Log(now, "goal-set", $"{id} {command.Domain}", command.Actor);
        return id;
    }

    /// <summary>The plan reviewed now; the next review after the region's interval unless given.</summary>
    public string ReviewPlan(ReviewPlan command, DateTimeOffset now, CareGapThresholds t)
    {
        if (command.NextReviewDue is { } due) Plausible.Future(due, now, "next_review_due", years: 5);
        PlanLastReviewedAt = now;
        PlanReviewDue = command.NextReviewDue ?? now + t.PlanReview;
        Log(now, "plan-reviewed", $"next review {PlanReviewDue:yyyy-MM-dd}", command.Actor);
        return "plan";
    }

    /// <summary>A contact, or an appointment's outcome (attended or missed).</summary>
    public string RecordContact(RecordContact command, DateTimeOffset now)
    {
        var at = command.OccurredAt is { } occurred ? Plausible.Past(occurred, now, "occurred_at") : now;
        int appointment = -1;
        if (command.AppointmentId is { Length: > 0 } apptId)
        {
            appointment = Appointments.FindIndex(a => a.AppointmentId == apptId);
            if (appointment < 0)
                throw CareCoordinationException.NotFound("appointment_id",
                    $"appointment {apptId} does not exist for this client");
            if (Appointments[appointment].Status != AppointmentStatus.Scheduled)
                throw CareCoordinationException.Precondition("appointment_id",
                    $"appointment {apptId} already has an outcome ({Appointments[appointment].Status})");
        }
        else if (command.Missed)
            throw CareCoordinationException.Invalid("appointment_id",
                "a missed appointment needs the appointment_id it refers to");

        if (appointment >= 0)
            Appointments[appointment] = Appointments[appointment] with
            {
                Status = command.Missed ? AppointmentStatus.Missed : AppointmentStatus.Attended
            };
        if (command.Missed)
        {
            ConsecutiveMissedAppointments++;
            LastMissedAt = at;
            Log(now, "appointment-missed", command.AppointmentId!, command.Actor);
            return command.AppointmentId!;
        }
        LastContactAt = LastContactAt is { } last && last > at ? last : at;
        ConsecutiveMissedAppointments = 0;
        Log(now, "contact-recorded", command.Kind.ToString(), command.Actor);
        return command.AppointmentId ?? "contact";
    }

    /// <summary>An appointment in the future.</summary>
    public string ScheduleAppointment(ScheduleAppointment command, DateTimeOffset now)
    {
        Plausible.Future(command.At, now, "at", years: 2);
        var id = $"appt-{NextNumber++}";
        Appointments.Add(new Appointment(id, command.At, AppointmentStatus.Scheduled, command.WorkerId));
        Log(now, "appointment-scheduled", $"{id} {command.At:yyyy-MM-dd HH:mm}", command.Actor);
        return id;
    }

    /// <summary>The case closed; referrals still open are cancelled (the outbox tells their programs).</summary>
    public string CloseCase(string reason, string actor, DateTimeOffset now)
    {
        Closed = true;
        ClosedAt = now;
        CloseReason = reason;
        // Programs are told the referral is withdrawn (delivered by the outbox in SyncAsync).
        for (var i = 0; i < Referrals.Count; i++)
            if (Referrals[i].Status is ReferralStatus.Sent or ReferralStatus.Accepted
                or ReferralStatus.Waitlisted)
                Referrals[i] = Referrals[i] with { Status = ReferralStatus.Cancelled, EndedAt = now };
        Log(now, "case-closed", "", actor);
        return "closed";
    }
}
