using CareCoordination.Api.V1;
using CareCoordination.Audit;
using CareCoordination.Gateway.Security;
using CareCoordination.Silo.Storage;
using CareCoordination.Tests.Gateway;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace CareCoordination.Tests.Security;

/// <summary>Every read, write and denial leaves one record, and no change to the stored trail goes unnoticed.</summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private static readonly Metadata Auditor = GatewayFixture.As("dpo-1", [Roles.Auditor]);
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartWithAsync(new());

    public Task DisposeAsync() => _gateway.DisposeAsync();

    private async Task<List<Api.V1.AuditRecord>> TrailOfAsync(string client)
    {
        var records = new List<Api.V1.AuditRecord>();
        var token = "";
        do
        {
            var page = await _gateway.Audit.QueryAsync(new AuditQueryRequest { ClientId = client, PageSize = 2, PageToken = token }, Auditor);
            records.AddRange(page.Records);
            token = page.NextPageToken;
        } while (token.Length > 0);
        return records;
    }

    [Fact]
    public async Task Each_kind_of_call_leaves_its_record_with_who_on_whose_behalf_what_why_and_how_it_ended()
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        var client = await s.ClientAsync();
        await _gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client });
        await _gateway.Clients.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = client, Kind = ContactKind.Phone });
        await Assert.ThrowsAsync<RpcException>(() => _gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client },
            GatewayFixture.As("cm-stranger")).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => _gateway.Clients.SetGoalAsync(new SetGoalRequest
            { RequestId = TestKeys.Request(), ClientId = client, Domain = NeedDomain.Housing, Title = "" }).ResponseAsync);
        var service = GatewayFixture.As("platform-north", [Roles.PlatformService], "region-platform", s.Region);
        service.Add(Caller.OnBehalfOfHeader, "cm-ana");
        service.Add(Caller.PurposeHeader, "case-review");
        await _gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client }, service);
        using (var call = _gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }))
            await call.ResponseHeadersAsync;

        var trail = await TrailOfAsync(client);
        Assert.All(trail, r => Assert.Equal(client, r.ClientId));
        Assert.Contains(trail, r => (r.Action, r.Outcome, r.Actor, r.ObjectKind) == ("Clients/GetClient", "OK", "cm-ana", "Client"));
        Assert.Contains(trail, r => (r.Action, r.Outcome) == ("Clients/RecordContact", "OK"));
        Assert.Contains(trail, r => r.Action == "Clients/GetClient" && r.Actor == "cm-stranger" && r.Outcome.StartsWith("DENIED", StringComparison.Ordinal));
        Assert.Contains(trail, r => (r.Action, r.Outcome) == ("Clients/SetGoal", "InvalidArgument"));
        Assert.Contains(trail, r => (r.Action, r.Actor, r.OnBehalfOf, r.Purpose, r.Organisation) ==
                                    ("Clients/GetTimeline", "platform-north", "cm-ana", "case-review", "region-platform"));
        Assert.All(trail, r => Assert.Equal(64, r.Hash.Length));
        var all = await _gateway.Audit.QueryAsync(new AuditQueryRequest { PageSize = 200 }, Auditor);
        Assert.Contains(all.Records, r => (r.Action, r.Outcome, r.ObjectId) == ("Alerts/Subscribe", "OPENED", s.TeamId));
        Assert.True((await _gateway.Audit.VerifyAsync(new VerifyAuditRequest(), Auditor)).Intact);
    }

    [Fact]
    public async Task A_programs_answer_enrollment_and_discharge_of_a_referral_are_in_the_persons_trail()
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var client = await s.ClientAsync();
        var referral = (await _gateway.Programs.ReferAsync(new ReferRequest
            { RequestId = TestKeys.Request(), ClientId = client, ProgramId = s.ProgramId, Domain = NeedDomain.Housing })).ReferralId;
        var coordinator = GatewayFixture.As(ApiScenario.Coordinator, [Roles.ProgramCoordinator], "ngo-casa");
        await _gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral, Accept = true }, coordinator);
        await _gateway.Programs.EnrollAsync(new EnrollRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral }, coordinator);
        await _gateway.Programs.DischargeAsync(new DischargeRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral, Outcome = "housed" }, coordinator);

        var trail = await TrailOfAsync(client);
        foreach (var call in new[] { "Programs/RespondToReferral", "Programs/Enroll", "Programs/Discharge" })
            Assert.Contains(trail, r => (r.Action, r.Actor, r.ObjectKind, r.ObjectId, r.Outcome) ==
                                        (call, ApiScenario.Coordinator, "Program", s.ProgramId, "OK"));
    }

    [Fact]
    public async Task A_subscription_is_recorded_when_it_opens_and_when_it_ends_with_how_it_ended()
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        var worker = TestKeys.New("sw");
        var member = GatewayFixture.As(worker, [Roles.SocialWorker]);
        await _gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = worker, Role = WorkerRole.SocialWorker, Organisation = "city" });
        using (var call = _gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }, member))
        {
            await call.ResponseHeadersAsync;
            await _gateway.Teams.RemoveMemberAsync(new RemoveMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = worker });
            var ended = await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext()) { } });
            Assert.Equal(StatusCode.PermissionDenied, ended.StatusCode);
        }
        // A subscription refused by the service's own checks after it was taken is recorded with that refusal too.
        using (var bad = _gateway.Alerts.Subscribe(new SubscribeRequest
                   { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}", AfterSequence = -1 } } }))
            Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => bad.ResponseStream.MoveNext())).StatusCode);

        var all = (await _gateway.Audit.QueryAsync(new AuditQueryRequest { PageSize = 200 }, Auditor)).Records
            .Where(r => r.Action == "Alerts/Subscribe" && r.ObjectId == s.TeamId).ToList();
        Assert.Equal(["OPENED", "PermissionDenied"], all.Where(r => r.Actor == worker).Select(r => r.Outcome));
        Assert.Equal(["OPENED", "InvalidArgument"], all.Where(r => r.Actor == GatewayFixture.DefaultWorker).Select(r => r.Outcome));
        Assert.True((await _gateway.Audit.VerifyAsync(new VerifyAuditRequest(), Auditor)).Intact);
    }

    public static TheoryData<string> Tampering => new() { "altered", "deleted", "reordered", "inserted", "cut from the end" };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task A_stored_record_altered_deleted_reordered_or_inserted_is_found_by_verification(string how)
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        for (var i = 0; i < 3; i++) await s.ClientAsync();
        var store = (MemoryAuditStore)_gateway.App.Services.GetRequiredService<IAuditStore>();
        Assert.True((await _gateway.Audit.VerifyAsync(new VerifyAuditRequest(), Auditor)).Intact);

        store.Tamper(records =>
        {
            var i = records.Count / 2;
            switch (how)
            {
                case "altered": records[i] = records[i] with { Entry = records[i].Entry with { Actor = "someone-else" } }; break;
                case "deleted": records.RemoveAt(i); break;
                case "reordered": (records[i], records[i + 1]) = (records[i + 1], records[i]); break;
                case "inserted": records.Insert(i, AuditChain.Seal(records[i].Sequence, records[i].PreviousHash, records[i].Entry with { Outcome = "OK" })); break;
                default: records.RemoveAt(records.Count - 1); break;
            }
        });

        var verified = await _gateway.Audit.VerifyAsync(new VerifyAuditRequest(), Auditor);
        Assert.False(verified.Intact, how);
        Assert.True(verified.FirstBrokenSequence > 0);
        Assert.NotEmpty(verified.Problem);
    }
}
