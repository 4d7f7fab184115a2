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

    [Fact]
    public async Task A_platform_service_creating_without_a_valid_region_is_told_which_field_not_refused()
    {
        var region = TestKeys.New("region");
        var creates = new Func<string, Metadata, Task>[]
        {
            (r, who) => gateway.Clients.RegisterClientAsync(new RegisterClientRequest
                { RequestId = TestKeys.Request(), ClientId = TestKeys.New("c"), Region = r }, who).ResponseAsync,
            (r, who) => gateway.Teams.CreateTeamAsync(new CreateTeamRequest
                { RequestId = TestKeys.Request(), TeamId = TestKeys.New("team"), Region = r, Name = "T", Organisation = "city" }, who).ResponseAsync,
            (r, who) => gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
            {
                RequestId = TestKeys.Request(), ProgramId = TestKeys.New("p"), Region = r, Name = "P", Kind = ProgramKind.HousingFirst,
                Domains = { NeedDomain.Housing }, Capacity = 2,
            }, who).ResponseAsync,
        };
        foreach (var create in creates)
        {
            foreach (var bad in new[] { "", "north!", " " + region })
            {
                var refused = await Assert.ThrowsAsync<RpcException>(() => create(bad, Service(region, "cm-ana")));
                Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
                Assert.Contains("region", refused.Status.Detail);
            }
            var elsewhere = await Assert.ThrowsAsync<RpcException>(() => create("another-region", Service(region, "cm-ana")));
            Assert.Equal(StatusCode.PermissionDenied, elsewhere.StatusCode);
            await create(region, Service(region, "cm-ana"));
        }
    }
}
