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
        { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = $"{id}.r1", Accept = false })), StatusCode.InvalidArgument, "reason_code");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 0 })), StatusCode.InvalidArgument, "capacity");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          ResponseSla = new Duration { Seconds = 5, Nanos = -1 } })), StatusCode.InvalidArgument, "response_sla");
        // Beyond what a TimeSpan holds: refused by name, not an INTERNAL from the conversion.
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          ResponseSla = new Duration { Seconds = 400_000_000_000 } })), StatusCode.InvalidArgument, "response_sla");
        // A nanosecond past 90 days is past 90 days, though a TimeSpan's ticks would drop it.
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          ResponseSla = new Duration { Seconds = 7_776_000, Nanos = 1 } })), StatusCode.InvalidArgument, "response_sla");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        { RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.Other, Domains = { NeedDomain.Income }, Capacity = 3,
          Coordinators = { Enumerable.Range(0, 51).Select(i => $"w-{i}") } })), StatusCode.InvalidArgument, "coordinators");
        AssertNames(await Refused(gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = "not a gap" })), StatusCode.InvalidArgument, "gap_id");
        AssertNames(await Refused(gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = $"client/{id}/g999" })), StatusCode.NotFound, "g999");

        var after = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id });
        Assert.Equal(before, after);
    }

    public static TheoryData<string, string> ImplausibleTimes => new()
    {
        { "contact in year 1", "occurred_at" },
        { "contact on the Unix epoch", "occurred_at" },
        { "contact in 1969", "occurred_at" },
        { "goal target in year 1", "target_date" },
        { "appointment in 9999", "at" },
        { "consent expiring in 9999", "expires_at" },
        { "assessment review in 9999", "review_due" },
        { "plan review in 9999", "next_review_due" },
    };

    [Theory]
    [MemberData(nameof(ImplausibleTimes))]
    public async Task An_implausible_timestamp_is_refused_naming_its_field_and_changes_nothing(string because, string field)
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        var before = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id });
        static Timestamp At(int year) => Timestamp.FromDateTime(new DateTime(year, 12, 31, 0, 0, 0, DateTimeKind.Utc));
        var epoch = new Timestamp();
        var call = because switch
        {
            "contact in year 1" => gateway.Clients.RecordContactAsync(new RecordContactRequest
                { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone, OccurredAt = At(1) }),
            "contact on the Unix epoch" => gateway.Clients.RecordContactAsync(new RecordContactRequest
                { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone, OccurredAt = epoch }),
            "contact in 1969" => gateway.Clients.RecordContactAsync(new RecordContactRequest
                { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone, OccurredAt = At(1969) }),
            "goal target in year 1" => gateway.Clients.SetGoalAsync(new SetGoalRequest
                { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "x", TargetDate = At(1) }),
            "appointment in 9999" => gateway.Clients.ScheduleAppointmentAsync(new ScheduleAppointmentRequest
                { RequestId = TestKeys.Request(), ClientId = id, At = At(9999), WorkerId = "cm-ana" }),
            "consent expiring in 9999" => gateway.Clients.RecordConsentAsync(new RecordConsentRequest
                { RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam }, ExpiresAt = At(9999) }),
            "assessment review in 9999" => gateway.Clients.RecordAssessmentAsync(new RecordAssessmentRequest
            {
                RequestId = TestKeys.Request(), ClientId = id, ReviewDue = At(9999),
                Needs = { new Need { Domain = NeedDomain.Housing, Severity = 2 } },
            }),
            _ => gateway.Clients.ReviewPlanAsync(new ReviewPlanRequest { RequestId = TestKeys.Request(), ClientId = id, NextReviewDue = At(9999) }),
        };
        AssertNames(await Refused(call), StatusCode.InvalidArgument, field);
        Assert.Equal(before, await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id }));
    }

    [Fact]
    public async Task Page_tokens_are_refused_unless_this_service_handed_them_out_for_the_same_list()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var a = await s.ClientAsync();
        await s.ClientAsync();
        var caseload = await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId, PageSize = 1 });
        Assert.NotEqual("", caseload.NextPageToken);
        var timeline = await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = a, PageSize = 1 });
        Assert.NotEqual("", timeline.NextPageToken);

        // Tokens that decode cleanly but were never issued: the old base64 of a position, and a sequence number.
        var forged = new[] { Convert.ToBase64String("zzz"u8.ToArray()), Convert.ToBase64String("1"u8.ToArray()), "AAAA" };
        foreach (var token in forged)
        {
            AssertNames(await Refused(gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = a, PageToken = token })),
                StatusCode.InvalidArgument, "page_token");
            AssertNames(await Refused(gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId, PageToken = token })),
                StatusCode.InvalidArgument, "page_token");
            AssertNames(await Refused(gateway.Programs.ListProgramsAsync(new ListProgramsRequest { Region = s.Region, PageToken = token })),
                StatusCode.InvalidArgument, "page_token");
            AssertNames(await Refused(gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId, PageToken = token })),
                StatusCode.InvalidArgument, "page_token");
        }
        // A real token of one list is refused by another, and an altered one by its own.
        AssertNames(await Refused(gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId, PageToken = caseload.NextPageToken })),
            StatusCode.InvalidArgument, "page_token");
        var other = await s.ClientAsync();
        AssertNames(await Refused(gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = other, PageToken = timeline.NextPageToken })),
            StatusCode.InvalidArgument, "page_token");
        var altered = (caseload.NextPageToken[^1] == 'A' ? caseload.NextPageToken[..^1] + "B" : caseload.NextPageToken[..^1] + "A");
        AssertNames(await Refused(gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId, PageToken = altered })),
            StatusCode.InvalidArgument, "page_token");
        // And the real ones still page.
        Assert.Single((await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest
            { TeamId = s.TeamId, PageSize = 1, PageToken = caseload.NextPageToken })).Entries);
    }

    [Theory]
    [InlineData("es", true)]
    [InlineData("ar-MA", true)]
    [InlineData("zh-Hant-TW", true)]
    [InlineData("sr-Latn", true)]
    [InlineData("es-419", true)]
    [InlineData("Spanish", false)]
    [InlineData("es_ES", false)]
    [InlineData("e", false)]
    [InlineData("es-", false)]
    [InlineData("es\u202E", false)]
    [InlineData("es\n", false)]
    public async Task Preferred_language_must_be_a_BCP47_tag(string tag, bool accepted)
    {
        tag = System.Text.RegularExpressions.Regex.Unescape(tag);
        var call = gateway.Clients.RegisterClientAsync(new RegisterClientRequest
            { RequestId = TestKeys.Request(), ClientId = TestKeys.New("c"), Region = "r1", Profile = new Profile { PreferredLanguage = tag } });
        if (accepted) Assert.Equal(tag, (await call).Client.Profile.PreferredLanguage);
        else AssertNames(await Refused(call), StatusCode.InvalidArgument, "profile.preferred_language");
    }

    [Theory]
    [InlineData("req\u200B1", "request_id")]      // zero-width space
    [InlineData("req\u202E1", "request_id")]      // right-to-left override
    [InlineData("req\u00001", "request_id")]      // control
    [InlineData("c\u200B1", "client_id")]
    [InlineData("c\u202E1", "client_id")]
    [InlineData("c1\n", "client_id")]           // a final newline: a second "c1" to the eye
    [InlineData("c1\r\n", "client_id")]
    public async Task Identifiers_with_control_bidi_or_zero_width_characters_are_refused(string value, string field)
    {
        value = System.Text.RegularExpressions.Regex.Unescape(value);
        var clientId = field == "client_id" ? value : TestKeys.New("c");
        var requestId = field == "request_id" ? value : TestKeys.Request();
        AssertNames(await Refused(gateway.Clients.RegisterClientAsync(new RegisterClientRequest
            { RequestId = requestId, ClientId = clientId, Region = "r1" })), StatusCode.InvalidArgument, field);
    }

    [Fact]
    public async Task An_id_with_a_final_newline_is_refused_by_name_everywhere_and_creates_nothing()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var id = await s.ClientAsync();
        var region = TestKeys.New("region");
        AssertNames(await Refused(gateway.Clients.RegisterClientAsync(new RegisterClientRequest
            { RequestId = TestKeys.Request(), ClientId = id + "\n", Region = s.Region })), StatusCode.InvalidArgument, "client_id");
        AssertNames(await Refused(gateway.Clients.RegisterClientAsync(new RegisterClientRequest
            { RequestId = TestKeys.Request(), ClientId = TestKeys.New("c"), Region = region + "\n" })), StatusCode.InvalidArgument, "region");
        AssertNames(await Refused(gateway.Teams.CreateTeamAsync(new CreateTeamRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId + "\n", Region = s.Region, Name = "T", Organisation = "city" })), StatusCode.InvalidArgument, "team_id");
        AssertNames(await Refused(gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "w-1\n", Role = WorkerRole.Mediator, Organisation = "city" })), StatusCode.InvalidArgument, "worker_id");
        AssertNames(await Refused(gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = s.Region, Name = "P", Kind = ProgramKind.HousingFirst,
            Domains = { NeedDomain.Housing }, Capacity = 2, Coordinators = { "pc\n" },
        })), StatusCode.InvalidArgument, "coordinators[0]");
        // A read of an existing id with a newline is bad input, not a refusal of someone else's record.
        AssertNames(await Refused(gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id + "\n" })), StatusCode.InvalidArgument, "client_id");
        var referral = await gateway.Programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = id, ProgramId = s.ProgramId, Domain = NeedDomain.Housing });
        AssertNames(await Refused(gateway.Programs.EnrollAsync(new EnrollRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId + "\n" })), StatusCode.InvalidArgument, "referral_id");

        Assert.Equal(2, (await gateway.Teams.GetTeamAsync(new GetTeamRequest { TeamId = s.TeamId })).Members.Count);
        Assert.Empty((await gateway.Programs.ListProgramsAsync(new ListProgramsRequest { Region = region })).Programs);
    }

    [Fact]
    public async Task A_response_sla_finer_than_the_services_resolution_is_kept_above_zero()
    {
        var s = new ApiScenario(gateway);
        var program = TestKeys.New("p");
        await gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = TestKeys.Request(), ProgramId = program, Region = s.Region, Name = "P", Kind = ProgramKind.Other,
            Domains = { NeedDomain.Income }, Capacity = 3, ResponseSla = new Duration { Nanos = 1 },
        });
        var sla = (await gateway.Programs.GetProgramAsync(new GetProgramRequest { ProgramId = program })).ResponseSla;
        Assert.True(sla.ToTimeSpan() > TimeSpan.Zero, $"stored as {sla}");
    }

    [Theory]
    [InlineData("\\u200B", false)]                  // a zero-width space alone
    [InlineData("\\u2028", false)]                  // a line separator alone
    [InlineData("Housing\\u2028first", false)]      // a line break in a title
    [InlineData("\\u200B \\u00A0", false)]          // invisible and blank
    [InlineData("Casa \\uD83C\\uDFE0", true)]        // an emoji
    [InlineData("Family \\uD83D\\uDC68\\u200D\\uD83D\\uDC67", true)] // a joined emoji keeps its zero-width joiner
    public async Task A_title_needs_a_visible_character_and_no_line_separator(string title, bool accepted)
    {
        title = System.Text.RegularExpressions.Regex.Unescape(title);
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        var call = gateway.Clients.SetGoalAsync(new SetGoalRequest
            { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = title });
        if (accepted) Assert.Equal(title, Assert.Single((await call).Client.Goals).Title);
        else AssertNames(await Refused(call), StatusCode.InvalidArgument, "title");
    }

    [Fact]
    public async Task Free_text_with_a_bidi_override_is_refused()
    {
        var s = new ApiScenario(gateway);
        var id = await s.ClientAsync(assign: false, consent: false);
        AssertNames(await Refused(gateway.Clients.SetGoalAsync(new SetGoalRequest
            { RequestId = TestKeys.Request(), ClientId = id, Domain = NeedDomain.Housing, Title = "piso\u202Egnp.exe" })),
            StatusCode.InvalidArgument, "title");
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
    public async Task A_request_id_used_for_one_call_is_refused_for_another_whose_request_reads_the_same()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        await gateway.Clients.RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam },
            ExpiresAt = Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(5)),
        });
        var gap = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = id })).Gaps);

        // Acknowledge and Resolve of one gap encode alike; so do a consent without scopes and a plan review without
        // a date. One request id serves one call: the second is refused by name, not answered as a retry.
        var requestId = TestKeys.Request();
        await gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = requestId, GapId = gap.GapId });
        AssertNames(await Refused(gateway.Alerts.ResolveAsync(new ResolveRequest { RequestId = requestId, GapId = gap.GapId })),
            StatusCode.InvalidArgument, "request_id");
        var stillOpen = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = id })).Gaps);
        Assert.Equal(gap.GapId, stillOpen.GapId);
        Assert.Equal(GatewayFixture.DefaultWorker, stillOpen.AcknowledgedBy);

        var consentId = TestKeys.Request();
        await gateway.Clients.RecordConsentAsync(new RecordConsentRequest { RequestId = consentId, ClientId = id });
        var before = (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id })).PlanReviewDue;
        AssertNames(await Refused(gateway.Clients.ReviewPlanAsync(new ReviewPlanRequest { RequestId = consentId, ClientId = id })),
            StatusCode.InvalidArgument, "request_id");
        Assert.Equal(before, (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id })).PlanReviewDue);
    }

    [Fact]
    public async Task Subscribing_to_a_malformed_or_unknown_feed_is_refused()
    {
        var bad = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = "everything" } } });
        var error = await Assert.ThrowsAsync<RpcException>(() => bad.ResponseStream.MoveNext());
        AssertNames(error, StatusCode.InvalidArgument, "feeds[0].feed_id");

        // Too many feeds is bad input, told before any feed is looked at (each would cost a decision and a record).
        var tooMany = new SubscribeRequest();
        tooMany.Feeds.AddRange(Enumerable.Range(0, 51).Select(_ => new FeedCursor { FeedId = $"team:{TestKeys.New("t")}" }));
        var many = gateway.Alerts.Subscribe(tooMany);
        AssertNames(await Assert.ThrowsAsync<RpcException>(() => many.ResponseStream.MoveNext()), StatusCode.InvalidArgument, "feeds");

        var unknown = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{TestKeys.New("t")}" } } });
        // An unknown team's feed answers like a team the caller is not on: existence does not leak.
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => unknown.ResponseStream.MoveNext())).StatusCode);
    }
}
