using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class AlertsApiTests(GatewayFixture gateway)
{
    private AsyncServerStreamingCall<AlertEvent> Subscribe(string feed, long after = 0) =>
        gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = feed, AfterSequence = after } } }, GatewayFixture.As("cm-ana"));

    private static async Task<AlertEvent> NextAsync(AsyncServerStreamingCall<AlertEvent> call, Func<AlertEvent, bool>? match = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await call.ResponseStream.MoveNext(timeout.Token))
            if (match is null || match(call.ResponseStream.Current)) return call.ResponseStream.Current;
        throw new InvalidOperationException("the subscription ended");
    }

    /// <summary>Consent ending within 14 days opens ConsentExpiring at once; renewed consent without end closes it.</summary>
    private Task ConsentAsync(string clientId, bool expiringSoon) => gateway.Clients.RecordConsentAsync(new RecordConsentRequest
    {
        RequestId = TestKeys.Request(), ClientId = clientId, Scopes = { ConsentScope.CareTeam },
        ExpiresAt = expiringSoon ? Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(5)) : null,
    }, GatewayFixture.As("cm-ana")).ResponseAsync;

    [Fact]
    public async Task A_cursor_past_the_feeds_end_is_OUT_OF_RANGE_and_one_at_its_end_resumes()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        await ConsentAsync(id, expiringSoon: true);
        var feed = $"team:{s.TeamId}";
        long last;
        using (var all = Subscribe(feed))
            last = (await NextAsync(all, a => a.Gap.ClientId == id && a.Gap.Rule == CareGapRule.ConsentExpiring)).Sequence;

        // A cursor this feed never handed out (a reset store, another feed's cursor) would wait forever for alerts
        // up to it: told at once instead.
        using var past = Subscribe(feed, last + 100);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<RpcException>(() => past.ResponseStream.MoveNext(patience.Token));
        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Contains("feeds[0].after_sequence", error.Status.Detail);

        // At its end: the next alert arrives.
        using var resumed = Subscribe(feed, last);
        await resumed.ResponseHeadersAsync;
        await ConsentAsync(id, expiringSoon: false);
        Assert.Equal(last + 1, (await NextAsync(resumed)).Sequence);
    }

    [Fact]
    public async Task An_alert_raised_while_subscribed_arrives_live()
    {
        // A gateway whose subscriptions never re-read their feeds on schedule: only the live push can deliver.
        var live = await GatewayFixture.StartWithAsync(new() { ["Alerts:CatchUpInterval"] = "01:00:00" });
        try
        {
            var s = await new ApiScenario(live).WithTeamAsync();
            var id = await s.ClientAsync();
            using var call = live.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }, s.Worker);
            await call.ResponseHeadersAsync; // subscribed before the alert is raised

            await live.Clients.RecordConsentAsync(new RecordConsentRequest
            {
                RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam },
                ExpiresAt = Timestamp.FromDateTimeOffset(live.Clock.GetUtcNow().AddDays(5)),
            }, s.Worker);

            var alert = await NextAsync(call, a => a.Gap.Rule == CareGapRule.ConsentExpiring);
            Assert.Equal(AlertKind.Opened, alert.Kind);
            Assert.Equal(id, alert.Gap.ClientId);
            Assert.Equal($"team:{s.TeamId}", alert.FeedId);
            Assert.Equal(alert.Gap.GapId, alert.AcknowledgeGapId);
            Assert.False(string.IsNullOrEmpty(alert.Gap.Action));

            // Orleans holds a subscription's watcher weakly: after a full collection, pushes must still arrive. (A
            // Debug build keeps an async method's locals alive, so only a Release run shows a watcher held by a
            // local alone; this catches one held by nothing.)
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            await live.Clients.RecordConsentAsync(new RecordConsentRequest
                { RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam } }, s.Worker);
            var closed = await NextAsync(call, a => a.Gap.Rule == CareGapRule.ConsentExpiring);
            Assert.Equal(AlertKind.Closed, closed.Kind);
        }
        finally
        {
            await live.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_streamed_alert_carries_the_same_gap_as_ListOpenGaps_field_by_field()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        using var call = Subscribe($"team:{s.TeamId}");
        await ConsentAsync(id, expiringSoon: true);

        var opened = await NextAsync(call, a => a.Gap.ClientId == id && a.Gap.Rule == CareGapRule.ConsentExpiring);
        var listed = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = id }, s.Worker)).Gaps,
            g => g.Rule == CareGapRule.ConsentExpiring);
        Assert.NotNull(opened.Gap.OpenedAt);
        Assert.Equal(listed, opened.Gap);

        await gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = listed.GapId }, s.Worker);
        var acknowledged = await NextAsync(call, a => a.Gap.GapId == listed.GapId && a.Kind == AlertKind.Acknowledged);
        var listedAfter = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId }, s.Worker)).Gaps,
            g => g.GapId == listed.GapId);
        Assert.Equal("cm-ana", listedAfter.AcknowledgedBy);
        Assert.Equal(listedAfter, acknowledged.Gap);
    }

    [Fact]
    public async Task After_a_disconnect_alerts_raised_meanwhile_arrive_on_resubscribe_exactly_once_then_live()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var clients = new[] { await s.ClientAsync(), await s.ClientAsync(), await s.ClientAsync() };
        long last;
        using (var first = Subscribe($"team:{s.TeamId}"))
        {
            await ConsentAsync(clients[0], expiringSoon: true);
            last = (await NextAsync(first, a => a.Gap.Rule == CareGapRule.ConsentExpiring)).Sequence;
        }

        // Disconnected: three opened and one closed while nobody listens.
        await ConsentAsync(clients[1], expiringSoon: true);
        await ConsentAsync(clients[2], expiringSoon: true);
        await ConsentAsync(clients[0], expiringSoon: false);
        var raised = (await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId })).Gaps
            .Where(g => g.Rule == CareGapRule.ConsentExpiring).Select(g => g.GapId).ToList();
        Assert.Equal(2, raised.Count);

        using var resumed = Subscribe($"team:{s.TeamId}", after: last);
        var replayed = new List<AlertEvent>();
        for (var i = 0; i < 3; i++) replayed.Add(await NextAsync(resumed));
        await ConsentAsync(clients[1], expiringSoon: false);
        var live = await NextAsync(resumed);

        Assert.Equal([last + 1, last + 2, last + 3, last + 4], replayed.Append(live).Select(a => a.Sequence));
        Assert.Equal(4, replayed.Append(live).Select(a => a.AlertId).Distinct().Count());
        Assert.Equal(raised.Order(), replayed.Where(a => a.Kind == AlertKind.Opened).Select(a => a.Gap.GapId).Order());
        Assert.Equal(AlertKind.Closed, replayed[2].Kind);
        Assert.Equal((AlertKind.Closed, clients[1]), (live.Kind, live.Gap.ClientId));
    }

    [Fact]
    public async Task A_time_based_gap_reaches_the_subscriber_when_the_clock_passes_its_threshold()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync(risk: RiskLevel.High);
        await gateway.Clients.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = id, Kind = ContactKind.Phone }, s.Worker);
        using var call = Subscribe($"team:{s.TeamId}");

        gateway.Clock.Advance(TimeSpan.FromDays(14));

        var alert = await NextAsync(call, a => a.Gap.ClientId == id && a.Gap.Rule == CareGapRule.NoRecentContact);
        Assert.Equal(GapSeverity.Urgent, alert.Gap.Severity);
    }

    [Fact]
    public async Task Acknowledging_and_resolving_a_gap_are_events_on_the_feed_and_change_the_open_gaps()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var id = await s.ClientAsync();
        await ConsentAsync(id, expiringSoon: true);
        var gap = Assert.Single((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = id })).Gaps);
        using var call = Subscribe($"team:{s.TeamId}");
        var ackRequest = new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = gap.GapId };

        var acked = await gateway.Alerts.AcknowledgeAsync(ackRequest, s.Worker);
        var ackedAgain = await gateway.Alerts.AcknowledgeAsync(ackRequest, s.Worker);
        Assert.Equal("cm-ana", acked.AcknowledgedBy);
        Assert.Equal(acked, ackedAgain);
        var ackEvent = await NextAsync(call, a => a.Kind == AlertKind.Acknowledged);
        Assert.Equal(("cm-ana", gap.GapId), (ackEvent.Actor, ackEvent.Gap.GapId));

        await gateway.Alerts.ResolveAsync(new ResolveRequest { RequestId = TestKeys.Request(), GapId = gap.GapId }, s.Worker);
        Assert.Equal(AlertKind.Resolved, (await NextAsync(call, a => a.Kind == AlertKind.Resolved)).Kind);
        Assert.Empty((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId })).Gaps);

        var again = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.Alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = TestKeys.Request(), GapId = gap.GapId }, s.Worker).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("already closed", again.Status.Detail);
    }

    [Fact]
    public async Task Unassigned_clients_alert_the_region_intake_and_open_gaps_page()
    {
        var s = new ApiScenario(gateway);
        // The intake is for the region's team leads.
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"region:{s.Region}" } } },
            GatewayFixture.As("tl-1", [Roles.TeamLead], region: s.Region));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await s.ClientAsync(assign: false, consent: false));

        var seen = new HashSet<string>();
        while (seen.Count < 3) seen.Add((await NextAsync(call, a => a.Gap.Rule == CareGapRule.NoLeadWorker)).Gap.ClientId);
        Assert.Equal(ids.Order(), seen.Order());
    }

    [Fact]
    public async Task Paging_open_gaps_goes_on_where_it_stopped_when_a_listed_gap_is_resolved_meanwhile()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            await ConsentAsync(await s.ClientAsync(), expiringSoon: true);
            gateway.Clock.Advance(TimeSpan.FromMinutes(1)); // distinct opening times
        }
        var open = (await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId })).Gaps;
        Assert.Equal(3, open.Count);
        Assert.All(open, g => Assert.Equal(CareGapRule.ConsentExpiring, g.Rule));
        var all = open.Select(g => g.GapId).ToArray();

        var first = await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId, PageSize = 2 });
        Assert.Equal(all[..2], first.Gaps.Select(g => g.GapId));
        // The gap the page ended on is resolved before the worker asks for the next page.
        await gateway.Alerts.ResolveAsync(new ResolveRequest { RequestId = TestKeys.Request(), GapId = all[1] }, s.Worker);

        var second = await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId, PageSize = 2, PageToken = first.NextPageToken });
        Assert.Equal([all[2]], second.Gaps.Select(g => g.GapId));
        Assert.Equal("", second.NextPageToken);

        var forged = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("no cursor"));
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId, PageToken = forged }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("page_token", refused.Status.Detail);
    }
}
