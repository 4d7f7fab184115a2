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
                .Where(r => r.Sequence > afterSequence && (clientId is null || r.Entry.ClientId == clientId))
                .Take(max).ToList());
    }

    /// <summary>For tests of tamper detection: what someone with access to the storage could do.</summary>
    internal void Tamper(Action<List<AuditRecord>> change)
    {
        lock (_records) change(_records);
    }
}

/// <summary>
/// The audit trail in a database table cc_audit, the same in SQLite and PostgreSQL: reading is shared, each database
/// writes a batch its own fastest way.
/// </summary>
public abstract class DbAuditStore : IAuditStore
{
    protected const string Columns = "sequence, at, actor, on_behalf_of, organisation, roles, action, " +
                                     "object_kind, object_id, client_id, purpose, outcome, trace_id, " +
                                     "previous_hash, hash";

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>How the database takes and gives back a time: SQLite as UTC ticks, PostgreSQL as timestamptz.</summary>
    protected abstract object Time(DateTimeOffset at);

    protected abstract DateTimeOffset Time(DbDataReader row, int column);

    public abstract Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);

    public async Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns} FROM cc_audit ORDER BY sequence DESC LIMIT 1", [], cancellationToken))
            .SingleOrDefault();

    public Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM cc_audit WHERE sequence > @after" +
                   (clientId is null ? "" : " AND client_id = @client") +
                   " ORDER BY sequence LIMIT @max",
            clientId is null
                ? [("after", afterSequence), ("max", max)]
                : [("after", afterSequence), ("max", max), ("client", clientId)],
            cancellationToken);

    /// <summary>A record's column values, in <see cref="Columns"/> order.</summary>
    protected object?[] Values(AuditRecord r) =>
    [
        r.Sequence, Time(r.Entry.At), r.Entry.Actor, r.Entry.OnBehalfOf, r.Entry.Organisation, r.Entry.Roles,
        r.Entry.Action, r.Entry.ObjectKind, r.Entry.ObjectId, r.Entry.ClientId, r.Entry.Purpose, r.Entry.Outcome,
        r.Entry.TraceId, r.PreviousHash, r.Hash,
    ];

    /// <summary>
    /// Where a read runs: on the caller by default; SQLite's blocking driver runs it off the caller's thread.
    /// </summary>
    protected virtual Task<T> RunAsync<T>(Func<Task<T>> read) => read();

    private Task<IReadOnlyList<AuditRecord>> QueryAsync(string sql, (string Name, object Value)[] parameters,
        CancellationToken cancellationToken) =>
        RunAsync(() => ReadRowsAsync(sql, parameters, cancellationToken));

    private async Task<IReadOnlyList<AuditRecord>> ReadRowsAsync(string sql, (string Name, object Value)[] parameters,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        var result = new List<AuditRecord>();
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        while (await row.ReadAsync(cancellationToken))
            result.Add(new AuditRecord(row.GetInt64(0),
                new AuditEntry(Time(row, 1), row.GetString(2), row.IsDBNull(3) ? null : row.GetString(3),
                    row.GetString(4), row.GetString(5), row.GetString(6), row.GetString(7), row.GetString(8),
                    row.IsDBNull(9) ? null : row.GetString(9), row.GetString(10), row.GetString(11),
                    row.GetString(12)),
                row.GetString(13), row.GetString(14)));
        return result;
    }
}

/// <summary>The audit trail in the embedded mode's audit file (table cc_audit,
/// <see cref="SqliteDatabase.Audit"/>).</summary>
public sealed class SqliteAuditStore(SqliteDatabase database) : DbAuditStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await database.OpenAsync(cancellationToken);

    // Microsoft.Data.Sqlite's async calls run synchronously: on the thread pool, they never hold an Orleans scheduler
    // thread (the audit trail grain reads here at activation, for queries and for verification).
    protected override Task<T> RunAsync<T>(Func<Task<T>> read) => Task.Run(read);

    protected override object Time(DateTimeOffset at) => at.UtcTicks;

    protected override DateTimeOffset Time(DbDataReader row, int column) => new(row.GetInt64(column), TimeSpan.Zero);

    public override Task AppendAsync(IReadOnlyList<AuditRecord> records,
        CancellationToken cancellationToken = default) =>
        // Through the audit file's own group commit: one statement, prepared once and run per record.
        database.WriteAsync((connection, tx) =>
        {
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO cc_audit ({Columns}) " +
                                 $"VALUES ({string.Join(", ", Enumerable.Range(0, 15).Select(i => $"$p{i}"))})";
            for (var i = 0; i < 15; i++) insert.Parameters.Add(new SqliteParameter($"$p{i}", null));
            foreach (var record in records)
            {
                var values = Values(record);
                for (var i = 0; i < values.Length; i++) insert.Parameters[i].Value = values[i] ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }
            return records.Count;
        });
}

/// <summary>The audit trail in PostgreSQL (table cc_audit, deploy/postgres/007_audit_trail.sql).</summary>
public sealed class PostgresAuditStore(PostgresConnectionString database) : DbAuditStore
{
    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await database.OpenAsync(cancellationToken);

    protected override object Time(DateTimeOffset at) => at.ToUniversalTime();

    protected override DateTimeOffset Time(DbDataReader row, int column) => row.GetFieldValue<DateTimeOffset>(column);

    public override async Task AppendAsync(IReadOnlyList<AuditRecord> records,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One round trip for the batch: a binary COPY into the table, committed as one transaction.
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var copy = await connection.BeginBinaryImportAsync(
                         $"COPY cc_audit ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var record in records)
            {
                await copy.StartRowAsync(cancellationToken);
                foreach (var value in Values(record)) await copy.WriteAsync(value, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }
}
