using CareCoordination.CareTeams;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Gateway.Security;

namespace CareCoordination.Gateway.CareTeams;

/// <summary>
/// Which people on a team's caseload a caller may see in the team's lists and feed. Members of the team's own
/// organisation (and the region's platform service) see everyone; a member from another organisation sees a person
/// only while that person consents to sharing across organisations — read afresh each time, so a withdrawal or an
/// expiry counts from the next item listed or alert delivered.
/// </summary>
public sealed class TeamSharing(IGrainFactory grains)
{
    public delegate Task<bool> Visible(string clientId, CancellationToken cancellationToken);

    private static readonly Visible Everyone = (_, _) => Task.FromResult(true);

    public async Task<Visible> ForAsync(Caller caller, string teamId, CancellationToken cancellationToken)
    {
        if (caller.IsService) return Everyone;
        var team = await grains.Ref<ICareTeamGrain>(teamId).GetAccessFactsAsync(cancellationToken);
        // The caller's organisation is the token's, as the identity provider asserts it.
        if (team.Members.All(m => m.WorkerId != caller.Id) || caller.Organisation == team.Organisation) return Everyone;
        return async (clientId, ct) =>
            (await grains.Ref<IClientGrain>(clientId).GetAccessFactsAsync(ct)).ConsentNow
                .Contains(ConsentScope.AcrossOrganisations);
    }
}
