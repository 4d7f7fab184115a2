using CareCoordination.Clients;
using CareCoordination.Common;
using Google.Protobuf;

namespace CareCoordination.Gateway.Security;

/// <summary>The kinds of object a call can touch; each has one policy (<see cref="IAccessPolicy"/>) that decides
/// who may.</summary>
public enum On
{
    Client,
    Team,
    Program,
    Region,
    /// <summary>A gap, decided by its owner's policy (a client's or a program's).</summary>
    Gap,
    /// <summary>An alert feed (team:, program:, region:), decided by the policy of what it belongs to.</summary>
    Feed,
    AuditTrail,
}

/// <summary>What a call does to the object.</summary>
public enum Act
{
    /// <summary>Create it (the id may be new).</summary>
    Create,
    Read,
    Write,
    /// <summary>Manage a team (members, assignments) or coordinate a program (answer referrals, enroll, discharge,
    /// list its referrals).</summary>
    Manage,
    /// <summary>Put a person on a team: from the intake, or away from the team whose lead lets them go.</summary>
    Assign,
    /// <summary>Aggregates only: reports.</summary>
    Report,
}

/// <summary>
/// Declares, on a gRPC service method, the object the call touches (named by a request field) and what it does to
/// it. Every method of every carecoordination.v1 service carries at least one; a call without one is refused.
/// Several may stand on one method: those whose field is set in the request apply (a oneof scope).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class AccessAttribute(On on, Act act, string field) : Attribute
{
    public On On { get; } = on;
    public Act Act { get; } = act;
    /// <summary>The request field holding the object's id (a repeated field of FeedCursor for
    /// <see cref="On.Feed"/>).</summary>
    public string Field { get; } = field;

    /// <summary>
    /// Whether a reader with only the referral's view of a person (a program coordinator) may make this call; the
    /// service then answers with that view. Off unless a call says so: the rest of the record stays with the team.
    /// </summary>
    public bool ReferralView { get; init; }

    /// <summary>At most this many objects in a repeated field (0: one field, one object); more is INVALID_ARGUMENT
    /// before any is decided on.</summary>
    public int MaxObjects { get; init; }
}

/// <summary>How much of a client's record a caller may see.</summary>
public enum View
{
    None,
    /// <summary>A coordinator of a program the person is referred to, with consent: what the referral shares.</summary>
    Referral,
    Full,
    /// <summary>A program's directory entry: no referrals, no people.</summary>
    Directory,
}

/// <summary>A policy's answer: allowed or not, why (for the audit trail), and which person's data the call
/// concerns.</summary>
public sealed record AccessDecision(bool Allowed, string Reason, string? ClientId = null, View View = View.Full,
    IReadOnlyList<string>? SharedPrograms = null)
{
    /// <summary>
    /// The person's record the decision was taken on, when the policy read it with the facts (a read of the record):
    /// the service answers with exactly what was decided on, without a second call.
    /// </summary>
    public ClientView? Record { get; init; }

    // What a decision's text shows, should it ever reach a log: not the person's id, nor their record.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Allowed = {Allowed}, Reason = {Reason}, View = {View}");
        return true;
    }

    public static AccessDecision Deny(string reason, string? clientId = null) =>
        new(false, reason, clientId, View.None);
    public static AccessDecision Allow(string reason, string? clientId = null) => new(true, reason, clientId);

    /// <summary>A platform service acts within its own region (token claim "region") and nowhere else.</summary>
    public static AccessDecision WithinRegion(Caller service, string region, string? clientId = null) =>
        service.Region is { } own && own == region
            ? Allow("platform service of the region", clientId)
            : Deny("platform service of another region", clientId);

    /// <summary>
    /// The region a request to create something names (field "region"). A missing or malformed one is bad input,
    /// INVALID_ARGUMENT naming the field, not a refusal: the decision is never taken on it.
    /// </summary>
    public static string RegionOf(IMessage request)
    {
        var region = request.Descriptor.FindFieldByName("region")?.Accessor.GetValue(request) as string ?? "";
        Keys.Require(region, "region");
        return region;
    }
}

/// <summary>Decides who may do what to one kind of object. One class per kind, so a reviewer reads each rule in one
/// file.</summary>
public interface IAccessPolicy
{
    On Kind { get; }

    /// <param name="id">The object's id, already in the form of a key (a malformed id is refused by
    /// validation).</param>
    /// <param name="request">The whole request, for rules that look at more than the id (a new client's
    /// region).</param>
    Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken);
}
