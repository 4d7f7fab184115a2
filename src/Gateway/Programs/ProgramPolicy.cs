using CareCoordination.Common;
using CareCoordination.Gateway.Security;
using CareCoordination.Programs;
using Google.Protobuf;

namespace CareCoordination.Gateway.Programs;

/// <summary>
/// Who may see and run a program. Any role of the API reads its directory entry (no referrals, no people). Its
/// coordinators run it: referrals, enrollments, its open gaps and live alerts, and see its referrals. A program
/// coordinator registers a new program (and coordinates it). A regional operator of its region reads its report.
/// A platform service acts within its region.
/// </summary>
public sealed class ProgramPolicy(IGrainFactory grains) : IAccessPolicy
{
    public On Kind => On.Program;

    public async Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken)
    {
        var program = await grains.Ref<IProgramGrain>(id).GetAccessFactsAsync(cancellationToken);
        if (act == Act.Create && !program.Exists)
        {
            return caller.IsService ? AccessDecision.WithinRegion(caller, AccessDecision.RegionOf(request))
                : caller.Has(Roles.ProgramCoordinator)
                    ? AccessDecision.Allow("a program coordinator registers a program")
                    : AccessDecision.Deny("only program coordinators register programs");
        }
        var coordinator = program.Coordinators.Contains(caller.Id);
        if (act == Act.Read)
            // The directory entry is public within the service; an unknown program is NOT_FOUND from the grain.
            return coordinator || (caller.IsService && caller.Region == program.Region)
                ? AccessDecision.Allow("coordinator of the program")
                : new AccessDecision(true, "program directory", View: View.Directory);
        if (!program.Exists) return AccessDecision.Deny("no such program of the caller's");
        if (caller.IsService) return AccessDecision.WithinRegion(caller, program.Region);
        if (coordinator) return AccessDecision.Allow("coordinator of the program");
        return act == Act.Report && caller.Has(Roles.RegionalOperator) && caller.Region == program.Region
            ? AccessDecision.Allow("regional operator of the program's region")
            : AccessDecision.Deny("running a program takes one of its coordinators");
    }
}
