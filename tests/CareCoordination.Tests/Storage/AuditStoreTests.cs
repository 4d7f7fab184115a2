using CareCoordination.Audit;
using CareCoordination.Silo.Storage;
using CareCoordination.Tests.Faults;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CareCoordination.Tests.Storage;

/// <summary>What the audit trail relies on from every store: records in order, all of a batch or none, by client.</summary>
public abstract class AuditStoreContract
{
    protected abstract IAuditStore Store { get; }

    protected static AuditEntry Entry(string client, string action = "Clients/GetClient") =>
        new(new DateTimeOffset(2026, 4, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(Random.Shared.Next()), "cm-ana", null, "city",
            "case_manager", action, "Client", client, client, "care-coordination", "OK", "0af7651916cd43dd8448eb211c80319c");

    /// <summary>Records sealed after what the store holds now (stores under test may be shared with other tests).</summary>
    protected async Task<List<AuditRecord>> SealAsync(params AuditEntry[] entries)
    {
        var last = await Store.LastAsync();
        var sealedRecords = new List<AuditRecord>();
        foreach (var e in entries)
        {
            var previous = sealedRecords.Count > 0 ? sealedRecords[^1] : last;
            sealedRecords.Add(AuditChain.Seal((previous?.Sequence ?? 0) + 1, previous?.Hash ?? AuditChain.Genesis, e));
        }
        return sealedRecords;
    }

    [Fact]
    public async Task Appended_records_read_back_in_order_whole_and_by_client()
    {
        var (a, b) = (TestKeys.New("c"), TestKeys.New("c"));
        var records = await SealAsync(Entry(a), Entry(b, "Clients/RecordContact"), Entry(a, "Clients/SetGoal"));
        await Store.AppendAsync(records);

        Assert.Equal(records[^1], await Store.LastAsync());
        Assert.Equal(records, await Store.ReadAsync(records[0].Sequence - 1, 10));
        Assert.Equal([records[0], records[2]], await Store.ReadAsync(0, 10, a));
        Assert.Equal([records[2]], await Store.ReadAsync(records[0].Sequence, 10, a));
        Assert.Equal(records[..2], await Store.ReadAsync(records[0].Sequence - 1, 2));
    }
}

public abstract class DurableAuditStoreContract : AuditStoreContract
{
    protected abstract IAuditStore Reopened();

    [Fact]
    public async Task The_trail_survives_a_restart()
    {
        var client = TestKeys.New("c");
        var records = await SealAsync(Entry(client), Entry(client));
        await Store.AppendAsync(records);
        Assert.Equal(records, await Reopened().ReadAsync(0, 10, client));
        Assert.Equal(records[^1], await Reopened().LastAsync());
    }

    [Fact]
    public async Task A_batch_that_collides_with_a_stored_sequence_stores_nothing()
    {
        var client = TestKeys.New("c");
        var first = await SealAsync(Entry(client));
        await Store.AppendAsync(first);
        var clash = (await SealAsync(Entry(client), Entry(client))).Select(r => r with { Sequence = r.Sequence - 1 }).ToList();
        clash[0] = clash[0] with { Sequence = first[0].Sequence + 100 };
        clash[1] = clash[1] with { Sequence = first[0].Sequence }; // already taken
        await Assert.ThrowsAnyAsync<Exception>(() => Store.AppendAsync(clash));
        Assert.Equal(first, await Store.ReadAsync(0, 10, client));
    }
}

public sealed class MemoryAuditStoreTests : AuditStoreContract
{
    protected override IAuditStore Store { get; } = new MemoryAuditStore();
}

public sealed class SqliteAuditStoreTests : DurableAuditStoreContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cc-audit-{Guid.NewGuid():N}.db");
    public SqliteAuditStoreTests() => Store = new SqliteAuditStore(SqliteDatabase.Audit(_path));
    protected override IAuditStore Store { get; }
    private string AuditFile => Path.ChangeExtension(_path, null) + ".audit.db";
    protected override IAuditStore Reopened() => new SqliteAuditStore(SqliteDatabase.Audit(_path));

    [Fact]
    public async Task The_table_refuses_updates_and_deletes_and_a_row_changed_behind_its_back_is_found()
    {
        var client = TestKeys.New("c");
        var records = await SealAsync(Entry(client), Entry(client), Entry(client));
        await Store.AppendAsync(records);
        await using var connection = new SqliteConnection($"Data Source={AuditFile}");
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE cc_audit SET actor = 'someone-else' WHERE sequence = 2";
        Assert.Throws<SqliteException>(() => update.ExecuteNonQuery());

        // Someone with the file drops the guard and edits a row: the chain shows which.
        await using var drop = connection.CreateCommand();
        drop.CommandText = "DROP TRIGGER cc_audit_no_update; UPDATE cc_audit SET actor = 'someone-else' WHERE sequence = 2";
        await drop.ExecuteNonQueryAsync();
        var verified = AuditChain.Verify(await Reopened().ReadAsync(0, 10), null, 0);
        Assert.Equal((false, 2L), (verified.Intact, verified.FirstBrokenSequence));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, AuditFile })
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
    }
}

/// <summary>
/// Against the local cluster's PostgreSQL, in a database of its own with the project's schema: the cluster's own
/// trail keeps its chain, so records written here must not land in it.
/// </summary>
[Collection(LocalClusterCollection.Name)]
public sealed class PostgresAuditStoreTests : DurableAuditStoreContract
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static string? _database;
    private readonly string _connectionString;

    public PostgresAuditStoreTests(LocalClusterFixture cluster)
    {
        _connectionString = ScratchDatabaseAsync(cluster).GetAwaiter().GetResult();
        Store = new PostgresAuditStore(new PostgresConnectionString(_connectionString));
    }

    protected override IAuditStore Store { get; }
    protected override IAuditStore Reopened() => new PostgresAuditStore(new PostgresConnectionString(_connectionString + ";Pooling=false"));

    private static async Task<string> ScratchDatabaseAsync(LocalClusterFixture cluster)
    {
        await Once.WaitAsync();
        try
        {
            if (_database is null)
            {
                var name = "audit_" + Guid.NewGuid().ToString("N")[..12];
                await using (var admin = new NpgsqlConnection(cluster.ConnectionString.Replace("Database=care;Username=care", "Database=postgres;Username=postgres")))
                {
                    await admin.OpenAsync();
                    await using var create = new NpgsqlCommand($"CREATE DATABASE {name} OWNER care", admin);
                    await create.ExecuteNonQueryAsync();
                }
                var connectionString = cluster.ConnectionString.Replace("Database=care", $"Database={name}");
                await PostgresSchema.MigrateAsync(connectionString);
                _database = connectionString;
            }
            return _database;
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public async Task The_table_refuses_updates_and_deletes()
    {
        var records = await SealAsync(Entry(TestKeys.New("c")));
        await Store.AppendAsync(records);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE cc_audit SET actor = 'x' WHERE sequence = @s", "DELETE FROM cc_audit WHERE sequence = @s" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("s", records[0].Sequence);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", error.MessageText);
        }
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureAuditStoreTests(AzuriteFixture azurite) : DurableAuditStoreContract
{
    private readonly AzureTables _tables = new(new StorageOptions { AzureConnectionString = azurite.Azurite.ConnectionString });

    protected override IAuditStore Store => new AzureAuditStore(_tables);
    protected override IAuditStore Reopened() =>
        new AzureAuditStore(new AzureTables(new StorageOptions { AzureConnectionString = azurite.Azurite.ConnectionString }));

    [Fact]
    public async Task A_batch_that_does_not_continue_the_trail_is_refused_and_a_large_one_is_stored_whole_in_order()
    {
        var client = TestKeys.New("c");
        var skipping = (await SealAsync(Entry(client))).Select(r => r with { Sequence = r.Sequence + 1 }).ToList();
        await Assert.ThrowsAnyAsync<Exception>(() => Store.AppendAsync(skipping));

        var large = await SealAsync(Enumerable.Range(0, 250).Select(_ => Entry(client)).ToArray());
        await Store.AppendAsync(large);
        Assert.Equal(large, await Reopened().ReadAsync(large[0].Sequence - 1, 1000, client));
        Assert.Equal(large[^1], await Store.LastAsync());
    }

    [Fact]
    public async Task A_row_changed_behind_the_stores_back_is_found_by_the_chain()
    {
        var client = TestKeys.New("c");
        var records = await SealAsync(Entry(client), Entry(client), Entry(client));
        await Store.AppendAsync(records);
        var table = await _tables.TableAsync(AzureTables.Audit, CancellationToken.None);
        var row = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("trail", "r:" + AzureTables.Number(records[1].Sequence))).Value;
        row["Actor"] = "someone-else";
        await table.UpdateEntityAsync(row, Azure.ETag.All, Azure.Data.Tables.TableUpdateMode.Replace);

        var verified = AuditChain.Verify(await Reopened().ReadAsync(0, 10_000), null, 0);
        Assert.Equal((false, records[1].Sequence), (verified.Intact, verified.FirstBrokenSequence));
    }
}
