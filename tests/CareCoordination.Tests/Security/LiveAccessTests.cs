using System.Diagnostics;
using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Security;

/// <summary>What others see stops when consent or membership ends, also on a subscription already running.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LiveAccessTests(GatewayFixture gateway)
{
    private static readonly Metadata Partner = GatewayFixture.As("ngo-eva", [Roles.SocialWorker], organisation: "ngo");

    /// <summary>A team of the city with a social worker of an NGO on it, and two people on its caseload.</summary>
    private async Task<(ApiScenario S, string Shared, string Other)> TeamWithPartnerAsync()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "ngo-eva", Role = WorkerRole.SocialWorker, Organisation = "ngo" });
        return (s, await s.ClientAsync(consent: false), await s.ClientAsync(consent: false));
    }

    private Task ConsentAsync(string client, bool acrossOrganisations, double? expiresInDays) => gateway.Clients.RecordConsentAsync(new RecordConsentRequest
    {
        RequestId = TestKeys.Request(), ClientId = client,
        Scopes = { acrossOrganisations ? [ConsentScope.CareTeam, ConsentScope.AcrossOrganisations] : new[] { ConsentScope.CareTeam } },
        ExpiresAt = expiresInDays is { } d ? Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(d)) : null,
    }).ResponseAsync;

    /// <summary>Alerts the subscription delivers until it has one about <paramref name="until"/> (or 15 s pass).</summary>
    private static async Task<List<AlertEvent>> ReadUntilAsync(AsyncServerStreamingCall<AlertEvent> call, string until)
    {
        var seen = new List<AlertEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            seen.Add(call.ResponseStream.Current);
            if (call.ResponseStream.Current.Gap.ClientId == until) return seen;
        }
        return seen;
    }

    [Fact]
    public async Task Withdrawn_consent_stops_another_organisations_member_seeing_the_person_also_live_within_a_second()
    {
        var (s, person, other) = await TeamWithPartnerAsync();
        await ConsentAsync(person, acrossOrganisations: true, expiresInDays: null);
        await ConsentAsync(other, acrossOrganisations: true, expiresInDays: null);
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }, Partner);
        await call.ResponseHeadersAsync;

        // With consent: the partner reads the record and gets the alert (consent ending in 5 days opens ConsentExpiring).
        Assert.Equal(person, (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = person }, Partner)).ClientId);
        await ConsentAsync(person, acrossOrganisations: true, expiresInDays: 5);
        Assert.Contains(await ReadUntilAsync(call, person), a => a.Gap.ClientId == person && a.Kind == AlertKind.Opened);

        // Withdrawn: after at most a second, nothing about the person reaches the partner, the record neither.
        await ConsentAsync(person, acrossOrganisations: false, expiresInDays: null);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ConsentAsync(person, acrossOrganisations: false, expiresInDays: 5); // raises an alert about the person
        await ConsentAsync(other, acrossOrganisations: true, expiresInDays: 5);   // and one about someone who still consents
        var after = await ReadUntilAsync(call, other);
        Assert.Contains(after, a => a.Gap.ClientId == other);
        Assert.DoesNotContain(after, a => a.Gap.ClientId == person && a.Kind == AlertKind.Opened);
        var denied = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = person }, Partner).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        // Nor in the team's lists, while the other person, who consents, is there.
        var gaps = (await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = s.TeamId }, Partner)).Gaps;
        Assert.DoesNotContain(gaps, g => g.ClientId == person);
        Assert.Contains(gaps, g => g.ClientId == other);
        var caseload = (await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId }, Partner)).Entries;
        Assert.Equal([other], caseload.Select(e => e.ClientId));

        // The person's own organisation still sees it all.
        Assert.Contains((await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = person })).Gaps,
            g => g.Rule == CareGapRule.ConsentExpiring);
        Assert.Equal(2, (await gateway.Teams.GetCaseloadAsync(new GetCaseloadRequest { TeamId = s.TeamId })).Entries.Count);
    }

    [Fact]
    public async Task Expired_consent_stops_sharing_across_organisations_like_a_withdrawal()
    {
        var (s, person, other) = await TeamWithPartnerAsync();
        await ConsentAsync(person, acrossOrganisations: true, expiresInDays: 3);
        await ConsentAsync(other, acrossOrganisations: true, expiresInDays: null);
        Assert.Equal(person, (await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = person }, Partner)).ClientId);
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }, Partner);
        await call.ResponseHeadersAsync;

        gateway.Clock.Advance(TimeSpan.FromDays(4)); // the consent ends: ConsentExpired opens, about the person
        await Eventually.HoldsAsync(async () => (await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = person })).Gaps
            .Any(g => g.Rule == CareGapRule.ConsentExpired), "ConsentExpired opens");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ConsentAsync(other, acrossOrganisations: true, expiresInDays: 5);

        // The partner hears of the other person, not of the expiry of this one's consent.
        var seen = await ReadUntilAsync(call, other);
        Assert.Contains(seen, a => a.Gap.ClientId == other && a.Gap.Rule == CareGapRule.ConsentExpiring);
        Assert.DoesNotContain(seen, a => a.Gap.ClientId == person && a.Gap.Rule == CareGapRule.ConsentExpired);
        var denied = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = person }, Partner).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task A_member_removed_from_the_team_stops_receiving_its_alerts_within_a_second()
    {
        var (s, _, _) = await TeamWithPartnerAsync();
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } }, Partner);
        await call.ResponseHeadersAsync;

        await gateway.Teams.RemoveMemberAsync(new RemoveMemberRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "ngo-eva" });
        var removed = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await call.ResponseStream.MoveNext(timeout.Token)) { }
        });

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.True(removed.Elapsed < TimeSpan.FromSeconds(1), $"the stream ended {removed.Elapsed.TotalSeconds:0.00} s after the removal");
    }

    [Fact]
    public async Task A_subscription_ends_UNAUTHENTICATED_when_its_token_expires()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        using var call = gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } },
            GatewayFixture.As(GatewayFixture.DefaultWorker, lifetime: TimeSpan.FromSeconds(3)));
        await call.ResponseHeadersAsync;
        var open = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await call.ResponseStream.MoveNext(timeout.Token)) { }
        });

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("expired", error.Status.Detail);
        Assert.True(open.Elapsed < TimeSpan.FromSeconds(5), $"ended after {open.Elapsed.TotalSeconds:0.0} s");
    }
}
