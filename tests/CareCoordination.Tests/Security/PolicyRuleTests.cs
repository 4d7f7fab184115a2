using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Grpc.Core;

namespace CareCoordination.Tests.Security;

/// <summary>Rules of the policies that an authorization matrix of outsiders does not reach.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PolicyRuleTests(GatewayFixture gateway)
{
    private static async Task<StatusCode> StatusOf<T>(AsyncUnaryCall<T> call)
    {
        try { await call; return StatusCode.OK; }
        catch (RpcException e) { return e.StatusCode; }
    }

    [Fact]
    public async Task A_team_lead_takes_people_from_the_intake_but_cannot_pull_them_from_another_team()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var onTeam = await s.ClientAsync();
        var inIntake = await s.ClientAsync(assign: false);
        var otherLead = GatewayFixture.As("tl-other", [Roles.TeamLead], region: s.Region);
        var other = TestKeys.New("team");
        await gateway.Teams.CreateTeamAsync(new CreateTeamRequest { RequestId = TestKeys.Request(), TeamId = other, Region = s.Region, Name = "B", Organisation = "city" }, otherLead);
        await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = other, WorkerId = "tl-other", Role = WorkerRole.TeamLead, Organisation = "city" }, otherLead);

        // A team lead of another region (or of none) may create a team in this region, but not take its people.
        foreach (var (name, region) in new[] { ("tl-elsewhere", TestKeys.New("region")), ("tl-nowhere", (string?)null) })
        {
            var outsider = GatewayFixture.As(name, [Roles.TeamLead], region: region);
            var theirs = TestKeys.New("team");
            await gateway.Teams.CreateTeamAsync(new CreateTeamRequest { RequestId = TestKeys.Request(), TeamId = theirs, Region = s.Region, Name = "C", Organisation = "city" }, outsider);
            await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = theirs, WorkerId = name, Role = WorkerRole.TeamLead, Organisation = "city" }, outsider);
            Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Teams.AssignClientAsync(new AssignClientRequest
                { RequestId = TestKeys.Request(), TeamId = theirs, ClientId = inIntake, LeadWorkerId = name }, outsider)));
            Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = inIntake }, outsider)));
        }
        Assert.Equal("", (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = inIntake })).TeamId);

        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Teams.AssignClientAsync(new AssignClientRequest
            { RequestId = TestKeys.Request(), TeamId = other, ClientId = onTeam, LeadWorkerId = "tl-other" }, otherLead)));
        Assert.Equal(s.TeamId, (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = onTeam })).TeamId);
        Assert.Equal(StatusCode.OK, await StatusOf(gateway.Teams.AssignClientAsync(new AssignClientRequest
            { RequestId = TestKeys.Request(), TeamId = other, ClientId = inIntake, LeadWorkerId = "tl-other" }, otherLead)));
        // Once on the person's team too, the other team's lead may move them to the team they lead.
        await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "tl-other", Role = WorkerRole.CaseManager, Organisation = "city" });
        Assert.Equal(StatusCode.OK, await StatusOf(gateway.Teams.AssignClientAsync(new AssignClientRequest
            { RequestId = TestKeys.Request(), TeamId = other, ClientId = onTeam, LeadWorkerId = "tl-other" }, otherLead)));
    }

    [Fact]
    public async Task A_cluster_operators_token_opens_no_call_of_the_api_not_even_the_program_directory()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var client = await s.ClientAsync();
        var ops = GatewayFixture.As("ops-1", [Roles.ClusterOperator]);
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Programs.GetProgramAsync(new GetProgramRequest { ProgramId = s.ProgramId }, ops)));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Programs.ListProgramsAsync(new ListProgramsRequest { Region = s.Region }, ops)));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, ops)));
        // Any role of the API reads the directory, an auditor's too: it holds programs, not people.
        var auditor = GatewayFixture.As("dpo-1", [Roles.Auditor]);
        Assert.Equal(StatusCode.OK, await StatusOf(gateway.Programs.GetProgramAsync(new GetProgramRequest { ProgramId = s.ProgramId }, auditor)));
    }

    [Fact]
    public async Task A_programs_coordinator_reads_what_the_referral_shares_and_nothing_more()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var client = await s.ClientAsync();
        await gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = client, Domain = NeedDomain.Safety, Title = "safety plan" });
        await gateway.Programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = client, ProgramId = s.ProgramId, Domain = NeedDomain.Housing });
        var coordinator = GatewayFixture.As(ApiScenario.Coordinator, [Roles.ProgramCoordinator], "ngo-casa");

        var shared = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, coordinator);
        Assert.Single(shared.Referrals);
        Assert.Empty(shared.Goals);
        Assert.Null(shared.Assessment);
        Assert.Equal("", shared.TeamId);
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client }, coordinator)));
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = client }, coordinator)));
    }

    [Fact]
    public async Task The_organisation_that_counts_is_the_tokens_not_what_the_team_recorded()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var client = await s.ClientAsync();
        // Recorded as a member of the city, but the identity provider says the worker is with an NGO.
        await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "sw-ngo", Role = WorkerRole.SocialWorker, Organisation = "city" });
        var ngoWorker = GatewayFixture.As("sw-ngo", [Roles.SocialWorker], "ngo");

        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, ngoWorker)));
    }

    [Fact]
    public async Task A_teams_creator_manages_it_only_while_a_team_lead()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync(); // created by the default worker, a team lead
        var noLongerLead = GatewayFixture.As(GatewayFixture.DefaultWorker, [Roles.CaseManager]);
        Assert.Equal(StatusCode.PermissionDenied, await StatusOf(gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "w-new", Role = WorkerRole.Mediator, Organisation = "city" }, noLongerLead)));
    }
}
