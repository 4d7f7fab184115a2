using CareCoordination.Alerts;
using Npgsql;
using NpgsqlTypes;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Alert feeds in PostgreSQL (table cc_alert, deploy/postgres/005_care_alert_feeds.sql). Connections come from
/// Npgsql's pool for the connection string, the same pool the Orleans ADO.NET providers use, so a silo holds at
/// most "Maximum Pool Size" connections in all (an NpgsqlDataSource would keep a second pool of its own).
/// </summary>
public sealed class PostgresAlertFeedStore(PostgresConnectionString database) : IAlertFeedStore
{
    public async Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Serialises appends to one feed across silos for the length of the transaction (two activations of a
        // feed can overlap briefly after a silo is declared dead); unique keys remain the last line of defence.
        await using (var lockFeed = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@f, 0))",
                         connection, tx))
        {
            lockFeed.Parameters.AddWithValue("f", feedId);
            await lockFeed.ExecuteNonQueryAsync(cancellationToken);
        }
        var existing = new HashSet<string>();
        long last;
        await using (var read = new NpgsqlCommand(
            "SELECT COALESCE((SELECT MAX(sequence) FROM cc_alert WHERE feed_id = @f), 0), "
                + "ARRAY(SELECT alert_id FROM cc_alert WHERE feed_id = @f AND alert_id = ANY(@ids))",
            connection, tx))
        {
            read.Parameters.AddWithValue("f", feedId);
            read.Parameters.AddWithValue("ids", alerts.Select(a => a.AlertId).ToArray());
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            last = reader.GetInt64(0);
            existing.UnionWith(reader.GetFieldValue<string[]>(1));
        }
        var added = new List<Alert>();
        foreach (var alert in alerts)
        {
            if (!existing.Add(alert.AlertId)) continue;
            var stored = alert with { FeedId = feedId, Sequence = last + added.Count + 1 };
            await using var insert = new NpgsqlCommand(
                "INSERT INTO cc_alert (feed_id, sequence, alert_id, payload) VALUES (@f, @s, @a, @p)", connection, tx);
            insert.Parameters.AddWithValue("f", feedId);
            insert.Parameters.AddWithValue("s", stored.Sequence);
            insert.Parameters.AddWithValue("a", stored.AlertId);
            insert.Parameters.AddWithValue("p", NpgsqlDbType.Jsonb, AlertJson.Write(stored));
            await insert.ExecuteNonQueryAsync(cancellationToken);
            added.Add(stored);
        }
        await tx.CommitAsync(cancellationToken);
        return added;
    }

    public async Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT payload::text FROM cc_alert WHERE feed_id = @f AND sequence > @s ORDER BY sequence LIMIT @m",
            connection);
        command.Parameters.AddWithValue("f", feedId);
        command.Parameters.AddWithValue("s", afterSequence);
        command.Parameters.AddWithValue("m", max);
        var result = new List<Alert>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(AlertJson.Read(reader.GetString(0)));
        return result;
    }
}

/// <summary>The silo's PostgreSQL connection string, for the project's own tables.</summary>
public sealed record PostgresConnectionString(string Value)
{
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(Value);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
