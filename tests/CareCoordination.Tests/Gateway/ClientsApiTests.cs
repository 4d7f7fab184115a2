using CareCoordination.Api.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class ClientsApiTests(GatewayFixture gateway)
{
    private Timestamp InDays(double days) => Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(days));

    [Fact]
    public async Task A_client_is_registered_assessed_planned_contacted_and_closed_over_grpc()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        var c = gateway.Clients;

        await c.RecordAssessmentAsync(new RecordAssessmentRequest
        {
            RequestId = TestKeys.Request(), ClientId = id,
            Needs = { new Need { Domain = NeedDomain.Housing, Severity = 4 }, new Need { Domain = NeedDomain.Language, Severity = 2 } },
        }, s.Worker);
        var goal = await c.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "Stable housing", TargetDate = InDays(90) }, s.Worker);
        await c.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = id, GoalId = goal.ResultId, Domain = NeedDomain.Housing, Title = "Stable housing", Status = GoalStatus.InProgress, Progress = 40 }, s.Worker);
        await c.ReviewPlanAsync(new ReviewPlanRequest { RequestId = TestKeys.Request(), ClientId = id }, s.Worker);
        var appt = await c.ScheduleAppointmentAsync(new ScheduleAppointmentRequest { RequestId = TestKeys.Request(), ClientId = id, At = InDays(2), WorkerId = "cm-ana" }, s.Worker);
        await c.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone }, s.Worker);

        var client = await c.GetClientAsync(new GetClientRequest { ClientId = id }, s.Worker);
        Assert.Equal(s.TeamId, client.TeamId);
        Assert.Equal("cm-ana", client.LeadWorkerId);
        Assert.Equal(2, client.Assessment.Needs.Count);
        Assert.Equal(40, Assert.Single(client.Goals).Progress);
        Assert.Equal(appt.ResultId, Assert.Single(client.Appointments).AppointmentId);
        Assert.NotNull(client.LastContactAt);
        Assert.DoesNotContain(client.OpenGaps, g => g.Rule == CareGapRule.NoLeadWorker);

        var closed = await c.CloseCaseAsync(new CloseCaseRequest { RequestId = TestKeys.Request(), ClientId = id, Reason = "goals-achieved" }, s.Worker);
        Assert.True(closed.Client.Closed);
        Assert.Empty(closed.Client.OpenGaps);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            c.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone }, s.Worker).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task A_retried_write_returns_the_first_answer_and_applies_once()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        var request = new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Employment, Title = "Job interview practice" };

        var first = await gateway.Clients.SetGoalAsync(request, s.Worker);
        var retry = await gateway.Clients.SetGoalAsync(request, s.Worker);

        Assert.Equal(first.ResultId, retry.ResultId);
        Assert.Single(retry.Client.Goals);
    }

    [Fact]
    public async Task A_retried_close_returns_the_first_answer_and_a_goal_update_without_status_keeps_it()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        var goal = await gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "Flat", Status = GoalStatus.InProgress }, s.Worker);
        var renamed = await gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = id, GoalId = goal.ResultId, Domain = NeedDomain.Housing, Title = "A flat near work" }, s.Worker);
        Assert.Equal(GoalStatus.InProgress, Assert.Single(renamed.Client.Goals).Status);

        var close = new CloseCaseRequest { RequestId = TestKeys.Request(), ClientId = id, Reason = "moved-away" };
        var first = await gateway.Clients.CloseCaseAsync(close, s.Worker);
        var retried = await gateway.Clients.CloseCaseAsync(close, s.Worker);

        Assert.Equal(first.ResultId, retried.ResultId);
        Assert.True(retried.Client.Closed);
    }

    [Fact]
    public async Task The_timeline_pages_through_what_happened_in_order()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: true);
        for (var i = 0; i < 5; i++)
            await gateway.Clients.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone }, s.Worker);

        var entries = new List<Api.V1.TimelineEntry>();
        var token = "";
        do
        {
            var page = await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = id, PageSize = 3, PageToken = token }, s.Worker);
            Assert.True(page.Entries.Count <= 3);
            entries.AddRange(page.Entries);
            token = page.NextPageToken;
        } while (token != "");

        Assert.Equal(entries.OrderBy(e => e.Sequence).Select(e => e.Sequence), entries.Select(e => e.Sequence));
        Assert.Equal(5, entries.Count(e => e.Kind == "contact-recorded"));
        Assert.Equal("registered", entries[0].Kind);
        // What a worker did is recorded as theirs; what the service did on its own is "system".
        Assert.All(entries.Where(e => e.Actor != "system"), e => Assert.Equal("cm-ana", e.Actor));
        Assert.Contains(entries, e => e.Actor == "cm-ana");
    }

    [Fact]
    public async Task Reading_a_client_that_does_not_exist_answers_as_one_the_caller_may_not_see()
    {
        var s = new ApiScenario(gateway);
        var someoneElses = await s.ClientAsync(assign: false, consent: false);
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = TestKeys.New("nobody") }).ResponseAsync);
        var hidden = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(
            new GetClientRequest { ClientId = someoneElses }, GatewayFixture.As("cm-other")).ResponseAsync);

        // Existence does not leak: the same status and the same words.
        Assert.Equal(StatusCode.PermissionDenied, missing.StatusCode);
        Assert.Equal((missing.StatusCode, missing.Status.Detail), (hidden.StatusCode, hidden.Status.Detail));
    }

    [Fact]
    public async Task Registering_an_existing_client_with_a_new_request_id_is_already_exists()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.RegisterClientAsync(
            new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = id, Region = s.Region }, s.Worker).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
    }

    [Fact]
    public async Task A_call_whose_deadline_has_passed_is_deadline_exceeded_not_internal()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(
            new GetClientRequest { ClientId = TestKeys.New("c") }, deadline: DateTime.UtcNow.AddMilliseconds(-1)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }
}
