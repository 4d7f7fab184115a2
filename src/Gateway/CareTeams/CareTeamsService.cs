using CareCoordination.Common;
using CareCoordination.Api.V1;
using CareCoordination.CareTeams;
using CareCoordination.Gateway.Common;
using CareCoordination.Gateway.Security;
using Grpc.Core;
using D = CareCoordination.Common;

namespace CareCoordination.Gateway.CareTeams;

public sealed class CareTeamsService(IGrainFactory grains, PageTokens pageTokens, TeamSharing sharing)
    : Api.V1.CareTeams.CareTeamsBase
{
    private ICareTeamGrain Team(string teamId) => grains.Ref<ICareTeamGrain>(Validate.Key(teamId, "team_id"));

    [Access(On.Team, Act.Create, "team_id")]
    public override async Task<Team> CreateTeam(CreateTeamRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var team = Team(request.TeamId);
        var view = await team.CreateAsync(write, Validate.Key(request.Region, "region"),
            Validate.Text(request.Name, "name", 200), Validate.Text(request.Organisation, "organisation", 200),
            Caller.Actor(context), context.CancellationToken);
        return view.ToProto();
    }

    [Access(On.Team, Act.Manage, "team_id")]
    public override async Task<Team> AddMember(AddMemberRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var team = Team(request.TeamId);
        var view = await team.AddMemberAsync(write, Validate.Key(request.WorkerId, "worker_id"),
            (D.WorkerRole)Validate.Enum(request.Role, "role"), Validate.Text(request.Organisation, "organisation", 200),
            context.CancellationToken);
        return view.ToProto();
    }

    [Access(On.Team, Act.Manage, "team_id")]
    public override async Task<Team> RemoveMember(RemoveMemberRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var team = Team(request.TeamId);
        return (await team.RemoveMemberAsync(write, Validate.Key(request.WorkerId, "worker_id"),
            context.CancellationToken)).ToProto();
    }

    [Access(On.Team, Act.Manage, "team_id")]
    [Access(On.Client, Act.Assign, "client_id")]
    public override async Task<Api.V1.CaseloadEntry> AssignClient(AssignClientRequest request,
        ServerCallContext context)
    {
        var write = Validate.Write(request);
        var team = Team(request.TeamId);
        var entry = await team.AssignClientAsync(write, Validate.Key(request.ClientId, "client_id"),
            Validate.Key(request.LeadWorkerId, "lead_worker_id"), Caller.Actor(context), context.CancellationToken);
        return entry.ToProto();
    }

    [Access(On.Team, Act.Read, "team_id")]
    public override async Task<Team> GetTeam(GetTeamRequest request, ServerCallContext context) =>
        (await Team(request.TeamId).GetAsync(context.CancellationToken)).ToProto();

    [Access(On.Team, Act.Read, "team_id")]
    public override async Task<GetCaseloadResponse> GetCaseload(GetCaseloadRequest request, ServerCallContext context)
    {
        var team = Team(request.TeamId);
        var query = $"caseload:{request.TeamId}";
        var page = await team.GetCaseloadAsync(pageTokens.Read(request.PageToken, query),
            Validate.PageSize(request.PageSize), context.CancellationToken);
        // A member from another organisation sees the people who consent to sharing across organisations.
        var visible = await sharing.ForAsync(Caller.Of(context), request.TeamId, context.CancellationToken);
        var entries = new List<Api.V1.CaseloadEntry>(page.Entries.Count);
        foreach (var e in page.Entries)
            if (await visible(e.ClientId, context.CancellationToken)) entries.Add(e.ToProto());
        return new GetCaseloadResponse
        {
            Entries = { entries },
            NextPageToken = page.NextAfter is { } next ? pageTokens.Issue(query, next) : "",
            Total = page.Total,
        };
    }
}
