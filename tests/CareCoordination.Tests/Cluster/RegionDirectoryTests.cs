using CareCoordination.Common;
using CareCoordination.Regions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace CareCoordination.Tests.Cluster;

/// <summary>
/// A region's directory of clients is filed as it grows (the state keeps only the latest registrations): listing
/// pages through every client in order, counts each once, and a repeated registration adds nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RegionDirectoryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_region_lists_and_counts_every_client_once_however_many_were_filed()
    {
        var key = TestKeys.New("region");
        var region = fixture.Grains.GetGrain<IRegionGrain>(key);
        // Registered out of order, more than one filing's worth; some twice (a retried registration).
        var ids = Enumerable.Range(0, 45).Select(i => $"c-{(i * 17) % 45:D3}").ToList();
        foreach (var id in ids) await region.AddAsync(RegionMember.Client, id);
        foreach (var id in ids.Take(20)) await region.AddAsync(RegionMember.Client, id);
        await region.AddAsync(RegionMember.Team, "t-1");

        var listed = new List<string>();
        string? after = null;
        do
        {
            var page = await region.ListAsync(RegionMember.Client, after, 7);
            Assert.Equal(45, page.Total);
            Assert.True(page.Ids.Count <= 7);
            listed.AddRange(page.Ids);
            after = page.NextAfter;
        } while (after is not null);

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
        Assert.Equal(["t-1"], (await region.ListAsync(RegionMember.Team, null, 10)).Ids);
        Assert.Equal(45, (await region.GetReportAsync()).Clients);

        // The directory's state holds fewer than a filing's worth: the rest is in the silo's history store.
        var filed = 0;
        foreach (var silo in fixture.Cluster.Silos.OfType<InProcessSiloHandle>())
            filed += (await silo.SiloHost.Services.GetRequiredService<IHistoryStore>().ReadAsync("region/" + key, "clients", "", 100)).Count;
        Assert.True(filed >= 45 - GrainHistory.FileAt, $"{filed} of 45 clients filed");
    }
}
