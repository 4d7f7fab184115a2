using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Grpc.Core;

namespace CareCoordination.Tests.Security;

/// <summary>A regional platform calls as a service of its region, always for a named worker.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PlatformServiceTests(GatewayFixture gateway)
{
    private static Metadata Service(string region, string? onBehalfOf)
    {
        var headers = GatewayFixture.As("platform-1", [Roles.PlatformService], "region-platform", region);
        if (onBehalfOf is not null) headers.Add(Caller.OnBehalfOfHeader, onBehalfOf);
        return headers;
    }

    [Fact]
    public async Task A_platform_service_acts_within_its_region_for_a_named_worker_who_is_recorded()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        var client = await s.ClientAsync();

        var denied = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client },
            Service(s.Region, onBehalfOf: null)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains(Caller.OnBehalfOfHeader, denied.Status.Detail);
        var elsewhere = await Assert.ThrowsAsync<RpcException>(() => gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client },
            Service("another-region", "cm-ana")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, elsewhere.StatusCode);

        var written = await gateway.Clients.RecordContactAsync(new RecordContactRequest
            { RequestId = TestKeys.Request(), ClientId = client, Kind = ContactKind.Phone }, Service(s.Region, "sw-lucia"));
        Assert.Equal(client, written.Client.ClientId);
        var timeline = await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200 }, Service(s.Region, "sw-lucia"));
        Assert.Equal("sw-lucia", timeline.Entries.Last(e => e.Kind == "contact-recorded").Actor);
    }
}
