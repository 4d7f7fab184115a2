using System.Diagnostics;
using CareCoordination.Api.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace CareCoordination.Tests.Faults;

/// <summary>
/// Fault tests on a real multi-process cluster on loopback (its storage, 3 silos, 2 gateways), run on PostgreSQL and
/// on Azure Table storage. Bounded in time and count; each prints what it measured.
/// </summary>
public abstract class ClusterFaultContract(LocalClusterFixture cluster, ITestOutputHelper output)
{
    private const int Dead = 6; // Orleans SiloStatus.Dead in the membership table
    private static readonly StatusCode[] NeverForFaults = [StatusCode.Internal, StatusCode.Unknown];

    private sealed record Region(string Id, string Team, List<string> Clients);

    private async Task<Region> RegionAsync(RetryingCaller caller, int clients)
    {
        var region = new Region(TestKeys.New("r"), TestKeys.New("t"), []);
        await caller.CallAsync((ch, ct) => new Api.V1.CareTeams.CareTeamsClient(ch).CreateTeamAsync(new CreateTeamRequest
            { RequestId = $"{region.Team}-create", TeamId = region.Team, Region = region.Id, Name = "T", Organisation = "o" }, deadline: ct).ResponseAsync);
        await caller.CallAsync((ch, ct) => new Api.V1.CareTeams.CareTeamsClient(ch).AddMemberAsync(new AddMemberRequest
            { RequestId = $"{region.Team}-member", TeamId = region.Team, WorkerId = "cm-1", Role = WorkerRole.CaseManager, Organisation = "o" }, deadline: ct).ResponseAsync);
        for (var i = 0; i < clients; i++)
        {
            var id = TestKeys.New("c");
            await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).RegisterClientAsync(new RegisterClientRequest
                { RequestId = $"{id}-register", ClientId = id, Region = region.Id }, deadline: ct).ResponseAsync);
            await caller.CallAsync((ch, ct) => new Api.V1.CareTeams.CareTeamsClient(ch).AssignClientAsync(new AssignClientRequest
                { RequestId = $"{id}-assign", TeamId = region.Team, ClientId = id, LeadWorkerId = "cm-1" }, deadline: ct).ResponseAsync);
            region.Clients.Add(id);
        }
        return region;
    }

    /// <summary>
    /// Consent ending in 5 days opens ConsentExpiring; consent without end closes it: one alert per toggle. The
    /// request is built once, so a retry sends exactly the same write (a changed one would be refused).
    /// </summary>
    private Task<ClientResponse> ToggleConsentAsync(RetryingCaller caller, string clientId, string requestId, bool expiring)
    {
        var request = new RecordConsentRequest
        {
            RequestId = requestId, ClientId = clientId, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms },
            ExpiresAt = expiring ? Timestamp.FromDateTime(DateTime.UtcNow.AddDays(5)) : null,
        };
        return caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).RecordConsentAsync(request, deadline: ct).ResponseAsync);
    }

    private static async Task<List<AlertEvent>> WholeFeedAsync(IReadOnlyList<CallInvoker> channels, string feedId)
    {
        await using var reader = new ResumingSubscriber(channels, feedId);
        reader.Start();
        long seen = -1;
        while (seen != reader.LastSequence) { seen = reader.LastSequence; await Task.Delay(1500); }
        lock (reader.Received) return reader.Received.ToList();
    }

    [Fact]
    public async Task Killing_a_silo_under_load_loses_no_acknowledged_write_and_no_alert()
    {
        await cluster.StartServicesAsync();
        var caller = new RetryingCaller(cluster.Channels);
        var region = await RegionAsync(caller, clients: 16);
        await using var subscriber = new ResumingSubscriber(cluster.Channels, $"team:{region.Team}");
        subscriber.Start();

        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(string Client, string Goal)>();
        var toggles = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var completedAt = new System.Collections.Concurrent.ConcurrentQueue<DateTime>();
        var load = Stopwatch.StartNew();
        DateTime? killedAt = null;
        var writes = 0;
        // The load is bounded by time around the fault, not by a count a fast machine finishes before it: it runs until
        // 5 s after the kill and at least 20 writes past it. Safety nets: 3,000 operations per worker and 90 s in all.
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var op = 0; op < 3000 && !stop.IsCancellationRequested && load.Elapsed < TimeSpan.FromSeconds(90); op++)
            {
                // Each worker has its own four clients, so a client's toggles land in the order they were sent.
                var client = region.Clients[w * 4 + op % 4];
                var requestId = $"{client}-w{w}-op{op}";
                if (op % 3 == 0)
                {
                    // Each toggle flips the client's consent, so each one opens or closes a gap: one alert per toggle.
                    var expiring = toggles.AddOrUpdate(client, 1, (_, n) => n + 1) % 2 == 1;
                    await ToggleConsentAsync(caller, client, requestId, expiring);
                }
                else
                {
                    var result = await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).SetGoalAsync(new SetGoalRequest
                        { RequestId = requestId, ClientId = client, Domain = NeedDomain.Employment, Title = requestId }, deadline: ct).ResponseAsync);
                    acknowledged.Add((client, result.ResultId));
                }
                Interlocked.Increment(ref writes);
                completedAt.Enqueue(DateTime.UtcNow);
            }
        })).ToList();

        // The kill comes from the load's own progress: once it is well under way, whatever the machine's speed.
        while (Volatile.Read(ref writes) < 60 && load.Elapsed < TimeSpan.FromSeconds(60) && !workers.Any(t => t.IsCompleted))
            await Task.Delay(20);
        await cluster.KillSiloAsync(2);
        killedAt = DateTime.UtcNow;
        var declared = Stopwatch.StartNew();
        while (await cluster.SiloStatusAsync(2) != Dead && declared.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
        var declaredDead = declared.Elapsed;
        while ((DateTime.UtcNow - killedAt.Value < TimeSpan.FromSeconds(5) || completedAt.Count(t => t > killedAt) < 20)
               && load.Elapsed < TimeSpan.FromSeconds(85) && !workers.All(t => t.IsCompleted))
            await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(workers);

        // How long calls caught in flight by the kill took to fail, and when calls succeeded again after the last failure.
        var failuresAfterKill = caller.FailureTimes.Where(t => t >= killedAt).ToList();
        var lastFailure = failuresAfterKill.Count == 0 ? TimeSpan.Zero : failuresAfterKill.Max() - killedAt.Value;
        var recovered = failuresAfterKill.Count == 0 ? TimeSpan.Zero
            : caller.SuccessTimes.Where(t => t > failuresAfterKill.Max()).DefaultIfEmpty(DateTime.UtcNow).Min() - killedAt.Value;
        var succeededDuringRecovery = caller.SuccessTimes.Count(t => t >= killedAt && t <= killedAt + recovered);

        // Every write acknowledged to its caller is there.
        var missing = 0;
        foreach (var group in acknowledged.GroupBy(a => a.Client))
        {
            var client = await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).GetClientAsync(new GetClientRequest { ClientId = group.Key }, deadline: ct).ResponseAsync);
            missing += group.Count(a => client.Goals.All(g => g.GoalId != a.Goal));
        }

        // Every alert in the durable feed reached the resuming subscriber, once after de-duplication by id.
        var feed = await WholeFeedAsync(cluster.Channels, $"team:{region.Team}");
        Assert.True(await subscriber.WaitForSequenceAsync(feed.Count, TimeSpan.FromSeconds(30)), "the subscriber catches up with the feed");
        List<AlertEvent> received;
        lock (subscriber.Received) received = subscriber.Received.ToList();
        var duplicates = received.Count - received.Select(a => a.AlertId).Distinct().Count();

        Figures.Report(output, $"[{cluster.StorageName}] silo kill -9 under load: {writes} writes ({acknowledged.Count} goals acknowledged), silo declared dead after {declaredDead.TotalSeconds:0.0} s, " +
                         $"last in-flight call failed {lastFailure.TotalSeconds:0.0} s after the kill, all calls succeeding again {recovered.TotalSeconds:0.0} s after it " +
                         $"({succeededDuringRecovery} calls succeeded meanwhile); failures seen: {string.Join(", ", caller.Failures.Select(f => $"{f.Key} {f.Value}"))}; " +
                         $"alerts produced {feed.Count}, received {received.Count} ({received.Select(a => a.AlertId).Distinct().Count()} distinct, {duplicates} duplicates), subscriber reconnects {subscriber.Reconnects}; missing acknowledged writes {missing}");

        Assert.Equal(Dead, await cluster.SiloStatusAsync(2));
        Assert.Contains(completedAt, t => t > killedAt);
        Assert.Equal(0, missing);
        // Every acknowledged consent toggle opened or closed a gap: exactly one alert each, none lost.
        Assert.Equal(toggles.Values.Sum(), feed.Count(a => a.Gap.Rule == CareGapRule.ConsentExpiring));
        Assert.Equal(Enumerable.Range(1, feed.Count).Select(i => (long)i), feed.Select(a => a.Sequence));
        Assert.Equal(feed.Select(a => a.AlertId).Order(), received.Select(a => a.AlertId).Distinct().Order());
        Assert.DoesNotContain(caller.Failures.Keys, NeverForFaults.Contains);
    }

    [Fact]
    public async Task A_whole_cluster_restart_keeps_state_and_feeds_and_time_based_gaps_still_fire()
    {
        await cluster.StartServicesAsync();
        var caller = new RetryingCaller(cluster.Channels);
        var region = await RegionAsync(caller, clients: 3);
        var program = TestKeys.New("p");
        await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = $"{program}-register", ProgramId = program, Region = region.Id, Name = "P", Kind = ProgramKind.HousingFirst,
            Domains = { NeedDomain.Housing }, Capacity = 3, ResponseSla = Duration.FromTimeSpan(TimeSpan.FromSeconds(25)),
        }, deadline: ct).ResponseAsync);
        var client = region.Clients[0];
        await ToggleConsentAsync(caller, client, $"{client}-consent", expiring: true);
        var referral = await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).ReferAsync(new ReferRequest
            { RequestId = $"{client}-refer", ClientId = client, ProgramId = program, Domain = NeedDomain.Housing }, deadline: ct).ResponseAsync);
        var before = await WholeFeedAsync(cluster.Channels, $"team:{region.Team}");
        Assert.Contains(before, a => a.Gap.Rule == CareGapRule.ConsentExpiring);
        Assert.DoesNotContain(before, a => a.Gap.Rule == CareGapRule.ReferralNotAcknowledged);

        var restart = Stopwatch.StartNew();
        await cluster.StopServicesAsync();
        await cluster.StartServicesAsync();
        var restarted = restart.Elapsed;

        // First, with nobody touching the client or the program after the restart (a read would activate them):
        // the referral's 25 s response time passes and the clock, restored from the database, opens the gap.
        await using var subscriber = new ResumingSubscriber(cluster.Channels, $"team:{region.Team}");
        subscriber.Start();
        var waited = Stopwatch.StartNew();
        bool Fired()
        {
            lock (subscriber.Received)
                return subscriber.Received.Any(a => a.Sequence > before.Count && a.Gap.Rule == CareGapRule.ReferralNotAcknowledged && a.Gap.ClientId == client);
        }
        while (!Fired() && waited.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
        var firedAfter = waited.Elapsed;
        var firedByTheClock = Fired(); // taken now: the reads below would wake the client themselves

        var restored = await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).GetClientAsync(new GetClientRequest { ClientId = client }, deadline: ct).ResponseAsync);
        Assert.Equal(referral.ReferralId, Assert.Single(restored.Referrals).ReferralId);
        Assert.Equal(region.Team, restored.TeamId);
        var programView = await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).GetProgramAsync(new GetProgramRequest { ProgramId = program }, deadline: ct).ResponseAsync);
        Assert.Single(programView.Referrals);
        var after = await WholeFeedAsync(cluster.Channels, $"team:{region.Team}");
        Assert.Equal(before.Select(a => a.AlertId), after.Take(before.Count).Select(a => a.AlertId));

        Figures.Report(output, $"[{cluster.StorageName}] whole-cluster restart: stopped and started in {restarted.TotalSeconds:0.0} s; feed kept {before.Count} alerts; " +
                         $"ReferralNotAcknowledged fired {firedAfter.TotalSeconds:0.0} s after the cluster was back");
        Assert.True(firedByTheClock, "the time-based gap fires after the restart");
    }

    [Fact]
    public async Task Every_process_starts_without_a_warning_about_its_own_setup()
    {
        await cluster.StartServicesAsync();
        foreach (var process in new[] { "silo1", "silo2", "silo3", "gateway1", "gateway2" })
        {
            // From the script's start marker to the process's own "started"/"listening" line: what it said while
            // starting. A warning there about how the process is set up (Kestrel: HTTP/2 that cannot be; Orleans: a
            // silo without server GC) reads as a misconfiguration. Warnings about what happened meanwhile (silos
            // contending for the membership table as they join together) are the run's, not the setup's.
            string[] log = [];
            int start = -1, ready = -1;
            // A silo may still be joining when the script returns: wait for its line.
            await Eventually.HoldsAsync(() =>
            {
                log = cluster.LogTail(process, 100_000).Split('\n');
                start = Array.FindLastIndex(log, l => l.StartsWith("=== ", StringComparison.Ordinal));
                ready = start < 0 ? -1
                    : Array.FindIndex(log, start, l => l.StartsWith("Care coordination ", StringComparison.Ordinal));
                return Task.FromResult(ready > start);
            }, $"{process} logged that it started", TimeSpan.FromSeconds(60));
            var said = log[start..ready];
            string[] setup = ["warn: Microsoft.AspNetCore.Server.Kestrel", "warn: Orleans.Runtime.Silo["];
            Assert.True(!said.Any(l => setup.Any(w => l.StartsWith(w, StringComparison.Ordinal))),
                $"{process} warned while starting:\n{string.Join('\n', said)}");
        }
    }

    [Fact]
    public async Task Storage_briefly_down_gives_retryable_errors_half_writes_nothing_and_recovers_by_itself()
    {
        await cluster.StartServicesAsync();
        var caller = new RetryingCaller(cluster.Channels);
        var region = await RegionAsync(caller, clients: 1);
        var client = region.Clients[0];
        var program = TestKeys.New("p");
        await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = $"{program}-register", ProgramId = program, Region = region.Id, Name = "P", Kind = ProgramKind.HousingFirst,
            Domains = { NeedDomain.Housing }, Capacity = 3,
        }, deadline: ct).ResponseAsync);
        await ToggleConsentAsync(caller, client, $"{client}-consent", expiring: false);
        var goal = new SetGoalRequest { RequestId = $"{client}-during-outage", ClientId = client, Domain = NeedDomain.Housing, Title = "written during outage" };
        var refer = new ReferRequest { RequestId = $"{client}-refer-during-outage", ClientId = client, ProgramId = program, Domain = NeedDomain.Housing };

        // Bounded outage: about 5 s, during which the platform keeps trying (each call with a 5 s deadline).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"{cluster.Management[0]}/health/ready")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"{cluster.SiloManagement[0]}/health/ready")).StatusCode);
        // A silo is scraped like a gateway: Orleans' meter and the runtime's.
        var siloMetrics = await http.GetStringAsync($"{cluster.SiloManagement[0]}/metrics");
        Assert.Contains("orleans_", siloMetrics);
        Assert.Contains("dotnet_gc_", siloMetrics);
        await cluster.StopStorageAsync();
        var outage = Stopwatch.StartNew();
        var refusals = new List<StatusCode>();
        System.Net.HttpStatusCode liveDuringOutage, readyDuringOutage, siloLiveDuringOutage, siloReadyDuringOutage;
        try
        {
            // Live (the process serves) but not ready (its storage is gone): a balancer routes around it, nothing restarts it.
            liveDuringOutage = (await http.GetAsync($"{cluster.Management[0]}/health/live")).StatusCode;
            readyDuringOutage = (await http.GetAsync($"{cluster.Management[0]}/health/ready")).StatusCode;
            siloLiveDuringOutage = (await http.GetAsync($"{cluster.SiloManagement[0]}/health/live")).StatusCode;
            siloReadyDuringOutage = (await http.GetAsync($"{cluster.SiloManagement[0]}/health/ready")).StatusCode;
            while (outage.Elapsed < TimeSpan.FromSeconds(5))
            {
                var clients = new Api.V1.Clients.ClientsClient(cluster.Channels[refusals.Count % 2]);
                var programs = new Api.V1.Programs.ProgramsClient(cluster.Channels[refusals.Count % 2]);
                try { await clients.SetGoalAsync(goal, deadline: DateTime.UtcNow.AddSeconds(5)); refusals.Add(StatusCode.OK); }
                catch (RpcException e) { refusals.Add(e.StatusCode); }
                try { await programs.ReferAsync(refer, deadline: DateTime.UtcNow.AddSeconds(5)); refusals.Add(StatusCode.OK); }
                catch (RpcException e) { refusals.Add(e.StatusCode); }
            }
        }
        finally
        {
            await cluster.StartStorageAsync(); // whatever happened, the rest of the collection gets its database back
            // This process's own pooled connections (the store tests') died with the server: drop them, as a silo
            // drops each one the first time it fails.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
        var down = outage.Elapsed;

        var recovery = Stopwatch.StartNew();
        var applied = await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).SetGoalAsync(goal, deadline: ct).ResponseAsync, TimeSpan.FromSeconds(90));
        var recovered = recovery.Elapsed;
        var referred = await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).ReferAsync(refer, deadline: ct).ResponseAsync);
        var again = await caller.CallAsync((ch, ct) => new Api.V1.Clients.ClientsClient(ch).SetGoalAsync(goal, deadline: ct).ResponseAsync);
        var programView = await caller.CallAsync((ch, ct) => new Api.V1.Programs.ProgramsClient(ch).GetProgramAsync(new GetProgramRequest { ProgramId = program }, deadline: ct).ResponseAsync);

        Figures.Report(output, $"[{cluster.StorageName}] storage outage of {down.TotalSeconds:0.0} s: {refusals.Count} calls during it answered " +
                         $"{string.Join(", ", refusals.GroupBy(r => r).Select(g => $"{g.Key} {g.Count()}"))}; " +
                         $"the retried write succeeded {recovered.TotalSeconds:0.0} s after the storage was back");
        if (refusals.Any(NeverForFaults.Contains)) output.WriteLine(cluster.LogTail("gateway1"));
        Assert.NotEmpty(refusals);
        Assert.Equal((System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.ServiceUnavailable), (liveDuringOutage, readyDuringOutage));
        Assert.Equal((System.Net.HttpStatusCode.OK, System.Net.HttpStatusCode.ServiceUnavailable), (siloLiveDuringOutage, siloReadyDuringOutage));
        foreach (var endpoint in new[] { cluster.Management[0], cluster.SiloManagement[0] })
            await Eventually.HoldsAsync(async () => (await http.GetAsync($"{endpoint}/health/ready")).IsSuccessStatusCode,
                "ready again once the storage is back", TimeSpan.FromSeconds(30));
        // The writes need the database: they were refused as retryable, none answered as done.
        Assert.All(refusals, r => Assert.Contains(r, new[] { StatusCode.Unavailable, StatusCode.DeadlineExceeded }));
        Assert.Equal(applied.ResultId, again.ResultId);
        Assert.Single(again.Client.Goals, g => g.Title == "written during outage");
        Assert.Equal(referred.ReferralId, Assert.Single(again.Client.Referrals).ReferralId);
        Assert.Equal(referred.ReferralId, Assert.Single(programView.Referrals).ReferralId);
        Assert.DoesNotContain(caller.Failures.Keys, NeverForFaults.Contains);
    }
}

[Collection(LocalClusterCollection.Name)]
public sealed class PostgresClusterFaultTests(LocalClusterFixture cluster, ITestOutputHelper output) : ClusterFaultContract(cluster, output);

[Collection(AzureLocalClusterCollection.Name)]
public sealed class AzureClusterFaultTests(AzureLocalClusterFixture cluster, ITestOutputHelper output) : ClusterFaultContract(cluster, output);
