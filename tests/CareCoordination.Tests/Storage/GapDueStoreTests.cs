using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Silo.Storage;
using CareCoordination.Tests.Faults;

namespace CareCoordination.Tests.Storage;

/// <summary>What the care-gap clock relies on from every store of due times.</summary>
public abstract class GapDueStoreContract
{
    protected abstract IGapDueStore Store { get; }

    protected static readonly DateTimeOffset Due = new(2026, 5, 4, 9, 30, 0, TimeSpan.Zero);

    protected static (int Shard, GapOwner Owner) Fresh(GapOwnerKind kind = GapOwnerKind.Client) =>
        (Random.Shared.Next(1_000_000, int.MaxValue), new GapOwner(kind, TestKeys.New(kind == GapOwnerKind.Client ? "c" : "p")));

    [Fact]
    public async Task A_registered_due_time_is_read_back_by_its_shard_only()
    {
        var (shard, owner) = Fresh();
        await Store.SetAsync(shard, owner, Due);

        Assert.Equal([new DueEntry(owner, Due)], await Store.ReadShardAsync(shard));
        Assert.DoesNotContain(await Store.ReadShardAsync(shard + 1), e => e.Owner == owner);
    }

    [Fact]
    public async Task Registering_again_replaces_the_time_and_null_removes_the_owner()
    {
        var (shard, owner) = Fresh(GapOwnerKind.Program);
        var (_, other) = Fresh();
        await Store.SetAsync(shard, owner, Due);
        await Store.SetAsync(shard, other, Due.AddDays(1));
        await Store.SetAsync(shard, owner, Due.AddHours(5));

        var entries = await Store.ReadShardAsync(shard);
        Assert.Equal(2, entries.Count);
        Assert.Equal(Due.AddHours(5), Assert.Single(entries, e => e.Owner == owner).DueAt);

        await Store.SetAsync(shard, owner, null);
        Assert.Equal([new DueEntry(other, Due.AddDays(1))], await Store.ReadShardAsync(shard));
        await Store.SetAsync(shard, owner, null); // removing twice is harmless
    }

    [Fact]
    public async Task An_owner_registered_under_another_shard_moves_there()
    {
        var (shard, owner) = Fresh();
        await Store.SetAsync(shard, owner, Due);
        await Store.SetAsync(shard + 1, owner, Due);

        Assert.Empty(await Store.ReadShardAsync(shard));
        Assert.Single(await Store.ReadShardAsync(shard + 1));
    }

}

/// <summary>And from the stores that keep due times in a database: they are there for the next process.</summary>
public abstract class DurableGapDueStoreContract : GapDueStoreContract
{
    /// <summary>The same store as a fresh process would open it.</summary>
    protected abstract IGapDueStore Reopened();

    [Fact]
    public async Task Due_times_survive_a_restart()
    {
        var (shard, owner) = Fresh();
        await Store.SetAsync(shard, owner, Due);
        Assert.Equal([new DueEntry(owner, Due)], await Reopened().ReadShardAsync(shard));
    }
}

/// <summary>The memory store (tests, in-memory mode) promises nothing across processes.</summary>
public sealed class MemoryGapDueStoreTests : GapDueStoreContract
{
    protected override IGapDueStore Store { get; } = new MemoryGapDueStore();
}

public sealed class SqliteGapDueStoreTests : DurableGapDueStoreContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cc-due-{Guid.NewGuid():N}.db");
    public SqliteGapDueStoreTests() => Store = new SqliteGapDueStore(new SqliteDatabase(_path));
    protected override IGapDueStore Store { get; }
    protected override IGapDueStore Reopened() => new SqliteGapDueStore(new SqliteDatabase(_path));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }
}

/// <summary>Against the local cluster's PostgreSQL, with the schema the silos applied.</summary>
[Collection(LocalClusterCollection.Name)]
public sealed class PostgresGapDueStoreTests(LocalClusterFixture cluster) : DurableGapDueStoreContract
{
    protected override IGapDueStore Store { get; } = new PostgresGapDueStore(new PostgresConnectionString(cluster.ConnectionString));
    protected override IGapDueStore Reopened() => new PostgresGapDueStore(new PostgresConnectionString(cluster.ConnectionString + ";Pooling=false"));
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureGapDueStoreTests(AzuriteFixture azurite) : DurableGapDueStoreContract
{
    protected override IGapDueStore Store { get; } = new AzureGapDueStore(Tables(azurite));
    protected override IGapDueStore Reopened() => new AzureGapDueStore(Tables(azurite));

    private static AzureTables Tables(AzuriteFixture azurite) =>
        new(new StorageOptions { AzureConnectionString = azurite.Azurite.ConnectionString });
}
