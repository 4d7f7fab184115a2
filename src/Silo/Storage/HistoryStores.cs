using Azure;
using Azure.Data.Tables;
using CareCoordination.Common;
using Npgsql;

namespace CareCoordination.Silo.Storage;

/// <summary>Filed history in process memory: for tests and the in-memory mode only.</summary>
public sealed class MemoryHistoryStore : IHistoryStore
{
    private readonly Dictionary<(string Owner, string Log), SortedList<string, byte[]>> _logs = new();

    public Task PutAsync(string owner, string log, IReadOnlyList<HistoryEntry> entries,
        CancellationToken cancellationToken = default)
    {
        lock (_logs)
        {
            if (!_logs.TryGetValue((owner, log), out var rows))
                _logs[(owner, log)] = rows = new(StringComparer.Ordinal);
            foreach (var e in entries) rows.TryAdd(e.Key, e.Payload);
        }
        return Task.CompletedTask;
    }

    public Task<byte[]?> GetAsync(string owner, string log, string key,
        CancellationToken cancellationToken = default)
    {
        lock (_logs)
            return Task.FromResult(
                _logs.TryGetValue((owner, log), out var rows) && rows.TryGetValue(key, out var v) ? v : null);
    }

    public Task<IReadOnlyList<HistoryEntry>> ReadAsync(string owner, string log, string afterKey, int max,
        CancellationToken cancellationToken = default)
    {
        lock (_logs)
            return Task.FromResult<IReadOnlyList<HistoryEntry>>(_logs.TryGetValue((owner, log), out var rows)
                ? rows.Where(r => string.CompareOrdinal(r.Key, afterKey) > 0).Take(max)
                    .Select(r => new HistoryEntry(r.Key, r.Value)).ToList()
                : []);
    }
}

/// <summary>Filed history in the embedded file (table cc_history, <see cref="SqliteDatabase"/> version 3).</summary>
public sealed class SqliteHistoryStore(SqliteDatabase database) : IHistoryStore
{
    public Task PutAsync(string owner, string log, IReadOnlyList<HistoryEntry> entries,
        CancellationToken cancellationToken = default) =>
        database.WriteAsync((connection, tx) =>
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO cc_history (owner, log, key, payload) VALUES ($o, $l, $k, $p) "
                + "ON CONFLICT DO NOTHING";
            var key = insert.Parameters.Add("$k", Microsoft.Data.Sqlite.SqliteType.Text);
            var payload = insert.Parameters.Add("$p", Microsoft.Data.Sqlite.SqliteType.Blob);
            insert.Parameters.AddWithValue("$o", owner);
            insert.Parameters.AddWithValue("$l", log);
            foreach (var e in entries)
            {
                key.Value = e.Key;
                payload.Value = e.Payload;
                insert.ExecuteNonQuery();
            }
            return entries.Count;
        });

    public Task<byte[]?> GetAsync(string owner, string log, string key,
        CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT payload FROM cc_history WHERE owner = $o AND log = $l AND key = $k";
            command.Parameters.AddWithValue("$o", owner);
            command.Parameters.AddWithValue("$l", log);
            command.Parameters.AddWithValue("$k", key);
            return command.ExecuteScalar() as byte[];
        }, cancellationToken);

    public Task<IReadOnlyList<HistoryEntry>> ReadAsync(string owner, string log, string afterKey, int max,
        CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<HistoryEntry>>(connection =>
        {
            using var command = connection.CreateCommand();
            // TEXT compares with BINARY collation by default: ordinal, like the other stores.
            command.CommandText =
                "SELECT key, payload FROM cc_history WHERE owner = $o AND log = $l AND key > $a ORDER BY key LIMIT $m";
            command.Parameters.AddWithValue("$o", owner);
            command.Parameters.AddWithValue("$l", log);
            command.Parameters.AddWithValue("$a", afterKey);
            command.Parameters.AddWithValue("$m", max);
            var result = new List<HistoryEntry>();
            using var reader = command.ExecuteReader();
            while (reader.Read()) result.Add(new HistoryEntry(reader.GetString(0), (byte[])reader.GetValue(1)));
            return result;
        }, cancellationToken);
}

/// <summary>Filed history in PostgreSQL (table cc_history, deploy/postgres/008_care_history.sql).</summary>
public sealed class PostgresHistoryStore(PostgresConnectionString database) : IHistoryStore
{
    public async Task PutAsync(string owner, string log, IReadOnlyList<HistoryEntry> entries,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One statement for the batch: arrays unnested into rows.
        await using var insert = new NpgsqlCommand("""
            INSERT INTO cc_history (owner, log, key, payload)
            SELECT @o, @l, k, p FROM unnest(@k, @p) AS e(k, p)
            ON CONFLICT DO NOTHING
            """, connection);
        insert.Parameters.AddWithValue("o", owner);
        insert.Parameters.AddWithValue("l", log);
        insert.Parameters.AddWithValue("k", entries.Select(e => e.Key).ToArray());
        insert.Parameters.AddWithValue("p", entries.Select(e => e.Payload).ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string owner, string log, string key,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT payload FROM cc_history WHERE owner = @o AND log = @l AND key = @k", connection);
        command.Parameters.AddWithValue("o", owner);
        command.Parameters.AddWithValue("l", log);
        command.Parameters.AddWithValue("k", key);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<IReadOnlyList<HistoryEntry>> ReadAsync(string owner, string log, string afterKey, int max,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT key, payload FROM cc_history WHERE owner = @o AND log = @l AND key > @a ORDER BY key LIMIT @m",
            connection);
        command.Parameters.AddWithValue("o", owner);
        command.Parameters.AddWithValue("l", log);
        command.Parameters.AddWithValue("a", afterKey);
        command.Parameters.AddWithValue("m", max);
        var result = new List<HistoryEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(new HistoryEntry(reader.GetString(0), (byte[])reader.GetValue(1)));
        return result;
    }
}

/// <summary>
/// Filed history in Azure Table storage (table <see cref="AzureTables.History"/>): a partition per owner, a row
/// per entry keyed "&lt;log&gt;:&lt;key&gt;", so a log is a row-key range and a batch of one owner is one
/// entity-group transaction.
/// </summary>
public sealed class AzureHistoryStore(AzureTables tables) : IHistoryStore
{
    // A transaction takes at most 100 operations; filing batches are far smaller.
    private const int PerTransaction = 100;

    public async Task PutAsync(string owner, string log, IReadOnlyList<HistoryEntry> entries,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.History, cancellationToken);
        var partition = AzureTables.Key(owner);
        // Upsert, not Add: one existing row would fail the whole transaction, and a row filed again carries what the
        // first filing wrote (the same entry, from the same state).
        foreach (var chunk in entries.Chunk(PerTransaction))
            await table.SubmitTransactionAsync(chunk.Select(e =>
                new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                    new TableEntity(partition, Row(log, e.Key)) { ["Payload"] = e.Payload })), cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string owner, string log, string key,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.History, cancellationToken);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(AzureTables.Key(owner), Row(log, key), ["Payload"],
            cancellationToken);
        return row.HasValue ? row.Value!.GetBinary("Payload") : null;
    }

    public async Task<IReadOnlyList<HistoryEntry>> ReadAsync(string owner, string log, string afterKey, int max,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.History, cancellationToken);
        var prefix = AzureTables.Key(log) + ":";
        // A log is the row-key range "<log>:" to "<log>;" (';' follows ':'); the SDK quotes the values.
        string partition = AzureTables.Key(owner), from = prefix + AzureTables.Key(afterKey);
        var to = AzureTables.Key(log) + ";";
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and RowKey gt {from} and RowKey lt {to}");
        var result = new List<HistoryEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000),
                           cancellationToken: cancellationToken))
        {
            result.Add(new HistoryEntry(Unescape(row.RowKey[prefix.Length..]), row.GetBinary("Payload")));
            if (result.Count == max) break;
        }
        return result;
    }

    private static string Row(string log, string key) => AzureTables.Key(log) + ":" + AzureTables.Key(key);

    /// <summary>The inverse of <see cref="AzureTables.Key"/>.</summary>
    private static string Unescape(string key) =>
        System.Text.RegularExpressions.Regex.Replace(key, "%([0-9A-F]{4})",
            m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
}
