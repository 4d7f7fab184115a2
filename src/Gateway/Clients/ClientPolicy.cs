using CareCoordination.CareTeams;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Gateway.Security;
using CareCoordination.Programs;
using Google.Protobuf;

namespace CareCoordination.Gateway.Clients;

/// <summary>
/// Who may reach a person's record. A worker reaches it through the person's care team: members of the team's own
/// organisation always, members from other organisations only while the person consents to sharing across
/// organisations. Until a team takes the person, the worker who registered them. A coordinator of a program the
/// person is referred to may read what the referral shares, while the person consents to sharing with referred
/// programs. A platform service acts within its region. Nobody else: not regional operators, not auditors. An id
/// that does not exist is refused like one the caller may not see.
/// </summary>
public sealed class ClientPolicy(IGrainFactory grains) : IAccessPolicy
{
    public On Kind => On.Client;

    public async Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken)
    {
        if (request is not Api.V1.GetClientRequest)
            return await DecideAsync(caller, act, id, request, await grains.Ref<IClientGrain>(id)
                .GetAccessFactsAsync(cancellationToken), cancellationToken);
        // Reading the record: the facts and the record from one look, so the answer is what was decided on.
        var read = await grains.Ref<IClientGrain>(id).GetAccessFactsAndViewAsync(cancellationToken);
        var decision = await DecideAsync(caller, act, id, request, read.Facts, cancellationToken);
        return decision.Allowed ? decision with { Record = read.View } : decision;
    }

    private async Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        ClientAccessFacts client, CancellationToken cancellationToken)
    {
        if (act == Act.Create && !client.Exists)
            return caller.IsService ? AccessDecision.WithinRegion(caller, AccessDecision.RegionOf(request), id)
                : Roles.Care.Any(caller.Has) ? AccessDecision.Allow("a care worker registers a person", id)
                : AccessDecision.Deny("only care workers register people", id);
        if (!client.Exists) return AccessDecision.Deny("no such person on the caller's caseloads", id);
        if (caller.IsService) return AccessDecision.WithinRegion(caller, client.Region, id);
        if (act == Act.Assign && client.TeamId is null)
            // The target team's management is its own rule. A person in the intake (no team yet) is taken by a team
            // lead of their region (the token's, like the intake feed's readers) or by the worker who registered
            // them: a team lead could create a team in any region, but not take that region's people with it. A
            // person on a team is moved only by someone who may act on their record there.
            return caller.Has(Roles.TeamLead) && caller.Region == client.Region
                ? AccessDecision.Allow("team lead of the person's region, taking them from the intake", id)
                : client.RegisteredBy == caller.Id
                    ? AccessDecision.Allow("registered the person, who has no team yet", id)
                    : AccessDecision.Deny("a person in a region's intake is taken by a team lead of that region", id);
        if (client.TeamId is null)
            return client.RegisteredBy == caller.Id
                ? AccessDecision.Allow("registered the person, who has no team yet", id)
                : AccessDecision.Deny("not the worker who registered the person", id);

        var team = await grains.Ref<ICareTeamGrain>(client.TeamId).GetAccessFactsAsync(cancellationToken);
        // The organisation is the token's, as the identity provider asserts it, not what a team's records say.
        if (team.Members.Any(m => m.WorkerId == caller.Id))
            return caller.Organisation == team.Organisation
                ? AccessDecision.Allow("member of the person's care team", id)
                : client.ConsentNow.Contains(ConsentScope.AcrossOrganisations)
                    ? AccessDecision.Allow("care team member from another organisation, with consent", id)
                    : AccessDecision.Deny("care team member from another organisation, without consent to share "
                        + "across organisations", id);

        if (act == Act.Read && client.ConsentNow.Contains(ConsentScope.ReferredPrograms)
            && client.ReferredPrograms.Count > 0)
        {
            var shared = new List<string>();
            foreach (var program in client.ReferredPrograms)
                if ((await grains.Ref<IProgramGrain>(program).GetAccessFactsAsync(cancellationToken)).Coordinators
                    .Contains(caller.Id))
                    shared.Add(program);
            if (shared.Count > 0)
                return new AccessDecision(true, "coordinator of a program the person is referred to, with consent", id,
                    View.Referral, shared);
        }
        return AccessDecision.Deny("not on the person's care team", id);
    }
}
