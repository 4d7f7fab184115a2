using CareCoordination.Clients;
using CareCoordination.Common;

namespace CareCoordination.CareGaps;

/// <summary>
/// The client rules of the catalogue as pure functions of a client's state: each yields the conditions that
/// hold (or will hold) if nothing else happens, with the time each one starts. No clock, no I/O.
/// </summary>
public static class ClientGapRules
{
    public static IEnumerable<GapCandidate> Candidates(ClientState s, CareGapThresholds t)
    {
        if (!s.Active) return [];
        return NoRecentContact(s, t)
            .Concat(ReferralNotAcknowledged(s, t))
            .Concat(ReferralDeadEnd(s, t))
            .Concat(EnrollmentNotStarted(s, t))
            .Concat(UnmetNeed(s, t))
            .Concat(GoalOverdue(s))
            .Concat(PlanReviewOverdue(s))
            .Concat(ReassessmentOverdue(s))
            .Concat(MissedAppointments(s, t))
            .Concat(NoLeadWorker(s))
            .Concat(Consent(s, t));
    }

    public static IEnumerable<GapCandidate> NoRecentContact(ClientState s, CareGapThresholds t)
    {
        var highRisk = s.Profile.Risk == RiskLevel.High;
        var threshold = highRisk ? t.NoRecentContactHighRisk : t.NoRecentContact;
        var since = s.LastContactAt ?? s.RegisteredAt;
        yield return new GapCandidate(CareGapRule.NoRecentContact, "contact", since + threshold, null,
            highRisk ? GapSeverity.Urgent : GapSeverity.Warning,
            $"Contact the person: no contact recorded for {threshold.TotalDays:0} days");
    }

    public static IEnumerable<GapCandidate> ReferralNotAcknowledged(ClientState s, CareGapThresholds t) =>
        from r in s.Referrals
        where r.Status == ReferralStatus.Sent
        let sla = r.ProgramResponseSla ?? t.ReferralNotAcknowledged
        select new GapCandidate(CareGapRule.ReferralNotAcknowledged, r.ReferralId, r.SentAt + sla, null,
            GapSeverity.Warning,
            $"Follow up referral {r.ReferralId} with program {r.ProgramId}: no answer within {sla.TotalHours:0} h");

    /// <summary>A declined or cancelled referral whose domain is left with no other referral or enrollment.</summary>
    public static IEnumerable<GapCandidate> ReferralDeadEnd(ClientState s, CareGapThresholds t) =>
        from r in s.Referrals
        where r.Status is ReferralStatus.Declined or ReferralStatus.Cancelled
        group r by r.Domain into byDomain
        where !HasSupport(s, byDomain.Key, includeGoals: false)
        let last = byDomain.Max(r => (r.Status == ReferralStatus.Cancelled ? r.EndedAt : r.RespondedAt)
            ?? r.RespondedAt ?? r.SentAt)
        select new GapCandidate(CareGapRule.ReferralDeadEnd, byDomain.Key.ToString(), last + t.ReferralDeadEnd, null,
            GapSeverity.Warning,
            $"Find another route for {byDomain.Key}: the referral was declined or cancelled and nothing else is "
                + "in place");

    public static IEnumerable<GapCandidate> EnrollmentNotStarted(ClientState s, CareGapThresholds t) =>
        from r in s.Referrals
        where r.Status == ReferralStatus.Accepted && r.RespondedAt is not null
        select new GapCandidate(CareGapRule.EnrollmentNotStarted, r.ReferralId,
            r.RespondedAt!.Value + t.EnrollmentNotStarted, null, GapSeverity.Warning,
            $"Help the person start with program {r.ProgramId}: referral {r.ReferralId} accepted but not enrolled "
                + $"after {t.EnrollmentNotStarted.TotalDays:0} days");

    public static IEnumerable<GapCandidate> UnmetNeed(ClientState s, CareGapThresholds t)
    {
        if (s.Assessment is not { } a) yield break;
        foreach (var need in a.Needs)
        {
            if (need.Severity < t.UnmetNeedMinimumSeverity || HasSupport(s, need.Domain, includeGoals: true)) continue;
            yield return new GapCandidate(CareGapRule.UnmetNeed, need.Domain.ToString(), a.AssessedAt + t.UnmetNeed,
                null, need.Severity >= 4 ? GapSeverity.Urgent : GapSeverity.Warning,
                $"Plan for {need.Domain} (severity {need.Severity}): no goal, referral or enrollment yet");
        }
    }

    public static IEnumerable<GapCandidate> GoalOverdue(ClientState s) =>
        from g in s.Goals
        where g.Open && g.TargetDate is not null
        select new GapCandidate(CareGapRule.GoalOverdue, g.GoalId, g.TargetDate!.Value, null, GapSeverity.Info,
            $"Review goal {g.GoalId} ({g.Domain}) with the person: its target date has passed");

    public static IEnumerable<GapCandidate> PlanReviewOverdue(ClientState s)
    {
        if (s.PlanReviewDue is { } due)
            yield return new GapCandidate(CareGapRule.PlanReviewOverdue, "plan", due, null, GapSeverity.Warning,
                "Review the inclusion plan with the person: the review date has passed");
    }

    public static IEnumerable<GapCandidate> ReassessmentOverdue(ClientState s)
    {
        if (s.Assessment is { } a)
            yield return new GapCandidate(CareGapRule.ReassessmentOverdue, "assessment", a.ReviewDue, null,
                GapSeverity.Warning, "Reassess the person's needs: the assessment review date has passed");
    }

    public static IEnumerable<GapCandidate> MissedAppointments(ClientState s, CareGapThresholds t)
    {
        if (s.ConsecutiveMissedAppointments >= t.MissedAppointments && s.LastMissedAt is { } at)
            yield return new GapCandidate(CareGapRule.MissedAppointments, "appointments", at, null, GapSeverity.Urgent,
                $"Reach out: {s.ConsecutiveMissedAppointments} appointments missed in a row");
    }

    public static IEnumerable<GapCandidate> NoLeadWorker(ClientState s)
    {
        if (s.LeadWorkerId is null)
            yield return new GapCandidate(CareGapRule.NoLeadWorker, "lead-worker", s.RegisteredAt, null,
                GapSeverity.Warning, "Assign a lead worker to this person");
    }

    public static IEnumerable<GapCandidate> Consent(ClientState s, CareGapThresholds t)
    {
        if (s.Consent?.ExpiresAt is not { } expires) yield break;
        yield return new GapCandidate(CareGapRule.ConsentExpiring, "consent", expires - t.ConsentExpiringNotice,
            expires, GapSeverity.Info, $"Renew consent with the person: it ends on {expires:yyyy-MM-dd}");
        yield return new GapCandidate(CareGapRule.ConsentExpired, "consent", expires, null, GapSeverity.Warning,
            "Consent has ended and sharing is paused: record renewed consent with the person");
    }

    /// <summary>Something is in place for the domain: an open referral, an active enrollment, or (optionally) an open
    /// goal.</summary>
    private static bool HasSupport(ClientState s, NeedDomain domain, bool includeGoals) =>
        s.Referrals.Any(r => r.Domain == domain && r.Open)
        || s.Enrollments.Any(e => e.Domain == domain && e.Active)
        || (includeGoals && s.Goals.Any(g => g.Domain == domain && g.Open));
}
