using CareCoordination.CareTeams;
using CareCoordination.Common;
using CareCoordination.Gateway.Security;
using Google.Protobuf;

namespace CareCoordination.Gateway.CareTeams;

/// <summary>
/// Who may see and run a care team. Its members see it (members, caseload, open gaps, live alerts, its report). Its
/// team leads and its creator manage it (members, assignments); a new team is created by a team lead. A regional
/// operator of its region reads its report. A platform service acts within its region.
/// </summary>
public sealed class TeamPolicy(IGrainFactory grains) : IAccessPolicy
{
    public On Kind => On.Team;

    public async Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken)
    {
        var team = await grains.Ref<ICareTeamGrain>(id).GetAccessFactsAsync(cancellationToken);
        if (act == Act.Create && !team.Exists)
        {
            return caller.IsService ? AccessDecision.WithinRegion(caller, AccessDecision.RegionOf(request))
                : caller.Has(Roles.TeamLead) ? AccessDecision.Allow("a team lead creates a team")
                : AccessDecision.Deny("only team leads create teams");
        }
        if (!team.Exists) return AccessDecision.Deny("no such team of the caller's");
        if (caller.IsService) return AccessDecision.WithinRegion(caller, team.Region);
        var member = team.Members.FirstOrDefault(m => m.WorkerId == caller.Id);
        return act switch
        {
            Act.Read => member is not null
                ? AccessDecision.Allow("member of the team")
                : AccessDecision.Deny("not a member of the team"),
            Act.Report when member is not null => AccessDecision.Allow("member of the team"),
            Act.Report => caller.Has(Roles.RegionalOperator) && caller.Region == team.Region
                ? AccessDecision.Allow("regional operator of the team's region")
                : AccessDecision.Deny("neither a member nor an operator of the team's region"),
            _ when Manages(caller, team) => AccessDecision.Allow("team lead of the team"),
            _ => AccessDecision.Deny("managing a team takes its team lead"),
        };
    }

    /// <summary>
    /// A team is managed by its members with the team-lead role, and by its creator while they hold the team-lead
    /// role in their token (so a team can get its first members).
    /// </summary>
    public static bool Manages(Caller caller, TeamAccessFacts team) =>
        team.Members.Any(m => m.WorkerId == caller.Id && m.Role == WorkerRole.TeamLead)
        || (team.CreatedBy == caller.Id && caller.Has(Roles.TeamLead));
}
