using CareCoordination.Common;
using CareCoordination.Api.V1;
using CareCoordination.CareTeams;
using CareCoordination.Gateway.Common;
using CareCoordination.Programs;
using CareCoordination.Regions;
using CareCoordination.Gateway.Security;
using Grpc.Core;

namespace CareCoordination.Gateway.Reports;

public sealed class ReportsService(IGrainFactory grains) : Api.V1.Reports.ReportsBase
{
    [Access(On.Team, Act.Report, "team_id")]
    public override async Task<TeamReportResponse> TeamReport(TeamReportRequest request, ServerCallContext context)
    {
        var r = await grains.Ref<ICareTeamGrain>(Validate.Key(request.TeamId, "team_id"))
            .GetReportAsync(context.CancellationToken);
        return new TeamReportResponse
        {
            TeamId = r.TeamId, ActiveClients = r.ActiveClients, ClosedClients = r.ClosedClients, Members = r.Members,
            Gaps = r.Gaps.ToProto(), Referrals = r.Referrals.ToProto(),
            Outcomes = new Outcomes { GoalsTotal = r.GoalsTotal, GoalsAchieved = r.GoalsAchieved },
        };
    }

    [Access(On.Program, Act.Report, "program_id")]
    public override async Task<ProgramReportResponse> ProgramReport(ProgramReportRequest request,
        ServerCallContext context)
    {
        var r = await grains.Ref<IProgramGrain>(Validate.Key(request.ProgramId, "program_id"))
            .GetReportAsync(context.CancellationToken);
        return new ProgramReportResponse
        {
            ProgramId = r.ProgramId, Capacity = r.Capacity, Enrolled = r.Enrolled, Waitlisted = r.Waitlisted,
            Referrals = r.Referrals.ToProto(), Gaps = r.Gaps.ToProto(),
        };
    }

    [Access(On.Region, Act.Report, "region")]
    public override async Task<RegionReportResponse> RegionReport(RegionReportRequest request,
        ServerCallContext context)
    {
        var r = await grains.Ref<IRegionGrain>(Validate.Key(request.Region, "region"))
            .GetReportAsync(context.CancellationToken);
        if (r.Clients + r.Teams + r.Programs == 0)
            throw CareCoordination.Common.CareCoordinationException.NotFound("region",
                $"region {request.Region} has no clients, teams or programs");
        return new RegionReportResponse
        {
            Region = r.Region, Clients = r.Clients, ActiveClientsOnTeams = r.ActiveClients, Teams = r.Teams,
            Programs = r.Programs, Gaps = r.Gaps.ToProto(), Referrals = r.Referrals.ToProto(),
            Outcomes = new Outcomes { GoalsTotal = r.GoalsTotal, GoalsAchieved = r.GoalsAchieved },
            ProgramCapacity = r.ProgramCapacity, ProgramEnrolled = r.ProgramEnrolled,
            ProgramWaitlisted = r.ProgramWaitlisted,
        };
    }
}
