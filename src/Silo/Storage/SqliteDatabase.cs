using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// The embedded mode's local database file. Its schema is versioned like the PostgreSQL one: each numbered
/// step runs once, in order, recorded in cc_schema_version.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private static readonly (int Version, string Name, string Sql)[] Migrations =
    [
        (1, "grain state and alert feeds", """
            CREATE TABLE grain_state (
                state_name TEXT NOT NULL,
                grain_id   TEXT NOT NULL,
                etag       TEXT NOT NULL,
                payload    BLOB NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (state_name, grain_id)
            );
            CREATE TABLE cc_alert (
                feed_id   TEXT    NOT NULL,
                sequence  INTEGER NOT NULL,
                alert_id  TEXT    NOT NULL,
                payload   TEXT    NOT NULL,
                stored_at TEXT    NOT NULL,
                PRIMARY KEY (feed_id, sequence),
                UNIQUE (feed_id, alert_id)
            );
            """),
        (2, "care-gap clock index, one row per owner", """
            CREATE TABLE cc_gap_due (
                owner_kind INTEGER NOT NULL,
                owner_id   TEXT    NOT NULL,
                shard      INTEGER NOT NULL,
                due_at     INTEGER NOT NULL, -- Unix milliseconds, UTC
                PRIMARY KEY (owner_kind, owner_id)
            );
            CREATE INDEX cc_gap_due_shard ON cc_gap_due (shard);
            """),
        (3, "filed history: timelines and answered requests", """
            CREATE TABLE cc_history (
                owner   TEXT NOT NULL,
                log     TEXT NOT NULL,
                key     TEXT NOT NULL,
                payload BLOB NOT NULL,
                PRIMARY KEY (owner, log, key)
            ) WITHOUT ROWID;
            """),
    ];

    /// <summary>
    /// The audit trail has a file of its own beside the main one: its batches then commit without waiting on the
    /// lock of grain-state writes, and theirs without waiting on it (SQLite has one writer per file).
    /// </summary>
    private static readonly (int Version, string Name, string Sql)[] AuditMigrations =
    [
        (1, "audit trail, append-only and hash-chained", """
            CREATE TABLE cc_audit (
                sequence      INTEGER PRIMARY KEY,
                at            INTEGER NOT NULL, -- UTC ticks
                actor         TEXT    NOT NULL,
                on_behalf_of  TEXT,
                organisation  TEXT    NOT NULL,
                roles         TEXT    NOT NULL,
                action        TEXT    NOT NULL,
                object_kind   TEXT    NOT NULL,
                object_id     TEXT    NOT NULL,
                client_id     TEXT,
                purpose       TEXT    NOT NULL,
                outcome       TEXT    NOT NULL,
                trace_id      TEXT    NOT NULL,
                previous_hash TEXT    NOT NULL,
                hash          TEXT    NOT NULL
            );
            CREATE INDEX cc_audit_client ON cc_audit (client_id, sequence) WHERE client_id IS NOT NULL;
            CREATE TRIGGER cc_audit_no_update BEFORE UPDATE ON cc_audit BEGIN SELECT RAISE(ABORT, 'cc_audit is append-only'); END;
            CREATE TRIGGER cc_audit_no_delete BEFORE DELETE ON cc_audit BEGIN SELECT RAISE(ABORT, 'cc_audit is append-only'); END;
            """),
    ];

    private readonly string _connectionString;
    private readonly BlockingCollection<Write> _writes = new();
    private readonly Lazy<Thread> _writer;

    public SqliteDatabase(string path) : this(path, Migrations)
    {
    }

    /// <summary>The audit trail's file, beside the main database: "care.db" keeps its trail in
    /// "care.audit.db".</summary>
    public static SqliteDatabase Audit(string mainPath) =>
        new(Path.ChangeExtension(mainPath, null) + ".audit" + Path.GetExtension(mainPath), AuditMigrations);

    private SqliteDatabase(string path, (int Version, string Name, string Sql)[] migrations)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 30,
        }.ToString();
        Migrate(migrations);
        _writer = new Lazy<Thread>(() =>
        {
            var thread = new Thread(WriteLoop)
                { IsBackground = true, Name = "sqlite-writer " + Path.GetFileName(full) };
            thread.Start();
            return thread;
        });
    }

    /// <summary>
    /// Runs a write in the next group commit: every write queued while the previous commit was on disk goes into one
    /// transaction and one fsync, each under a savepoint of its own, so a write that throws (an etag conflict) undoes
    /// only itself. The task completes once the transaction holding the write is durable; if the commit fails, every
    /// write in it fails. The work runs on this file's writer thread, never on the caller's (an Orleans scheduler
    /// thread), and must not begin a transaction of its own: commands take the one given.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var write = new Write<T>(work);
        _ = _writer.Value;
        try { _writes.Add(write); }
        catch (InvalidOperationException)
        {
            write.Fail(new ObjectDisposedException("the embedded database is closed: the silo is stopping"));
        }
        return write.Task;
    }

    /// <summary>A read on a pooled connection of its own, on the thread pool: WAL lets it run beside the
    /// writer.</summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return work(connection);
        }, cancellationToken);

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // FULL: a write acknowledged to a caller is on disk, also across a power cut.
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Stops taking writes and lets the queued ones commit.</summary>
    public void Dispose()
    {
        _writes.CompleteAdding();
        if (_writer.IsValueCreated) _writer.Value.Join(TimeSpan.FromSeconds(30));
    }

    private const int MaxGroup = 512;

    private void WriteLoop()
    {
        SqliteConnection? connection = null;
        var group = new List<Write>(MaxGroup);
        var done = new List<Write>(MaxGroup);
        foreach (var first in _writes.GetConsumingEnumerable())
        {
            group.Add(first);
            while (group.Count < MaxGroup && _writes.TryTake(out var next)) group.Add(next);
            try
            {
                connection ??= OpenAsync().GetAwaiter().GetResult();
                using var tx = connection.BeginTransaction(deferred: false);
                for (var i = 0; i < group.Count; i++)
                {
                    tx.Save("w");
                    try
                    {
                        group[i].Run(connection, tx);
                        tx.Release("w");
                        done.Add(group[i]);
                    }
                    catch (Exception ex)
                        when (ex is not SqliteException { SqliteErrorCode: 10 or 13 }) // not I/O error, disk full
                    {
                        tx.Rollback("w");
                        tx.Release("w");
                        group[i].Fail(ex);
                    }
                }
                tx.Commit();
                foreach (var write in done) write.Complete();
            }
            catch (Exception ex)
            {
                // The transaction did not commit: nothing of it is stored, so every write still waiting fails.
                foreach (var write in group) write.Fail(ex);
                connection?.Dispose();
                connection = null;
            }
            group.Clear();
            done.Clear();
        }
        connection?.Dispose();
    }

    private abstract class Write
    {
        public abstract void Run(SqliteConnection connection, SqliteTransaction tx);
        public abstract void Complete();
        public abstract void Fail(Exception error);
    }

    private sealed class Write<T>(Func<SqliteConnection, SqliteTransaction, T> work) : Write
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;
        public override void Run(SqliteConnection connection, SqliteTransaction tx) => _result = work(connection, tx);
        public override void Complete() => _done.TrySetResult(_result);
        public override void Fail(Exception error) => _done.TrySetException(error);
    }

    private void Migrate((int Version, string Name, string Sql)[] migrations)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS cc_schema_version "
            + "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);");
        foreach (var (version, name, sql) in migrations)
        {
            using var tx = connection.BeginTransaction();
            using var check = connection.CreateCommand();
            check.Transaction = tx;
            check.CommandText = "SELECT COUNT(*) FROM cc_schema_version WHERE version = $v";
            check.Parameters.AddWithValue("$v", version);
            if (Convert.ToInt64(check.ExecuteScalar()) > 0) continue;
            Execute(connection, tx, sql);
            using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = "INSERT INTO cc_schema_version (version, name, applied_at) VALUES ($v, $n, $t)";
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$n", name);
            record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
            record.ExecuteNonQuery();
            tx.Commit();
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
