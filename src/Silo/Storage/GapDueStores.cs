using System.Collections.Concurrent;
using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using Npgsql;

namespace CareCoordination.Silo.Storage;

/// <summary>The clock's due times in process memory: for tests and the in-memory mode only.</summary>
public sealed class MemoryGapDueStore : IGapDueStore
{
    private readonly ConcurrentDictionary<GapOwner, (int Shard, DateTimeOffset DueAt)> _rows = new();

    public Task SetAsync(int shard, GapOwner owner, DateTimeOffset? dueAt,
        CancellationToken cancellationToken = default)
    {
        if (dueAt is { } at) _rows[owner] = (shard, at);
        else _rows.TryRemove(owner, out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DueEntry>> ReadShardAsync(int shard, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DueEntry>>(_rows.Where(r => r.Value.Shard == shard)
            .Select(r => new DueEntry(r.Key, r.Value.DueAt)).ToList());
}

/// <summary>The clock's due times in the embedded file (table cc_gap_due, <see cref="SqliteDatabase"/> version
/// 2).</summary>
public sealed class SqliteGapDueStore(SqliteDatabase database) : IGapDueStore
{
    public Task SetAsync(int shard, GapOwner owner, DateTimeOffset? dueAt,
        CancellationToken cancellationToken = default) =>
        database.WriteAsync((connection, tx) =>
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = dueAt is null
                ? "DELETE FROM cc_gap_due WHERE owner_kind = $k AND owner_id = $o"
                : """
                  INSERT INTO cc_gap_due (owner_kind, owner_id, shard, due_at) VALUES ($k, $o, $s, $d)
                  ON CONFLICT (owner_kind, owner_id) DO UPDATE SET shard = excluded.shard, due_at = excluded.due_at
                  """;
            command.Parameters.AddWithValue("$k", (int)owner.Kind);
            command.Parameters.AddWithValue("$o", owner.Id);
            if (dueAt is { } at)
            {
                command.Parameters.AddWithValue("$s", shard);
                command.Parameters.AddWithValue("$d", at.ToUnixTimeMilliseconds());
            }
            return command.ExecuteNonQuery();
        });

    public Task<IReadOnlyList<DueEntry>> ReadShardAsync(int shard, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<DueEntry>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT owner_kind, owner_id, due_at FROM cc_gap_due WHERE shard = $s";
            command.Parameters.AddWithValue("$s", shard);
            var result = new List<DueEntry>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
                result.Add(new DueEntry(new GapOwner((GapOwnerKind)reader.GetInt32(0), reader.GetString(1)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
            return result;
        }, cancellationToken);
}

/// <summary>The clock's due times in PostgreSQL (table cc_gap_due, deploy/postgres/006_care_gap_due.sql).</summary>
public sealed class PostgresGapDueStore(PostgresConnectionString database) : IGapDueStore
{
    public async Task SetAsync(int shard, GapOwner owner, DateTimeOffset? dueAt,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(dueAt is null
            ? "DELETE FROM cc_gap_due WHERE owner_kind = @k AND owner_id = @o"
            : """
              INSERT INTO cc_gap_due (owner_kind, owner_id, shard, due_at) VALUES (@k, @o, @s, @d)
              ON CONFLICT (owner_kind, owner_id) DO UPDATE SET shard = excluded.shard, due_at = excluded.due_at
              """, connection);
        command.Parameters.AddWithValue("k", (short)owner.Kind);
        command.Parameters.AddWithValue("o", owner.Id);
        if (dueAt is { } at)
        {
            command.Parameters.AddWithValue("s", shard);
            command.Parameters.AddWithValue("d", at.ToUniversalTime());
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DueEntry>> ReadShardAsync(int shard, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT owner_kind, owner_id, due_at FROM cc_gap_due WHERE shard = @s", connection);
        command.Parameters.AddWithValue("s", shard);
        var result = new List<DueEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(new DueEntry(new GapOwner((GapOwnerKind)reader.GetInt16(0), reader.GetString(1)),
                reader.GetFieldValue<DateTimeOffset>(2)));
        return result;
    }
}
