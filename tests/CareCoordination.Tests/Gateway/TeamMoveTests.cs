using System.Diagnostics;
using CareCoordination.Api.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Gateway;

/// <summary>Moving a client between teams while others read: no grain waits on a grain that waits on it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TeamMoveTests(GatewayFixture gateway)
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Concurrent_alternating_moves_and_reads_all_answer_promptly_and_leave_the_client_on_one_caseload()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var teamA = s.TeamId;
        var teamB = TestKeys.New("team");
        await gateway.Teams.CreateTeamAsync(new CreateTeamRequest
            { RequestId = TestKeys.Request(), TeamId = teamB, Region = s.Region, Name = "South", Organisation = "city" }, s.Worker);
        await gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = teamB, WorkerId = "sw-bo", Role = WorkerRole.SocialWorker, Organisation = "city" }, s.Worker);
        // The worker who reads throughout is on both teams, so every read is allowed wherever the client is.
        await gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = teamB, WorkerId = s.WorkerId, Role = WorkerRole.CaseManager, Organisation = "city" }, s.Worker);
        var client = await s.ClientAsync(consent: false);
        // Consent ending in 5 days opens ConsentExpiring: an open gap that must follow the client to its final team.
        await gateway.Clients.RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = TestKeys.Request(), ClientId = client, Scopes = { ConsentScope.CareTeam },
            ExpiresAt = Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(5)),
        }, s.Worker);
        var gap = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = client })).Gaps);

        var moves = Enumerable.Range(0, 10).Select(i => new AssignClientRequest
        {
            RequestId = TestKeys.Request(), ClientId = client,
            TeamId = i % 2 == 0 ? teamB : teamA, LeadWorkerId = i % 2 == 0 ? "sw-bo" : "cm-ana",
        }).ToList();
        var slow = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task<T> Timed<T>(string what, Func<CallOptions, AsyncUnaryCall<T>> call)
        {
            var watch = Stopwatch.StartNew();
            // The deadline only stops a hang from stalling the test; the assertion is on the 2 s answer.
            var result = await call(new CallOptions(s.Worker, DateTime.UtcNow.AddSeconds(20)));
            if (watch.Elapsed > Answer) slow.Add($"{what} took {watch.Elapsed.TotalSeconds:0.0} s");
            return result;
        }

        var answers = moves.Select(m => Timed($"AssignClient {m.TeamId}", o => gateway.Teams.AssignClientAsync(m, o))).ToList();
        var reads = Enumerable.Range(0, 3).SelectMany(_ => new Task[]
        {
            Timed("GetTeam A", o => gateway.Teams.GetTeamAsync(new GetTeamRequest { TeamId = teamA }, o)),
            Timed("GetTeam B", o => gateway.Teams.GetTeamAsync(new GetTeamRequest { TeamId = teamB }, o)),
            Timed("GetClient", o => gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, o)),
            Timed("ListOpenGaps A", o => gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = teamA }, o)),
            Timed("ListOpenGaps B", o => gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = teamB }, o)),
        }).ToList();
        await Task.WhenAll(answers.Cast<Task>().Concat(reads));
        Assert.Empty(slow);

        // Exactly one caseload holds the client: the one of the team the client itself says it is on.
        var final = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, s.Worker);
        var (winner, loser) = final.TeamId == teamA ? (teamA, teamB) : (teamB, teamA);
        Assert.Contains(final.TeamId, new[] { teamA, teamB });
        Assert.Contains(await CaseloadAsync(winner), e => e.ClientId == client);
        Assert.DoesNotContain(await CaseloadAsync(loser), e => e.ClientId == client);
        Assert.Equal(final.LeadWorkerId, (await CaseloadAsync(winner)).Single(e => e.ClientId == client).LeadWorkerId);

        // Its open gap is listed on that team and stands open on that team's feed, closed on the other's.
        Assert.Contains((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = winner }, s.Worker)).Gaps,
            g => g.GapId == gap.GapId);
        Assert.DoesNotContain((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = loser }, s.Worker)).Gaps,
            g => g.GapId == gap.GapId);
        await Eventually.HoldsAsync(async () => (await LastAlertOfAsync($"team:{winner}", gap.GapId))?.Kind == AlertKind.Opened,
            "the gap's last alert on the final team's feed is its opening");
        var onLoser = await LastAlertOfAsync($"team:{loser}", gap.GapId);
        Assert.True(onLoser is null || onLoser.Kind == AlertKind.Closed, $"the other team's feed ends with {onLoser?.Kind}");

        // A retry of any move answers what it answered first, and moves nothing.
        for (var i = 0; i < moves.Count; i++)
        {
            var first = await answers[i];
            var again = await gateway.Teams.AssignClientAsync(moves[i], s.Worker);
            Assert.Equal(first, again);
        }
        Assert.Equal(final.TeamId, (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, s.Worker)).TeamId);
    }

    private async Task<IReadOnlyList<Api.V1.CaseloadEntry>> CaseloadAsync(string team) =>
        (await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = team, PageSize = 200 }, GatewayFixture.As("cm-ana"))).Entries;

    /// <summary>The feed's last alert about a gap, read from the start until the stream goes quiet.</summary>
    private async Task<AlertEvent?> LastAlertOfAsync(string feed, string gapId)
    {
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = feed } } },
            GatewayFixture.As("cm-ana"));
        AlertEvent? last = null;
        try
        {
            while (true)
            {
                using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                if (!await call.ResponseStream.MoveNext(idle.Token)) break;
                if (call.ResponseStream.Current.Gap.GapId == gapId) last = call.ResponseStream.Current;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled) { }
        return last;
    }
}
