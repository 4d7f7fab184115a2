using CareCoordination.Alerts;
using Microsoft.Data.Sqlite;

namespace CareCoordination.Silo.Storage;

public sealed class SqliteAlertFeedStore(SqliteDatabase database) : IAlertFeedStore
{
    public async Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // IMMEDIATE takes the write lock up front, so reading the last sequence and inserting after it is atomic.
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
        var last = await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(sequence), 0) FROM cc_alert WHERE feed_id = $f", feedId, cancellationToken);
        var added = new List<Alert>();
        foreach (var alert in alerts)
        {
            var exists = await ScalarAsync(connection, tx, "SELECT COUNT(*) FROM cc_alert WHERE feed_id = $f AND alert_id = $a", feedId, cancellationToken, alert.AlertId);
            if (exists > 0 || added.Any(a => a.AlertId == alert.AlertId)) continue;
            var stored = alert with { FeedId = feedId, Sequence = last + added.Count + 1 };
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO cc_alert (feed_id, sequence, alert_id, payload, stored_at) VALUES ($f, $s, $a, $p, $t)";
            insert.Parameters.AddWithValue("$f", feedId);
            insert.Parameters.AddWithValue("$s", stored.Sequence);
            insert.Parameters.AddWithValue("$a", stored.AlertId);
            insert.Parameters.AddWithValue("$p", AlertJson.Write(stored));
            insert.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
            await insert.ExecuteNonQueryAsync(cancellationToken);
            added.Add(stored);
        }
        await tx.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM cc_alert WHERE feed_id = $f AND sequence > $s ORDER BY sequence LIMIT $m";
        command.Parameters.AddWithValue("$f", feedId);
        command.Parameters.AddWithValue("$s", afterSequence);
        command.Parameters.AddWithValue("$m", max);
        var result = new List<Alert>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(AlertJson.Read(reader.GetString(0)));
        return result;
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, SqliteTransaction tx, string sql, string feedId, CancellationToken ct, string? alertId = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$f", feedId);
        if (alertId is not null) command.Parameters.AddWithValue("$a", alertId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}
