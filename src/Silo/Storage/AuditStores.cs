using System.Data.Common;
using CareCoordination.Audit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CareCoordination.Silo.Storage;

/// <summary>The audit trail in process memory: for tests and the in-memory mode only.</summary>
public sealed class MemoryAuditStore : IAuditStore
{
    private readonly List<AuditRecord> _records = [];

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        // Like the database stores, no check of continuity here: finding a gap is the hash chain's job.
        lock (_records) _records.AddRange(records);
        return Task.CompletedTask;
    }

    public Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default)
    {
        lock (_records) return Task.FromResult(_records.Count == 0 ? null : _records[^1]);
    }

    public Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default)
    {
        lock (_records)
            return Task.FromResult<IReadOnlyList<AuditRecord>>(_records
                .Where(r => r.Sequence > afterSequence && (clientId is null || r.Entry.ClientId == clientId)).Take(max).ToList());
    }

    /// <summary>For tests of tamper detection: what someone with access to the storage could do.</summary>
    internal void Tamper(Action<List<AuditRecord>> change)
    {
        lock (_records) change(_records);
    }
}

/// <summary>Rows of cc_audit, the same in SQLite and PostgreSQL.</summary>
internal static class AuditRows
{
    public const string Columns = "sequence, at, actor, on_behalf_of, organisation, roles, action, object_kind, object_id, " +
                                  "client_id, purpose, outcome, trace_id, previous_hash, hash";

    public static string Select(char prefix, string? clientId) =>
        $"SELECT {Columns} FROM cc_audit WHERE sequence > {prefix}after" +
        (clientId is null ? "" : $" AND client_id = {prefix}client") + $" ORDER BY sequence LIMIT {prefix}max";

    public static object?[] Values(AuditRecord r, Func<DateTimeOffset, object> time) =>
    [
        r.Sequence, time(r.Entry.At), r.Entry.Actor, r.Entry.OnBehalfOf, r.Entry.Organisation, r.Entry.Roles, r.Entry.Action,
        r.Entry.ObjectKind, r.Entry.ObjectId, r.Entry.ClientId, r.Entry.Purpose, r.Entry.Outcome, r.Entry.TraceId,
        r.PreviousHash, r.Hash,
    ];

    public static AuditRecord Read(DbDataReader row, Func<DbDataReader, int, DateTimeOffset> time) =>
        new(row.GetInt64(0),
            new AuditEntry(time(row, 1), row.GetString(2), row.IsDBNull(3) ? null : row.GetString(3), row.GetString(4),
                row.GetString(5), row.GetString(6), row.GetString(7), row.GetString(8), row.IsDBNull(9) ? null : row.GetString(9),
                row.GetString(10), row.GetString(11), row.GetString(12)),
            row.GetString(13), row.GetString(14));
}

/// <summary>The audit trail in the embedded mode's audit file (table cc_audit, <see cref="SqliteDatabase.Audit"/>).</summary>
public sealed class SqliteAuditStore(SqliteDatabase database) : IAuditStore
{
    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        // One statement, prepared once and run per record of the batch.
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = $"INSERT INTO cc_audit ({AuditRows.Columns}) VALUES ({string.Join(", ", Enumerable.Range(0, 15).Select(i => $"$p{i}"))})";
        for (var i = 0; i < 15; i++) insert.Parameters.Add(new SqliteParameter($"$p{i}", null));
        foreach (var record in records)
        {
            var values = AuditRows.Values(record, at => at.UtcTicks);
            for (var i = 0; i < values.Length; i++) insert.Parameters[i].Value = values[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {AuditRows.Columns} FROM cc_audit ORDER BY sequence DESC LIMIT 1", _ => { }, cancellationToken))
        .SingleOrDefault();

    public Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default) =>
        QueryAsync(AuditRows.Select('$', clientId), p =>
        {
            p.AddWithValue("$after", afterSequence);
            p.AddWithValue("$max", max);
            if (clientId is not null) p.AddWithValue("$client", clientId);
        }, cancellationToken);

    private async Task<IReadOnlyList<AuditRecord>> QueryAsync(string sql, Action<SqliteParameterCollection> parameters,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        parameters(command.Parameters);
        var result = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(AuditRows.Read(reader, (row, i) => new DateTimeOffset(row.GetInt64(i), TimeSpan.Zero)));
        return result;
    }
}

/// <summary>The audit trail in PostgreSQL (table cc_audit, deploy/postgres/007_audit_trail.sql).</summary>
public sealed class PostgresAuditStore(PostgresConnectionString database) : IAuditStore
{
    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One round trip for the batch: a binary COPY into the table, committed as one transaction.
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY cc_audit ({AuditRows.Columns}) FROM STDIN (FORMAT BINARY)",
                         cancellationToken))
        {
            foreach (var record in records)
            {
                await copy.StartRowAsync(cancellationToken);
                foreach (var value in AuditRows.Values(record, at => at.ToUniversalTime()))
                    await copy.WriteAsync(value, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {AuditRows.Columns} FROM cc_audit ORDER BY sequence DESC LIMIT 1", _ => { }, cancellationToken))
        .SingleOrDefault();

    public Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default) =>
        QueryAsync(AuditRows.Select('@', clientId), p =>
        {
            p.AddWithValue("after", afterSequence);
            p.AddWithValue("max", max);
            if (clientId is not null) p.AddWithValue("client", clientId);
        }, cancellationToken);

    private async Task<IReadOnlyList<AuditRecord>> QueryAsync(string sql, Action<NpgsqlParameterCollection> parameters,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        parameters(command.Parameters);
        var result = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            result.Add(AuditRows.Read(reader, (row, i) => row.GetFieldValue<DateTimeOffset>(i)));
        return result;
    }
}
