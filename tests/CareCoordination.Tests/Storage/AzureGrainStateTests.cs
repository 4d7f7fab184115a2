using System.Diagnostics;
using Azure.Data.Tables;
using CareCoordination.Api.V1;
using CareCoordination.Tests.Faults;
using CareCoordination.Tests.Gateway;
using Xunit.Abstractions;

namespace CareCoordination.Tests.Storage;

/// <summary>
/// The service on Azure Table storage (Azurite) in one process: a person's record at the longest its history gets
/// (the timeline's 2,000 entries, the request log's 512 ids) is stored and read back after a restart, and what it
/// weighs against Azure's limits (1 MB an entity, 64 KB a property) is measured.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureGrainStateTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private const int EntityLimit = 1024 * 1024;

    [Fact]
    public async Task The_longest_client_record_fits_an_entity_and_survives_a_restart()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["Storage:AzureConnectionString"] = azurite.Azurite.ConnectionString,
            ["Orleans:ClusterId"] = TestKeys.New("cluster"), // the membership table is shared with other tests' silos
        };
        var gateway = await GatewayFixture.StartWithAsync(settings);
        string client;
        var written = Stopwatch.StartNew();
        try
        {
            var s = await new ApiScenario(gateway).WithTeamAsync();
            client = await s.ClientAsync();
            // Past the timeline's cap: every contact is an entry, and a request id remembered.
            await Parallel.ForEachAsync(Enumerable.Range(0, 2_100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                await gateway.Clients.RecordContactAsync(new RecordContactRequest
                    { RequestId = $"{client}-contact-{i:D5}", ClientId = client, Kind = ContactKind.Phone }, cancellationToken: ct));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
        written.Stop();

        var row = await ClientRowAsync(client);
        var bytes = row.Sum(p => p.Value switch { byte[] b => b.Length, string t => t.Length * 2, _ => 8 });
        var largestProperty = row.Max(p => p.Value switch { byte[] b => b.Length, string t => t.Length * 2, _ => 8 });
        Figures.Report(output, $"[Azure Table storage (Azurite)] a client record at its longest (2,000 timeline entries, 512 request ids) " +
                               $"weighs {bytes / 1024.0:0.0} KiB in its entity ({row.Count} properties, the largest {largestProperty / 1024.0:0.0} KiB); " +
                               $"2,100 contacts written in {written.Elapsed.TotalSeconds:0.0} s");
        Assert.True(bytes < EntityLimit / 4, $"the longest client record takes {bytes} bytes of an entity's {EntityLimit}");
        Assert.True(largestProperty <= 64 * 1024);

        // A new process reads it back whole.
        var again = await GatewayFixture.StartWithAsync(settings);
        try
        {
            var record = await again.Clients.GetClientAsync(new GetClientRequest { ClientId = client });
            var timeline = await again.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200 });
            Assert.Equal(client, record.ClientId);
            Assert.Equal(200, timeline.Entries.Count);
            // A retry of a write it remembers answers as the first time and adds nothing (a new entry would show on
            // the first page whichever end it is read from: the oldest leaves at the cap).
            await again.Clients.RecordContactAsync(new RecordContactRequest { RequestId = $"{client}-contact-02099", ClientId = client, Kind = ContactKind.Phone });
            Assert.Equal(timeline.Entries, (await again.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200 })).Entries);
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    private async Task<TableEntity> ClientRowAsync(string client)
    {
        var table = new TableClient(azurite.Azurite.ConnectionString, "OrleansGrainState");
        await foreach (var row in table.QueryAsync<TableEntity>())
            if (row.PartitionKey.Contains(client, StringComparison.Ordinal)) return row;
        throw new InvalidOperationException($"no grain state row for {client}");
    }
}
