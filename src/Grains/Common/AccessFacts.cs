namespace CareCoordination.Common;

/// <summary>
/// What the gateway's access policies need to know of a client: who is responsible for the person, which programs
/// they are referred to, and what the person consented to share right now. No personal data.
/// </summary>
/// <remarks>
/// Facts and views that grains answer with are [Immutable]: built fresh for each answer from records the grain only
/// ever replaces, never changes, so a call inside the process (the embedded gateway) passes them by reference
/// instead of deep-copying them on every access decision.
/// </remarks>
[GenerateSerializer, Immutable, Alias("cc.client-access")]
public sealed record ClientAccessFacts(
    [property: Id(0)] bool Exists,
    [property: Id(1)] string Region,
    [property: Id(2)] string? TeamId,
    [property: Id(3)] string? LeadWorkerId,
    [property: Id(4)] string RegisteredBy,
    // Programs with an open referral of this person.
    [property: Id(5)] IReadOnlyList<string> ReferredPrograms,
    // The consent scopes in force now (empty once consent is withdrawn or has expired).
    [property: Id(6)] IReadOnlyList<ConsentScope> ConsentNow)
{
    public static ClientAccessFacts None { get; } = new(false, "", null, null, "", [], []);
}

[GenerateSerializer, Immutable, Alias("cc.team-access")]
public sealed record TeamAccessFacts(
    [property: Id(0)] bool Exists,
    [property: Id(1)] string Region,
    [property: Id(2)] string Organisation,
    [property: Id(3)] string CreatedBy,
    [property: Id(4)] IReadOnlyList<TeamMemberFact> Members)
{
    public static TeamAccessFacts None { get; } = new(false, "", "", "", []);
}

[GenerateSerializer, Immutable, Alias("cc.team-member-fact")]
public sealed record TeamMemberFact(
    [property: Id(0)] string WorkerId,
    [property: Id(1)] WorkerRole Role,
    [property: Id(2)] string Organisation);

[GenerateSerializer, Immutable, Alias("cc.program-access")]
public sealed record ProgramAccessFacts(
    [property: Id(0)] bool Exists,
    [property: Id(1)] string Region,
    [property: Id(2)] IReadOnlyList<string> Coordinators)
{
    public static ProgramAccessFacts None { get; } = new(false, "", []);
}
