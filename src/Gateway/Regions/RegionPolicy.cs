using CareCoordination.Gateway.Security;
using Google.Protobuf;

namespace CareCoordination.Gateway.Regions;

/// <summary>
/// What belongs to a region as a whole. Anyone authenticated lists its programs (the directory). Its regional
/// operators read its report (aggregates). Its intake feed — alerts about people not yet on a team — is for the
/// team leads of the region. A platform service acts within its region. The region comes from the token's
/// "region" claim.
/// </summary>
public sealed class RegionPolicy : IAccessPolicy
{
    public On Kind => On.Region;

    public Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken) =>
        Task.FromResult(act switch
        {
            Act.Read => AccessDecision.Allow("the region's directory"),
            _ when caller.IsService => caller.Region == id
                ? AccessDecision.Allow("platform service of the region")
                : AccessDecision.Deny("platform service of another region"),
            Act.Report => caller.Has(Roles.RegionalOperator) && caller.Region == id
                ? AccessDecision.Allow("regional operator of the region")
                : AccessDecision.Deny("the region's report is for its regional operators"),
            // Act.Manage: the intake of people not yet on a team.
            _ => caller.Has(Roles.TeamLead) && caller.Region == id
                ? AccessDecision.Allow("team lead of the region")
                : AccessDecision.Deny("the region's intake is for its team leads"),
        });
}
