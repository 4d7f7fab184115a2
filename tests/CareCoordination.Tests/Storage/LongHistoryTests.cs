using System.Diagnostics;
using Azure.Data.Tables;
using CareCoordination.Api.V1;
using CareCoordination.Tests.Faults;
using CareCoordination.Tests.Gateway;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace CareCoordination.Tests.Storage;

/// <summary>
/// A person accompanied for years: their record's state weighs the same after 2,100 contacts as after 10 (the
/// timeline and the answered requests are filed in the history store), the whole timeline still reads back in
/// order after a restart, and a retry of a request answered two thousand writes ago still returns its first answer.
/// </summary>
public abstract class LongHistoryContract(ITestOutputHelper output)
{
    private const int Contacts = 2_100;

    protected abstract string Name { get; }
    protected abstract Dictionary<string, string?> Settings { get; }

    /// <summary>The bytes the storage holds for this client's grain state.</summary>
    protected abstract Task<int> StateBytesAsync(string clientId);

    [Fact]
    public async Task State_does_not_grow_with_history_and_the_whole_timeline_and_every_answer_are_kept()
    {
        string brief, long_;
        var gateway = await GatewayFixture.StartWithAsync(Settings);
        var written = Stopwatch.StartNew();
        try
        {
            var s = await new ApiScenario(gateway).WithTeamAsync();
            brief = await s.ClientAsync();
            long_ = await s.ClientAsync();
            for (var i = 0; i < 10; i++)
                await gateway.Clients.RecordContactAsync(new RecordContactRequest
                    { RequestId = $"{brief}-contact-{i:D5}", ClientId = brief, Kind = ContactKind.Phone });
            await Parallel.ForEachAsync(Enumerable.Range(0, Contacts), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                await gateway.Clients.RecordContactAsync(new RecordContactRequest
                    { RequestId = $"{long_}-contact-{i:D5}", ClientId = long_, Kind = ContactKind.Phone }, cancellationToken: ct));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
        written.Stop();

        var briefBytes = await StateBytesAsync(brief);
        var longBytes = await StateBytesAsync(long_);
        Figures.Report(output, $"[{Name}] a client's stored state after 10 contacts: {briefBytes / 1024.0:0.0} KiB; after {Contacts:N0}: " +
                               $"{longBytes / 1024.0:0.0} KiB ({Contacts:N0} contacts written in {written.Elapsed.TotalSeconds:0.0} s)");
        // Both carry at most a filing's worth of unfiled lines and requests: the long one may hold a few more.
        Assert.True(longBytes < briefBytes * 2, $"after {Contacts} contacts the state is {longBytes} bytes, after 10 it is {briefBytes}");

        var again = await GatewayFixture.StartWithAsync(Settings);
        try
        {
            var timeline = await WholeTimelineAsync(again, long_);
            Assert.Equal(Enumerable.Range(1, timeline.Count).Select(i => (long)i), timeline.Select(e => e.Sequence));
            Assert.Equal(Contacts, timeline.Count(e => e.Kind == "contact-recorded"));
            Assert.Equal("registered", timeline[0].Kind);

            // The first contact's request was filed long ago: its retry answers as the first time and adds nothing.
            var retried = await again.Clients.RecordContactAsync(new RecordContactRequest
                { RequestId = $"{long_}-contact-00000", ClientId = long_, Kind = ContactKind.Phone });
            Assert.Equal(long_, retried.Client.ClientId);
            Assert.Equal(timeline.Count, (await WholeTimelineAsync(again, long_)).Count);
            // The same id for another write is refused, naming the field, and changes nothing.
            var reused = await Assert.ThrowsAsync<RpcException>(() => again.Clients.RecordContactAsync(new RecordContactRequest
                { RequestId = $"{long_}-contact-00001", ClientId = long_, Kind = ContactKind.HomeVisit }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, reused.StatusCode);
            Assert.Contains("request_id", reused.Status.Detail);
            Assert.Equal(timeline.Count, (await WholeTimelineAsync(again, long_)).Count);
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    private static async Task<List<Api.V1.TimelineEntry>> WholeTimelineAsync(GatewayFixture gateway, string client)
    {
        var all = new List<Api.V1.TimelineEntry>();
        var token = "";
        do
        {
            var page = await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200, PageToken = token });
            all.AddRange(page.Entries);
            token = page.NextPageToken;
        } while (token.Length > 0);
        return all;
    }
}

public sealed class SqliteLongHistoryTests(ITestOutputHelper output) : LongHistoryContract(output), IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-long-" + Guid.NewGuid().ToString("N"));

    protected override string Name => "embedded SQLite";

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:SqlitePath"] = Path.Combine(_dir, "care.db"),
    };

    protected override async Task<int> StateBytesAsync(string clientId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "care.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT length(payload) FROM grain_state WHERE grain_id = $g";
        command.Parameters.AddWithValue("$g", "client/" + clientId);
        return Convert.ToInt32(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no grain state row for {clientId}"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureLongHistoryTests(AzuriteFixture azurite, ITestOutputHelper output) : LongHistoryContract(output)
{
    private readonly string _cluster = TestKeys.New("cluster"); // the membership table is shared with other tests' silos

    protected override string Name => "Azure Table storage (Azurite)";

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Storage:Provider"] = "AzureStorage",
        ["Storage:AzureConnectionString"] = azurite.Azurite.ConnectionString,
        ["Orleans:ClusterId"] = _cluster,
    };

    protected override async Task<int> StateBytesAsync(string clientId)
    {
        var table = new TableClient(azurite.Azurite.ConnectionString, "OrleansGrainState");
        await foreach (var row in table.QueryAsync<TableEntity>())
            if (row.PartitionKey.Contains(clientId, StringComparison.Ordinal))
                return row.Sum(p => p.Value switch { byte[] b => b.Length, string t => t.Length * 2, _ => 8 });
        throw new InvalidOperationException($"no grain state row for {clientId}");
    }
}
