using CareCoordination.Alerts;
using Microsoft.Data.Sqlite;

namespace CareCoordination.Silo.Storage;

/// <summary>Alert feeds in the embedded file (table cc_alert), appended through its group commit.</summary>
public sealed class SqliteAlertFeedStore(SqliteDatabase database) : IAlertFeedStore
{
    public Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts,
        CancellationToken cancellationToken = default) =>
        // The file's one writer runs this inside its transaction, so reading the last sequence and inserting after
        // it cannot interleave with another append.
        database.WriteAsync<IReadOnlyList<Alert>>((connection, tx) =>
        {
            var last = Scalar(connection, tx, "SELECT COALESCE(MAX(sequence), 0) FROM cc_alert WHERE feed_id = $f",
                feedId);
            var added = new List<Alert>();
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO cc_alert (feed_id, sequence, alert_id, payload, stored_at) "
                + "VALUES ($f, $s, $a, $p, $t)";
            foreach (var alert in alerts)
            {
                var exists = Scalar(connection, tx,
                    "SELECT COUNT(*) FROM cc_alert WHERE feed_id = $f AND alert_id = $a", feedId, alert.AlertId);
                if (exists > 0 || added.Any(a => a.AlertId == alert.AlertId)) continue;
                var stored = alert with { FeedId = feedId, Sequence = last + added.Count + 1 };
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$f", feedId);
                insert.Parameters.AddWithValue("$s", stored.Sequence);
                insert.Parameters.AddWithValue("$a", stored.AlertId);
                insert.Parameters.AddWithValue("$p", AlertJson.Write(stored));
                insert.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
                insert.ExecuteNonQuery();
                added.Add(stored);
            }
            return added;
        });

    public Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max,
        CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<Alert>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT payload FROM cc_alert WHERE feed_id = $f AND sequence > $s ORDER BY sequence LIMIT $m";
            command.Parameters.AddWithValue("$f", feedId);
            command.Parameters.AddWithValue("$s", afterSequence);
            command.Parameters.AddWithValue("$m", max);
            var result = new List<Alert>();
            using var reader = command.ExecuteReader();
            while (reader.Read()) result.Add(AlertJson.Read(reader.GetString(0)));
            return result;
        }, cancellationToken);

    private static long Scalar(SqliteConnection connection, SqliteTransaction tx, string sql, string feedId,
        string? alertId = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$f", feedId);
        if (alertId is not null) command.Parameters.AddWithValue("$a", alertId);
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
