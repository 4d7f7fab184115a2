using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace CareCoordination.Tests.Cluster;

/// <summary>Time-based gaps fire from the clock with nobody touching the client, and reach the team's feed.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CareGapClockTests(ClusterFixture fixture)
{
    private IAlertFeedGrain Feed(ClusterScenario s) => fixture.Grains.GetGrain<IAlertFeedGrain>(AlertFeeds.Team(s.TeamId));

    private async Task<IReadOnlyList<Alert>> FeedAsync(ClusterScenario s) => (await Feed(s).ReadAsync(0, 1000)).Alerts;

    [Fact]
    public async Task NoRecentContact_opens_at_its_threshold_without_any_call_to_the_client()
    {
        var s = new ClusterScenario(fixture.Grains);
        await s.WithTeamAsync();
        await s.WithClientAsync(RiskLevel.High);
        await s.AssignAsync();
        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.Phone, null, null, false, "cm-1"));

        ClusterFixture.Clock.Advance(TimeSpan.FromDays(13));
        await Task.Delay(500);
        Assert.DoesNotContain(await FeedAsync(s), a => a.Gap.Rule == CareGapRule.NoRecentContact);

        ClusterFixture.Clock.Advance(TimeSpan.FromDays(1));
        await Eventually.HoldsAsync(async () => (await FeedAsync(s)).Any(a => a.Gap.Rule == CareGapRule.NoRecentContact && a.Kind == AlertKind.Opened),
            "the 14-day high-risk NoRecentContact gap opens in the team feed");
    }

    [Fact]
    public async Task An_unacknowledged_gap_escalates_after_48_hours_and_closes_when_a_contact_is_recorded()
    {
        var s = new ClusterScenario(fixture.Grains);
        await s.WithTeamAsync();
        await s.WithClientAsync(RiskLevel.High);
        await s.AssignAsync();
        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.Phone, null, null, false, "cm-1"));
        ClusterFixture.Clock.Advance(TimeSpan.FromDays(14));
        await Eventually.HoldsAsync(async () => (await s.Client.GetOpenGapsAsync()).Any(g => g.Rule == CareGapRule.NoRecentContact), "gap opens");

        ClusterFixture.Clock.Advance(TimeSpan.FromHours(48));
        await Eventually.HoldsAsync(async () => (await FeedAsync(s)).Any(a => a.Gap.Rule == CareGapRule.NoRecentContact && a.Kind == AlertKind.Escalated),
            "the gap escalates to the team lead");

        await s.Client.RecordContactAsync(ClusterScenario.Write(), new RecordContact(ContactKind.HomeVisit, null, null, false, "cm-1"));
        var alerts = await FeedAsync(s);
        Assert.Contains(alerts, a => a.Gap.Rule == CareGapRule.NoRecentContact && a.Kind == AlertKind.Closed);
        Assert.Equal(Enumerable.Range(1, alerts.Count).Select(i => (long)i), alerts.Select(a => a.Sequence));
    }

    [Fact]
    public async Task The_clock_keeps_one_entry_per_owner_with_something_due_and_none_for_a_closed_case()
    {
        var s = new ClusterScenario(fixture.Grains);
        await s.WithTeamAsync();
        await s.WithClientAsync();
        await s.AssignAsync();
        var owner = new GapOwner(GapOwnerKind.Client, s.ClientId);
        var shard = CareGapClockGrain.Shard(owner.ToString(), new CareGapOptions().ClockShards);
        // The owner's own rows in its shard (the shard's count also moves with other tests' owners coming due).
        async Task<int> RowsAsync()
        {
            var rows = 0;
            foreach (var silo in fixture.Cluster.Silos.OfType<InProcessSiloHandle>())
                rows += (await silo.SiloHost.Services.GetRequiredService<IGapDueStore>().ReadShardAsync(shard))
                    .Count(e => e.Owner == owner);
            return rows;
        }
        Assert.Equal(1, await RowsAsync());

        await s.Client.CloseCaseAsync(ClusterScenario.Write(), "goals-achieved", "cm-1");

        Assert.Equal(0, await RowsAsync());
    }

    [Fact]
    public async Task The_feed_stores_each_alert_once_and_numbers_it_without_holes()
    {
        var feed = fixture.Grains.GetGrain<IAlertFeedGrain>(AlertFeeds.Team(TestKeys.New("t")));
        var gap = new OpenGap("client/c1/g1", CareGapRule.NoLeadWorker, "lead-worker", ClusterFixture.Clock.GetUtcNow(),
            ClusterFixture.Clock.GetUtcNow(), GapSeverity.Warning, "Assign", FeedId: "team:t");
        var owner = new GapOwner(GapOwnerKind.Client, "c1");
        var opened = Alert.For(gap, AlertKind.Opened, owner, "r", ClusterFixture.Clock.GetUtcNow(), null, 1);
        var closed = Alert.For(gap, AlertKind.Closed, owner, "r", ClusterFixture.Clock.GetUtcNow(), null, 2);

        await feed.AppendAsync([opened]);
        await feed.AppendAsync([opened, closed]);

        var page = await feed.ReadAsync(0, 10);
        Assert.Equal([1L, 2L], page.Alerts.Select(a => a.Sequence));
        Assert.Equal([AlertKind.Opened, AlertKind.Closed], page.Alerts.Select(a => a.Kind));
        Assert.Equal(closed.AlertId, Assert.Single((await feed.ReadAsync(1, 10)).Alerts).AlertId);
    }
}
