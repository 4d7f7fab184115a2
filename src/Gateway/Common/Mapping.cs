using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.CareTeams;
using CareCoordination.Clients;
using CareCoordination.Programs;
using Google.Protobuf.WellKnownTypes;
using V1 = CareCoordination.Api.V1;
using D = CareCoordination.Common;

namespace CareCoordination.Gateway.Common;

/// <summary>Domain records to wire messages. Enum values are kept equal on both sides, so enums map by
/// number.</summary>
public static class Mapping
{
    public static Timestamp? Ts(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;

    public static V1.Client ToProto(this ClientView c)
    {
        var m = new V1.Client
        {
            ClientId = c.ClientId,
            Region = c.Region,
            Closed = c.Closed,
            RegisteredAt = Ts(c.RegisteredAt),
            Profile = new V1.Profile
            {
                PreferredLanguage = c.Profile.PreferredLanguage,
                BirthYear = c.Profile.BirthYear ?? 0,
                InterpreterNeeded = c.Profile.InterpreterNeeded,
                Risk = (V1.RiskLevel)c.Profile.Risk,
                Circumstances = { c.Profile.Circumstances.Select(x => (V1.Circumstance)x) },
            },
            TeamId = c.TeamId ?? "",
            LeadWorkerId = c.LeadWorkerId ?? "",
            PlanReviewDue = Ts(c.PlanReviewDue),
            LastContactAt = Ts(c.LastContactAt),
            ConsecutiveMissedAppointments = c.ConsecutiveMissedAppointments,
            CloseReason = c.CloseReason ?? "",
            ClosedAt = Ts(c.ClosedAt),
            Goals = { c.Goals.Select(g => new V1.Goal
            {
                GoalId = g.GoalId, Domain = (V1.NeedDomain)g.Domain, Title = g.Title, TargetDate = Ts(g.TargetDate),
                Status = (V1.GoalStatus)g.Status, Progress = g.Progress,
            }) },
            Referrals = { c.Referrals.Select(r => new V1.Referral
            {
                ReferralId = r.ReferralId, ProgramId = r.ProgramId, Domain = (V1.NeedDomain)r.Domain,
                Status = (V1.ReferralStatus)r.Status, SentAt = Ts(r.SentAt), RespondedAt = Ts(r.RespondedAt),
                EnrolledAt = Ts(r.EnrolledAt), EndedAt = Ts(r.EndedAt), ReasonCode = r.ReasonCode,
            }) },
            Enrollments = { c.Enrollments.Select(e => new V1.Enrollment
            {
                ProgramId = e.ProgramId, ReferralId = e.ReferralId, Domain = (V1.NeedDomain)e.Domain,
                StartedAt = Ts(e.StartedAt), EndedAt = Ts(e.EndedAt), Outcome = e.Outcome,
            }) },
            Appointments = { c.Appointments.Select(a => new V1.Appointment
            {
                AppointmentId = a.AppointmentId, At = Ts(a.At), Status = (V1.AppointmentStatus)a.Status,
                WorkerId = a.WorkerId,
            }) },
            OpenGaps = { c.OpenGaps.Select(g => g.ToProto(new GapOwner(GapOwnerKind.Client, c.ClientId))) },
        };
        if (c.Consent is { } consent)
            m.Consent = new V1.Consent
            {
                Scopes = { consent.Scopes.Select(s => (V1.ConsentScope)s) }, GrantedAt = Ts(consent.GrantedAt),
                ExpiresAt = Ts(consent.ExpiresAt), RecordedBy = consent.RecordedBy,
            };
        if (c.Assessment is { } a)
            m.Assessment = new V1.Assessment
            {
                AssessedAt = Ts(a.AssessedAt), ReviewDue = Ts(a.ReviewDue), AssessedBy = a.AssessedBy,
                Needs = { a.Needs.Select(n => new V1.Need
                    { Domain = (V1.NeedDomain)n.Domain, Severity = n.Severity }) },
            };
        return m;
    }

    /// <summary>What a referral shares with the programs it went to (DESIGN §8): the rest of the record stays with
    /// the team.</summary>
    public static V1.Client ReferralView(V1.Client client, IReadOnlyList<string> programs) => new()
    {
        ClientId = client.ClientId,
        Region = client.Region,
        Closed = client.Closed,
        Profile = new V1.Profile
        {
            PreferredLanguage = client.Profile.PreferredLanguage, InterpreterNeeded = client.Profile.InterpreterNeeded,
        },
        Referrals = { client.Referrals.Where(r => programs.Contains(r.ProgramId)) },
        Enrollments = { client.Enrollments.Where(e => programs.Contains(e.ProgramId)) },
    };

    public static V1.CareGap ToProto(this OpenGap g, GapOwner owner) => new()
    {
        GapId = g.GapId,
        Rule = (V1.CareGapRule)g.Rule,
        Subject = g.Subject,
        Severity = (V1.GapSeverity)g.Severity,
        Action = g.Action,
        DueAt = Ts(g.DueAt),
        OpenedAt = Ts(g.OpenedAt),
        AcknowledgedAt = Ts(g.AcknowledgedAt),
        AcknowledgedBy = g.AcknowledgedBy ?? "",
        EscalatedAt = Ts(g.EscalatedAt),
        ClientId = owner.Kind == GapOwnerKind.Client ? owner.Id : "",
        ProgramId = owner.Kind == GapOwnerKind.Program ? owner.Id : "",
    };

    public static V1.AlertEvent ToProto(this Alert a) => new()
    {
        AlertId = a.AlertId,
        FeedId = a.FeedId,
        Sequence = a.Sequence,
        Kind = (V1.AlertKind)a.Kind,
        Gap = a.Gap.ToProto(a.Owner),
        Region = a.Region,
        OccurredAt = Ts(a.OccurredAt),
        Actor = a.Actor ?? "",
        EscalateToRole = a.EscalateToRole ?? "",
        AcknowledgeGapId = a.Kind is AlertKind.Opened or AlertKind.Escalated ? a.Gap.GapId : "",
    };

    public static V1.Team ToProto(this TeamView t) => new()
    {
        TeamId = t.TeamId, Region = t.Region, Name = t.Name, Organisation = t.Organisation,
        CaseloadSize = t.CaseloadSize, FeedId = AlertFeeds.Team(t.TeamId),
        Members = { t.Members.Select(m => new V1.TeamMember
        {
            WorkerId = m.WorkerId, Role = (V1.WorkerRole)m.Role, Organisation = m.Organisation, AddedAt = Ts(m.AddedAt),
        }) },
    };

    public static V1.CaseloadEntry ToProto(this CaseloadEntry e) => new()
    {
        ClientId = e.ClientId, LeadWorkerId = e.LeadWorkerId, AssignedAt = Ts(e.AssignedAt),
    };

    /// <summary>The program; <paramref name="withCaseDetail"/> false leaves out its referrals and open gaps (client
    /// ids), for directory listings.</summary>
    public static V1.Program ToProto(this ProgramView p, bool withCaseDetail = true) => new()
    {
        ProgramId = p.ProgramId, Region = p.Region, Name = p.Name, Kind = (V1.ProgramKind)p.Kind,
        Domains = { p.Domains.Select(d => (V1.NeedDomain)d) }, Capacity = p.Capacity, Enrolled = p.Enrolled,
        ResponseSla = Duration.FromTimeSpan(p.ResponseSla), Coordinators = { p.Coordinators },
        Eligibility = p.Eligibility, Provider = p.Provider, FeedId = AlertFeeds.Program(p.ProgramId),
        Referrals = { withCaseDetail ? p.Referrals.Select(r => r.ToProto(p.ProgramId)) : [] },
        OpenGaps = { withCaseDetail
            ? p.OpenGaps.Select(g => g.ToProto(new GapOwner(GapOwnerKind.Program, p.ProgramId))) : [] },
    };

    public static V1.ProgramReferral ToProto(this ProgramReferral r, string programId) => new()
    {
        ReferralId = r.ReferralId, ClientId = r.ClientId, Domain = (V1.NeedDomain)r.Domain,
        Status = (V1.ReferralStatus)r.Status, SentAt = Ts(r.SentAt), ReceivedAt = Ts(r.ReceivedAt),
        RespondedAt = Ts(r.RespondedAt), WaitlistedAt = Ts(r.WaitlistedAt), EnrolledAt = Ts(r.EnrolledAt),
        EndedAt = Ts(r.EndedAt), ReasonCode = r.ReasonCode, ProgramId = programId,
    };

    public static V1.GapStats ToProto(this global::CareCoordination.Reports.GapStats s)
    {
        var m = new V1.GapStats
        {
            Open = s.Open, Escalated = s.Escalated, Acknowledged = s.Acknowledged,
            ClosedByThemselves = s.ClosedByThemselves, ResolvedByWorkers = s.ResolvedByWorkers,
            OpenByRule = { s.OpenByRule.OrderBy(x => x.Key)
                .Select(x => new V1.RuleCount { Rule = (V1.CareGapRule)x.Key, Count = x.Value }) },
            OpenByAge = { s.OpenByAge.OrderBy(x => x.Key)
                .Select(x => new V1.AgeCount { Age = x.Key, Count = x.Value }) },
        };
        if (s.MeanHoursToAcknowledge is { } h) m.MeanHoursToAcknowledge = h;
        return m;
    }

    public static V1.ReferralFunnel ToProto(this global::CareCoordination.Reports.ReferralFunnel f)
    {
        var m = new V1.ReferralFunnel
        {
            Sent = f.Sent, Accepted = f.Accepted, Declined = f.Declined, Waitlisted = f.Waitlisted,
            Enrolled = f.Enrolled, Completed = f.Completed, Cancelled = f.Cancelled,
        };
        if (f.MeanHoursToRespond is { } h) m.MeanHoursToRespond = h;
        return m;
    }
}
