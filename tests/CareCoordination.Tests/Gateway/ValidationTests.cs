using CareCoordination.Api.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Gateway;

/// <summary>Bad input: INVALID_ARGUMENT (or the precise status) naming the field, and nothing changes.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValidationTests(GatewayFixture gateway)
{
    private static async Task<RpcException> Refused<T>(AsyncUnaryCall<T> call) => await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

    private static void AssertNames(RpcException error, StatusCode code, string field)
    {
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(field, error.Status.Detail);
    }

    [Theory]
    [InlineData("", "client_id")]
    [InlineData("has space", "client_id")]
    [InlineData("Ana García 1985", "client_id")]
    public async Task A_malformed_client_id_is_invalid_argument_naming_the_field(string clientId, string field)
    {
        var error = await Refused(gateway.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = clientId, Region = "r1" }));
        AssertNames(error, StatusCode.InvalidArgument, field);
    }

    [Fact]
    public async Task A_write_without_request_id_is_refused()
    {
        var error = await Refused(gateway.Clients.RegisterClientAsync(new RegisterClientRequest { ClientId = TestKeys.New("c"), Region = "r1" }));
        AssertNames(error, StatusCode.InvalidArgument, "request_id");
    }

    [Fact]
    public async Task Bad_fields_of_each_service_name_the_field_and_change_nothing()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var id = await s.ClientAsync();
        var before = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id });
        var past = Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(-1));

        AssertNames(await Refused(gateway.Clients.RecordAssessmentAsync(new RecordAssessmentRequest
        { RequestId = TestKeys.Request(), ClientId = id, Needs = { new Need { Domain = NeedDomain.Housing, Severity = 9 } } })), StatusCode.InvalidArgument, "needs[0].severity");
        AssertNames(await Refused(gateway.Clients.RecordAssessmentAsync(new RecordAssessmentRequest
        { RequestId = TestKeys.Request(), ClientId = id, Needs = { new Need { Domain = (NeedDomain)99, Severity = 3 } } })), StatusCode.InvalidArgument, "needs[0].domain");
        AssertNames(await Refused(gateway.Clients.RecordConsentAsync(new RecordConsentRequest
        { RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam }, ExpiresAt = past })), StatusCode.InvalidArgument, "expires_at");
        AssertNames(await Refused(gateway.Clients.SetGoalAsync(new SetGoalRequest
        { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "" })), StatusCode.InvalidArgument, "title");
        AssertNames(await Refused(gateway.Clients.SetGoalAsync(new SetGoalRequest
        { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "x", Progress = 101 })), StatusCode.InvalidArgument, "progress");
        AssertNames(await Refused(gateway.Clients.SetGoalAsync(new SetGoalRequest
        { RequestId = TestKeys.Request(), ClientId = id, GoalId = "goal-999", Domain = NeedDomain.Housing, Title = "x" })), StatusCode.NotFound, "goal-999");
        AssertNames(await Refused(gateway.Clients.ScheduleAppointmentAsync(new ScheduleAppointmentRequest
        { RequestId = TestKeys.Request(), ClientId = id, At = past, WorkerId = "cm-ana" })), StatusCode.InvalidArgument, "at");
        AssertNames(await Refused(gateway.Clients.RecordContactAsync(new RecordContactRequest
        { RequestId = TestKeys.Request(), ClientId = id, Missed = true })), StatusCode.InvalidArgument, "appointment_id");
        AssertNames(await Refused(gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = id, PageSize = 500 })), StatusCode.InvalidArgument, "page_size");
        AssertNames(await Refused(gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = id, PageToken = "not-a-token" })), StatusCode.InvalidArgument, "page_token");
        AssertNames(await Refused(gateway.Teams.AssignClientAsync(new AssignClientRequest
        { RequestId = TestKeys.Request(), TeamId = s.TeamId, ClientId = id, LeadWorkerId = "stranger" })), StatusCode.FailedPrecondition, "lead_worker_id");
        AssertNames(await Refused(gateway.Teams.AddMemberAsync(new AddMemberRequest
        { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "w-1", Organisation = "city" })), StatusCode.InvalidArgument, "role");
        AssertNames(await Refused(gateway.Programs.ReferAsync(new ReferRequest
        { RequestId = TestKeys.Request(), ClientId = id, ProgramId = s.ProgramId, Domain = NeedDomain.Employment })), StatusCode.FailedPrecondition, "Employment");
        AssertNames(await Refused(gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest
        { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = "r-1", Accept = false })), StatusCode.InvalidArgument, "reason_code");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 0 })), StatusCode.InvalidArgument, "capacity");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          ResponseSla = new Duration { Seconds = 5, Nanos = -1 } })), StatusCode.InvalidArgument, "response_sla");
        // Beyond what a TimeSpan holds: refused by name, not an INTERNAL from the conversion.
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          ResponseSla = new Duration { Seconds = 400_000_000_000 } })), StatusCode.InvalidArgument, "response_sla");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          Coordinators = { Enumerable.Range(0, 51).Select(i => $"w-{i}") } })), StatusCode.InvalidArgument, "coordinators");
        AssertNames(await Refused(gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = "not a gap" })), StatusCode.InvalidArgument, "gap_id");
        AssertNames(await Refused(gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = $"client/{id}/g999" })), StatusCode.NotFound, "g999");

        var after = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id });
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Reusing_a_request_id_for_a_different_write_is_refused_and_changes_nothing()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        var requestId = TestKeys.Request();
        await gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = requestId, ClientId = id, Domain = NeedDomain.Housing, Title = "A" });

        var error = await Refused(gateway.Clients.SetGoalAsync(new SetGoalRequest { RequestId = requestId, ClientId = id, Domain = NeedDomain.Housing, Title = "B" }));

        AssertNames(error, StatusCode.InvalidArgument, "request_id");
        Assert.Equal("A", Assert.Single((await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id })).Goals).Title);
    }

    [Fact]
    public async Task Subscribing_to_a_malformed_or_unknown_feed_is_refused()
    {
        var bad = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = "everything" } } });
        var error = await Assert.ThrowsAsync<RpcException>(() => bad.ResponseStream.MoveNext());
        AssertNames(error, StatusCode.InvalidArgument, "feeds[0].feed_id");

        var unknown = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{TestKeys.New("t")}" } } });
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => unknown.ResponseStream.MoveNext())).StatusCode);
    }
}
