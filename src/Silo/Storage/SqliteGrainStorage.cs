using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Grain state in the embedded SQLite file. Orleans ships no SQLite provider, so this small one is ours:
/// a row per (state name, grain id), Orleans' own version-tolerant binary serialization, and an etag checked
/// on every write so a stale activation can never overwrite newer state. Writes go through the file's group
/// commit (<see cref="SqliteDatabase.WriteAsync{T}"/>): concurrent grains share one transaction and one fsync.
/// </summary>
public sealed class SqliteGrainStorage(SqliteDatabase database, Serializer serializer) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var row = await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT etag, payload FROM grain_state WHERE state_name = $s AND grain_id = $g";
            command.Parameters.AddWithValue("$s", stateName);
            command.Parameters.AddWithValue("$g", grainId.ToString());
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? (ETag: reader.GetString(0), State: serializer.Deserialize<T>((byte[])reader.GetValue(1)))
                : default;
        });
        grainState.ETag = row.ETag;
        grainState.RecordExists = row.ETag is not null;
        if (row.ETag is not null) grainState.State = row.State;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Guid.NewGuid().ToString("N");
        var previous = grainState.ETag;
        // Serialized here, on the caller's thread, so the writer thread only runs SQL.
        var payload = serializer.SerializeToArray(grainState.State);
        var id = grainId.ToString();
        var written = await database.WriteAsync((connection, tx) =>
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = previous is null
                ? "INSERT INTO grain_state (state_name, grain_id, etag, payload, updated_at) "
                    + "VALUES ($s, $g, $new, $p, $t) ON CONFLICT DO NOTHING"
                : "UPDATE grain_state SET etag = $new, payload = $p, updated_at = $t "
                    + "WHERE state_name = $s AND grain_id = $g AND etag = $old";
            command.Parameters.AddWithValue("$s", stateName);
            command.Parameters.AddWithValue("$g", id);
            command.Parameters.AddWithValue("$new", etag);
            command.Parameters.AddWithValue("$old", (object?)previous ?? DBNull.Value);
            command.Parameters.AddWithValue("$p", payload);
            command.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
            return command.ExecuteNonQuery();
        });
        if (written != 1)
            throw new InconsistentStateException($"State {stateName} of {grainId} was changed by another writer",
                previous, "unknown");
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var previous = grainState.ETag;
        var id = grainId.ToString();
        await database.WriteAsync((connection, tx) =>
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM grain_state WHERE state_name = $s AND grain_id = $g AND etag = $old";
            command.Parameters.AddWithValue("$s", stateName);
            command.Parameters.AddWithValue("$g", id);
            command.Parameters.AddWithValue("$old", (object?)previous ?? DBNull.Value);
            return command.ExecuteNonQuery();
        });
        grainState.ETag = null;
        grainState.RecordExists = false;
    }
}
