using System.Text;
using CareCoordination.Common;
using CareCoordination.Silo.Storage;
using CareCoordination.Tests.Faults;

namespace CareCoordination.Tests.Storage;

/// <summary>What grains rely on from every history store: ordered pages, lookups by key, filing again changes nothing.</summary>
public abstract class HistoryStoreContract
{
    protected abstract IHistoryStore Store { get; }

    private static HistoryEntry Entry(long sequence, string text) => new(sequence.ToString("D19"), Encoding.UTF8.GetBytes(text));

    private static string Text(HistoryEntry e) => Encoding.UTF8.GetString(e.Payload);

    [Fact]
    public async Task Entries_read_back_in_key_order_page_by_page()
    {
        var owner = "client/" + TestKeys.New("c");
        // Filed in two batches, the second out of order: the store orders by key, not by arrival.
        await Store.PutAsync(owner, "timeline", [Entry(1, "registered"), Entry(2, "consent-recorded")]);
        await Store.PutAsync(owner, "timeline", [Entry(4, "contact-recorded"), Entry(3, "goal-set")]);

        var all = await Store.ReadAsync(owner, "timeline", 0L.ToString("D19"), 10);
        Assert.Equal(["registered", "consent-recorded", "goal-set", "contact-recorded"], all.Select(Text));
        var page = await Store.ReadAsync(owner, "timeline", 2L.ToString("D19"), 1);
        Assert.Equal(["goal-set"], page.Select(Text));
        Assert.Empty(await Store.ReadAsync(owner, "timeline", 4L.ToString("D19"), 10));
    }

    [Fact]
    public async Task An_entry_is_found_by_its_key_and_only_in_its_own_log_and_owner()
    {
        var owner = "team/" + TestKeys.New("t");
        var other = "team/" + TestKeys.New("t");
        await Store.PutAsync(owner, "requests", [new HistoryEntry("req-7.a_b", [1, 2, 3])]);

        Assert.Equal([1, 2, 3], await Store.GetAsync(owner, "requests", "req-7.a_b"));
        Assert.Null(await Store.GetAsync(owner, "requests", "req-8"));
        Assert.Null(await Store.GetAsync(owner, "timeline", "req-7.a_b"));
        Assert.Null(await Store.GetAsync(other, "requests", "req-7.a_b"));
        Assert.Empty(await Store.ReadAsync(other, "requests", "", 10));
        // A log's range does not run into a log whose name continues it.
        await Store.PutAsync(owner, "requests-x", [new HistoryEntry("a", [9])]);
        Assert.Equal(["req-7.a_b"], (await Store.ReadAsync(owner, "requests", "", 10)).Select(e => e.Key));
    }

    [Fact]
    public async Task Filing_the_same_entries_again_leaves_one_copy_of_each()
    {
        var owner = "program/" + TestKeys.New("p");
        var batch = Enumerable.Range(1, 30).Select(i => Entry(i, $"line {i}")).ToList();
        await Store.PutAsync(owner, "timeline", batch);
        await Store.PutAsync(owner, "timeline", batch.Skip(10).Append(Entry(31, "line 31")).ToList());

        var all = await Store.ReadAsync(owner, "timeline", "", 100);
        Assert.Equal(Enumerable.Range(1, 31).Select(i => $"line {i}"), all.Select(Text));
    }
}

public sealed class MemoryHistoryStoreTests : HistoryStoreContract
{
    protected override IHistoryStore Store { get; } = new MemoryHistoryStore();
}

public sealed class SqliteHistoryStoreTests : HistoryStoreContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cc-history-{Guid.NewGuid():N}.db");
    private readonly SqliteDatabase _database;

    public SqliteHistoryStoreTests()
    {
        _database = new SqliteDatabase(_path);
        Store = new SqliteHistoryStore(_database);
    }

    protected override IHistoryStore Store { get; }

    public void Dispose()
    {
        _database.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }
}

/// <summary>Against the local cluster's PostgreSQL, with the schema the silos applied (008_care_history.sql).</summary>
[Collection(LocalClusterCollection.Name)]
public sealed class PostgresHistoryStoreTests(LocalClusterFixture cluster) : HistoryStoreContract
{
    protected override IHistoryStore Store { get; } = new PostgresHistoryStore(new PostgresConnectionString(cluster.ConnectionString));
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureHistoryStoreTests(AzuriteFixture azurite) : HistoryStoreContract
{
    protected override IHistoryStore Store { get; } =
        new AzureHistoryStore(new AzureTables(new StorageOptions { AzureConnectionString = azurite.Azurite.ConnectionString }));
}
