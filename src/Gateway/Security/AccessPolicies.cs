using CareCoordination.Alerts;
using CareCoordination.Common;
using Google.Protobuf;

namespace CareCoordination.Gateway.Security;

/// <summary>The policies by object kind; gaps and feeds are decided by the policy of what they belong to.</summary>
public sealed class AccessPolicies(IEnumerable<IAccessPolicy> policies)
{
    private readonly Dictionary<On, IAccessPolicy> _byKind = policies.ToDictionary(p => p.Kind);

    /// <returns>The decision, and the kind and id it was finally taken on (a gap's owner, a feed's team).</returns>
    public async Task<(AccessDecision Decision, On Kind, string Id)> DecideAsync(Caller caller, On on, Act act,
        string id, IMessage request, CancellationToken cancellationToken)
    {
        switch (on)
        {
            case On.Gap when GapOwner.TryParseGapId(id, out var owner):
                // Acting on a gap is writing to its owner: a client's record, or running a program.
                var kind = owner.Kind == GapOwnerKind.Client ? On.Client : On.Program;
                return await DecideAsync(caller, kind, kind == On.Client ? Act.Write : Act.Manage, owner.Id, request,
                    cancellationToken);
            case On.Feed when AlertFeeds.TryParse(id, out var feedKind, out var feedOf):
                // A team's feed is its members'; a program's, its coordinators'; a region's intake, its team leads'.
                return feedKind switch
                {
                    "team" => await DecideAsync(caller, On.Team, Act.Read, feedOf, request, cancellationToken),
                    "program" => await DecideAsync(caller, On.Program, Act.Manage, feedOf, request, cancellationToken),
                    _ => await DecideAsync(caller, On.Region, Act.Manage, feedOf, request, cancellationToken),
                };
            case On.Gap or On.Feed:
                // Malformed: the service refuses it as INVALID_ARGUMENT before touching anything.
                return (AccessDecision.Allow("malformed id, refused by validation"), on, id);
            default:
                return (await _byKind[on].DecideAsync(caller, act, id, request, cancellationToken), on, id);
        }
    }

    /// <summary>Whether an id is one a policy can look up; others are left to validation, which refuses them.</summary>
    public static bool IsLookup(On on, string id) => on switch
    {
        On.Gap => GapOwner.TryParseGapId(id, out _),
        On.Feed => AlertFeeds.TryParse(id, out _, out _),
        On.AuditTrail => true,
        _ => Keys.IsValid(id),
    };
}
