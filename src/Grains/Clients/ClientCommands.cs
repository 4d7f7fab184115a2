using CareCoordination.CareGaps;
using CareCoordination.Common;

namespace CareCoordination.Clients;

[GenerateSerializer, Alias("cc.register-client")]
public sealed record RegisterClient(
    [property: Id(0)] string Region,
    [property: Id(1)] ClientProfile Profile,
    [property: Id(2)] string Actor);

[GenerateSerializer, Alias("cc.record-consent")]
public sealed record RecordConsent(
    [property: Id(0)] IReadOnlyList<ConsentScope> Scopes,
    [property: Id(1)] DateTimeOffset? ExpiresAt,
    [property: Id(2)] string Actor);

[GenerateSerializer, Alias("cc.record-assessment")]
public sealed record RecordAssessment(
    [property: Id(0)] IReadOnlyList<Need> Needs,
    [property: Id(1)] DateTimeOffset? ReviewDue,
    [property: Id(2)] string Actor);

/// <summary>Adds a goal (no id) or updates one (with its id).</summary>
[GenerateSerializer, Alias("cc.set-goal")]
public sealed record SetGoal(
    [property: Id(0)] string? GoalId,
    [property: Id(1)] NeedDomain Domain,
    [property: Id(2)] string Title,
    [property: Id(3)] DateTimeOffset? TargetDate,
    [property: Id(4)] GoalStatus Status,
    [property: Id(5)] int Progress,
    [property: Id(6)] string Actor);

[GenerateSerializer, Alias("cc.review-plan")]
public sealed record ReviewPlan([property: Id(0)] DateTimeOffset? NextReviewDue, [property: Id(1)] string Actor);

/// <summary>A contact with the person, or the outcome of a scheduled appointment (attended or missed).</summary>
[GenerateSerializer, Alias("cc.record-contact")]
public sealed record RecordContact(
    [property: Id(0)] ContactKind Kind,
    [property: Id(1)] DateTimeOffset? OccurredAt,
    [property: Id(2)] string? AppointmentId,
    [property: Id(3)] bool Missed,
    [property: Id(4)] string Actor);

[GenerateSerializer, Alias("cc.schedule-appointment")]
public sealed record ScheduleAppointment(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string WorkerId,
    [property: Id(2)] string Actor);

[GenerateSerializer, Alias("cc.refer")]
public sealed record Refer(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] NeedDomain Domain,
    [property: Id(2)] string Actor);

/// <summary>A person's access facts and record from one look (see
/// <see cref="IClientGrain.GetAccessFactsAndViewAsync"/>).</summary>
[GenerateSerializer, Immutable, Alias("cc.client-facts-view")]
public sealed record ClientFactsAndView(
    [property: Id(0)] ClientAccessFacts Facts,
    [property: Id(1)] ClientView? View);

// Immutable: built fresh by the grain from records it only replaces (see ClientAccessFacts).
[GenerateSerializer, Immutable, Alias("cc.client-view")]
public sealed record ClientView(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string Region,
    [property: Id(2)] bool Closed,
    [property: Id(3)] DateTimeOffset RegisteredAt,
    [property: Id(4)] ClientProfile Profile,
    [property: Id(5)] Consent? Consent,
    [property: Id(6)] string? TeamId,
    [property: Id(7)] string? LeadWorkerId,
    [property: Id(8)] Assessment? Assessment,
    [property: Id(9)] IReadOnlyList<Goal> Goals,
    [property: Id(10)] DateTimeOffset? PlanReviewDue,
    [property: Id(11)] IReadOnlyList<Referral> Referrals,
    [property: Id(12)] IReadOnlyList<Enrollment> Enrollments,
    [property: Id(13)] DateTimeOffset? LastContactAt,
    [property: Id(14)] IReadOnlyList<Appointment> Appointments,
    [property: Id(15)] int ConsecutiveMissedAppointments,
    [property: Id(16)] IReadOnlyList<OpenGap> OpenGaps,
    [property: Id(17)] string? CloseReason,
    [property: Id(18)] DateTimeOffset? ClosedAt);

/// <summary>The result of a write: the id of what it created or touched, and the client as it now stands.</summary>
[GenerateSerializer, Immutable, Alias("cc.client-write")]
public sealed record ClientWriteResult([property: Id(0)] string ResultId, [property: Id(1)] ClientView Client);

[GenerateSerializer, Alias("cc.timeline-page")]
public sealed record TimelinePage(
    [property: Id(0)] IReadOnlyList<TimelineEntry> Entries,
    [property: Id(1)] long NextAfter);

/// <summary>What reports need of one client: no profile, only counts and times.</summary>
[GenerateSerializer, Alias("cc.client-summary")]
public sealed record ClientSummary(
    [property: Id(0)] string ClientId,
    [property: Id(1)] bool Active,
    [property: Id(2)] IReadOnlyList<OpenGap> OpenGaps,
    [property: Id(3)] IReadOnlyList<ClosedGap> ClosedGaps,
    [property: Id(4)] IReadOnlyList<Referral> Referrals,
    [property: Id(5)] int GoalsTotal,
    [property: Id(6)] int GoalsAchieved,
    [property: Id(7)] bool Registered);
