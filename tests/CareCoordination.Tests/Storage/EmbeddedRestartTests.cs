using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Tests.Gateway;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Storage;

/// <summary>The embedded default keeps everything in a local file: a restart loses nothing and the clock keeps going.</summary>
public sealed class EmbeddedRestartTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-embedded-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 4, 6, 9, 0, 0, TimeSpan.Zero));

    private Dictionary<string, string?> Settings => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:SqlitePath"] = Path.Combine(_dir, "care.db"),
    };

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Clients_teams_programs_gaps_and_feeds_survive_a_restart_and_time_based_gaps_still_fire()
    {
        var who = GatewayFixture.As("cm-ana");
        const string region = "r-restart", team = "t-restart", client = "c-restart", program = "p-restart";
        long lastSequence;
        string referralId;

        var first = await GatewayFixture.StartAsync(_clock, Settings);
        try
        {
            using var channel = GrpcChannel.ForAddress(first.Addresses().Single());
            var teams = new Api.V1.CareTeams.CareTeamsClient(channel);
            var clients = new Api.V1.Clients.ClientsClient(channel);
            var programs = new Api.V1.Programs.ProgramsClient(channel);
            await teams.CreateTeamAsync(new CreateTeamRequest { RequestId = "q1", TeamId = team, Region = region, Name = "T", Organisation = "city" }, who);
            await teams.AddMemberAsync(new AddMemberRequest { RequestId = "q2", TeamId = team, WorkerId = "cm-ana", Role = WorkerRole.CaseManager, Organisation = "city" }, who);
            await programs.RegisterProgramAsync(new RegisterProgramRequest { RequestId = "q3", ProgramId = program, Region = region, Name = "P", Kind = ProgramKind.HousingFirst, Domains = { NeedDomain.Housing }, Capacity = 2 }, who);
            await clients.RegisterClientAsync(new RegisterClientRequest { RequestId = "q4", ClientId = client, Region = region, Profile = new Profile { Risk = RiskLevel.High } }, who);
            await teams.AssignClientAsync(new AssignClientRequest { RequestId = "q5", TeamId = team, ClientId = client, LeadWorkerId = "cm-ana" }, who);
            await clients.RecordConsentAsync(new RecordConsentRequest
            {
                RequestId = "q6", ClientId = client, Scopes = { ConsentScope.ReferredPrograms },
                ExpiresAt = Timestamp.FromDateTimeOffset(_clock.GetUtcNow().AddDays(60)),
            }, who);
            await clients.RecordContactAsync(new RecordContactRequest { RequestId = "q7", ClientId = client, Kind = ContactKind.Phone }, who);
            referralId = (await programs.ReferAsync(new ReferRequest { RequestId = "q8", ClientId = client, ProgramId = program, Domain = NeedDomain.Housing }, who)).ReferralId;
            lastSequence = await LastSequenceAsync(channel, team);
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }

        var second = await GatewayFixture.StartAsync(_clock, Settings);
        try
        {
            using var channel = GrpcChannel.ForAddress(second.Addresses().Single());
            var clients = new Api.V1.Clients.ClientsClient(channel);

            // First, with nobody touching the client (a read or a retry would wake it): the clock, restored from
            // the file, wakes it at 72 h and 14 days. The feed goes on from where it stood before the restart.
            using (var subscription = new Api.V1.Alerts.AlertsClient(channel).Subscribe(
                new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{team}", AfterSequence = lastSequence } } }, who))
            {
                _clock.Advance(TimeSpan.FromDays(14));
                var rules = new HashSet<CareGapRule>();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                while (!(rules.Contains(CareGapRule.NoRecentContact) && rules.Contains(CareGapRule.ReferralNotAcknowledged))
                       && await subscription.ResponseStream.MoveNext(timeout.Token))
                {
                    Assert.Equal(++lastSequence, subscription.ResponseStream.Current.Sequence);
                    rules.Add(subscription.ResponseStream.Current.Gap.Rule);
                }
                Assert.Contains(CareGapRule.NoRecentContact, rules);
                Assert.Contains(CareGapRule.ReferralNotAcknowledged, rules);
            }

            var restored = await clients.GetClientAsync(new GetClientRequest { ClientId = client }, who);
            Assert.Equal(team, restored.TeamId);
            Assert.Equal(referralId, Assert.Single(restored.Referrals).ReferralId);
            Assert.Equal(1, (await new Api.V1.CareTeams.CareTeamsClient(channel).GetTeamAsync(new GetTeamRequest { TeamId = team }, who)).CaseloadSize);
            Assert.Equal(ReferralStatus.Sent, Assert.Single((await new Api.V1.Programs.ProgramsClient(channel).GetProgramAsync(new GetProgramRequest { ProgramId = program }, who)).Referrals).Status);

            // A retried write after the restart is still recognised.
            var retried = await clients.RecordContactAsync(new RecordContactRequest { RequestId = "q7", ClientId = client, Kind = ContactKind.Phone }, who);
            Assert.Equal(restored.LastContactAt, retried.Client.LastContactAt);

            // The audit trail kept what was recorded before the restart and goes on with the same chain.
            var auditor = GatewayFixture.As("dpo-1", [CareCoordination.Gateway.Security.Roles.Auditor]);
            var audit = new Api.V1.Audit.AuditClient(channel);
            var trail = await audit.QueryAsync(new AuditQueryRequest { ClientId = client, PageSize = 200 }, auditor);
            Assert.Contains(trail.Records, r => r.Action == "Clients/RegisterClient" && r.Outcome == "OK");
            Assert.Contains(trail.Records, r => r.Action == "Clients/RecordContact" && r.Outcome == "OK");
            var verified = await audit.VerifyAsync(new VerifyAuditRequest(), auditor);
            Assert.True(verified.Intact, verified.Problem);
            Assert.True(verified.RecordsChecked >= trail.Records.Count);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    private static async Task<long> LastSequenceAsync(GrpcChannel channel, string team)
    {
        // Replays the whole feed and keeps the last sequence; the catch-up poll makes the stream idle quickly.
        using var call = new Api.V1.Alerts.AlertsClient(channel).Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{team}" } } },
            GatewayFixture.As("cm-ana"));
        long last = 0;
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            while (await call.ResponseStream.MoveNext(idle.Token)) last = call.ResponseStream.Current.Sequence;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled) { }
        return last;
    }
}
