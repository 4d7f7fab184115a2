using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace CareCoordination.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class CareTeamsAndReportsApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_team_has_members_and_a_paged_caseload_and_a_lead_worker_cannot_be_removed()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await s.ClientAsync());

        var team = await gateway.Teams.GetTeamAsync(new GetTeamRequest { TeamId = s.TeamId });
        Assert.Equal(3, team.CaseloadSize);
        Assert.Equal(["cm-ana", "tl-marco"], team.Members.Select(m => m.WorkerId));
        Assert.Equal($"team:{s.TeamId}", team.FeedId);

        var first = await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId, PageSize = 2 });
        var second = await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId, PageSize = 2, PageToken = first.NextPageToken });
        Assert.Equal(ids.Order(StringComparer.Ordinal), first.Entries.Concat(second.Entries).Select(e => e.ClientId));
        Assert.Equal("", second.NextPageToken);

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Teams.RemoveMemberAsync(
            new RemoveMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "cm-ana" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var removed = await gateway.Teams.RemoveMemberAsync(new RemoveMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "tl-marco" });
        Assert.Single(removed.Members);
    }

    [Fact]
    public async Task Reports_count_caseload_gaps_referrals_and_outcomes()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var a = await s.ClientAsync();
        var b = await s.ClientAsync();
        await gateway.Programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = a, ProgramId = s.ProgramId, Domain = NeedDomain.Housing });
        var r = await gateway.Programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = b, ProgramId = s.ProgramId, Domain = NeedDomain.Housing });
        await gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = r.ReferralId, Accept = false, ReasonCode = "not-eligible" });
        var goal = await gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = a, Domain = NeedDomain.Language, Title = "A2", Status = GoalStatus.Achieved });

        var team = await gateway.Reports.TeamReportAsync(new TeamReportRequest { TeamId = s.TeamId });
        Assert.Equal(2, team.ActiveClients);
        Assert.Equal((2, 0, 1), (team.Referrals.Sent, team.Referrals.Accepted, team.Referrals.Declined));
        Assert.Equal((1, 1), (team.Outcomes.GoalsTotal, team.Outcomes.GoalsAchieved));

        var program = await gateway.Reports.ProgramReportAsync(new ProgramReportRequest { ProgramId = s.ProgramId });
        Assert.Equal(2, program.Referrals.Sent);
        Assert.True(program.Referrals.HasMeanHoursToRespond);

        // Aggregates of a region are its regional operators'.
        var region = await gateway.Reports.RegionReportAsync(new RegionReportRequest { Region = s.Region },
            GatewayFixture.As("op-1", [Roles.RegionalOperator], region: s.Region));
        Assert.Equal((2, 1, 1), (region.Clients, region.Teams, region.Programs));
        Assert.Equal(2, region.ActiveClientsOnTeams);

        var empty = TestKeys.New("empty");
        var none = await Assert.ThrowsAsync<RpcException>(() => gateway.Reports.RegionReportAsync(new RegionReportRequest { Region = empty },
            GatewayFixture.As("op-2", [Roles.RegionalOperator], region: empty)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Health_reports_serving_and_reflection_lists_the_api()
    {
        var health = await new Health.HealthClient(gateway.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // Health answers without a token (load balancers); reflection only to an authenticated caller.
        using var anonymous = new ServerReflection.ServerReflectionClient(gateway.Channel).ServerReflectionInfo();
        // Read without writing: the refusal comes before the server reads any request, and writing into a call the
        // server has already ended races the client into reporting CANCELLED instead of the server's status.
        var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        using var reflection = new ServerReflection.ServerReflectionClient(gateway.Invoker).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.ResponseStream.MoveNext();
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(x => x.Name).ToList();
        await reflection.RequestStream.CompleteAsync();
        foreach (var name in new[] { "Clients", "CareTeams", "Programs", "Alerts", "Reports", "Audit" })
            Assert.Contains($"carecoordination.v1.{name}", services);
    }
}
