using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;

namespace CareCoordination.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClientGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_registered_client_keeps_what_is_recorded_about_them()
    {
        var s = await new ClusterScenario(fixture.Grains).WithClientAsync();
        await s.Client.RecordAssessmentAsync(ClusterScenario.Write(), new RecordAssessment([new Need(NeedDomain.Housing, 4)], null, "cm-1"));
        var goal = await s.Client.SetGoalAsync(ClusterScenario.Write(),
            new SetGoal(null, NeedDomain.Housing, "Find stable housing", ClusterFixture.Clock.GetUtcNow().AddDays(60), GoalStatus.InProgress, 10, "cm-1"));

        var client = await s.Client.GetAsync();

        Assert.Equal(s.Region, client.Region);
        Assert.Equal(NeedDomain.Housing, Assert.Single(client.Assessment!.Needs).Domain);
        Assert.Equal(goal.ResultId, Assert.Single(client.Goals).GoalId);
        Assert.NotNull(client.PlanReviewDue);
        Assert.Contains(client.OpenGaps, g => g.Rule == CareGapRule.NoLeadWorker);
    }

    [Fact]
    public async Task Registering_twice_with_another_request_id_is_already_exists_and_the_same_id_replays()
    {
        var s = new ClusterScenario(fixture.Grains);
        var request = ClusterScenario.Write("register");
        var command = new RegisterClient(s.Region, new ClientProfile("es", null, [], false, RiskLevel.Standard), "cm-1");
        var first = await s.Client.RegisterAsync(request, command);

        var replay = await s.Client.RegisterAsync(request, command);
        var error = await Assert.ThrowsAsync<CareCoordinationException>(() => s.Client.RegisterAsync(ClusterScenario.Write(), command));

        Assert.Equal(first.ResultId, replay.ResultId);
        Assert.Equal(ErrorKind.AlreadyExists, error.Kind);
    }

    [Fact]
    public async Task A_request_id_reused_for_different_content_is_refused()
    {
        var s = await new ClusterScenario(fixture.Grains).WithClientAsync();
        var id = TestKeys.Request();
        await s.Client.SetGoalAsync(WriteRequest.Of(id, "goal A"), new SetGoal(null, NeedDomain.Housing, "A", null, GoalStatus.NotStarted, 0, "cm-1"));

        var error = await Assert.ThrowsAsync<CareCoordinationException>(() =>
            s.Client.SetGoalAsync(WriteRequest.Of(id, "goal B"), new SetGoal(null, NeedDomain.Housing, "B", null, GoalStatus.NotStarted, 0, "cm-1")));

        Assert.Equal("request_id", error.Field);
        Assert.Single((await s.Client.GetAsync()).Goals);
    }

    [Fact]
    public async Task Two_missed_appointments_open_a_gap_that_an_attended_one_closes()
    {
        var s = await new ClusterScenario(fixture.Grains).WithClientAsync();
        var now = ClusterFixture.Clock.GetUtcNow();
        var a1 = (await s.Client.ScheduleAppointmentAsync(ClusterScenario.Write(), new ScheduleAppointment(now.AddHours(1), "cm-1", "cm-1"))).ResultId;
        var a2 = (await s.Client.ScheduleAppointmentAsync(ClusterScenario.Write(), new ScheduleAppointment(now.AddHours(2), "cm-1", "cm-1"))).ResultId;
        var a3 = (await s.Client.ScheduleAppointmentAsync(ClusterScenario.Write(), new ScheduleAppointment(now.AddHours(3), "cm-1", "cm-1"))).ResultId;

        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.Unspecified, null, a1, true, "cm-1"));
        Assert.DoesNotContain((await s.Client.GetOpenGapsAsync()), g => g.Rule == CareGapRule.MissedAppointments);
        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.Unspecified, null, a2, true, "cm-1"));
        Assert.Contains((await s.Client.GetOpenGapsAsync()), g => g.Rule == CareGapRule.MissedAppointments);
        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.InPerson, null, a3, false, "cm-1"));
        Assert.DoesNotContain((await s.Client.GetOpenGapsAsync()), g => g.Rule == CareGapRule.MissedAppointments);
    }

    [Fact]
    public async Task Moving_a_client_to_another_team_moves_the_caseload_and_its_open_gaps()
    {
        var s = await new ClusterScenario(fixture.Grains).WithTeamAsync();
        await s.WithClientAsync();
        await s.AssignAsync();
        var other = new ClusterScenario(fixture.Grains);
        var otherTeam = other.Team;
        await otherTeam.CreateAsync(ClusterScenario.Write(), s.Region, "Other", "org", "tl-1");
        await otherTeam.AddMemberAsync(ClusterScenario.Write(), "cm-2", WorkerRole.CaseManager, "org");
        await s.Client.RecordAssessmentAsync(ClusterScenario.Write(), new RecordAssessment([new Need(NeedDomain.Safety, 5)], null, "cm-1"));
        ClusterFixture.Clock.Advance(TimeSpan.FromDays(15));
        await Eventually.HoldsAsync(async () => (await s.Client.GetOpenGapsAsync()).Any(g => g.Rule == CareGapRule.UnmetNeed), "unmet need opens");

        await otherTeam.AssignClientAsync(ClusterScenario.Write(), s.ClientId, "cm-2", "tl");

        Assert.Equal(0, (await s.Team.GetAsync()).CaseloadSize);
        Assert.Equal(1, (await otherTeam.GetAsync()).CaseloadSize);
        Assert.All(await s.Client.GetOpenGapsAsync(), g => Assert.Equal($"team:{other.TeamId}", g.FeedId));

        // And back: the first team hears of the gap again (a new event, not a duplicate of the first announcement).
        await s.Team.AssignClientAsync(ClusterScenario.Write(), s.ClientId, "cm-1", "tl");
        var feed = (await fixture.Grains.GetGrain<Alerts.IAlertFeedGrain>(Alerts.AlertFeeds.Team(s.TeamId)).ReadAsync(0, 100)).Alerts
            .Where(a => a.Gap.Rule == CareGapRule.UnmetNeed).Select(a => a.Kind).ToList();
        Assert.Equal([Alerts.AlertKind.Opened, Alerts.AlertKind.Closed, Alerts.AlertKind.Opened], feed);
        Assert.Equal(0, (await otherTeam.GetAsync()).CaseloadSize);
    }
}
