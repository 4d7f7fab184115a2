using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Grain state in the embedded SQLite file. Orleans ships no SQLite provider, so this small one is ours:
/// a row per (state name, grain id), Orleans' own version-tolerant binary serialization, and an etag checked
/// on every write so a stale activation can never overwrite newer state.
/// </summary>
public sealed class SqliteGrainStorage(SqliteDatabase database, Serializer serializer) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, payload FROM grain_state WHERE state_name = $s AND grain_id = $g";
        command.Parameters.AddWithValue("$s", stateName);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = reader.GetString(0);
        grainState.State = serializer.Deserialize<T>((byte[])reader.GetValue(1));
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Guid.NewGuid().ToString("N");
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = grainState.ETag is null
            ? "INSERT INTO grain_state (state_name, grain_id, etag, payload, updated_at) VALUES ($s, $g, $new, $p, $t) ON CONFLICT DO NOTHING"
            : "UPDATE grain_state SET etag = $new, payload = $p, updated_at = $t WHERE state_name = $s AND grain_id = $g AND etag = $old";
        command.Parameters.AddWithValue("$s", stateName);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        command.Parameters.AddWithValue("$new", etag);
        command.Parameters.AddWithValue("$old", (object?)grainState.ETag ?? DBNull.Value);
        command.Parameters.AddWithValue("$p", serializer.SerializeToArray(grainState.State));
        command.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
        if (await command.ExecuteNonQueryAsync() != 1)
            throw new InconsistentStateException($"State {stateName} of {grainId} was changed by another writer", grainState.ETag, "unknown");
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM grain_state WHERE state_name = $s AND grain_id = $g AND etag = $old";
        command.Parameters.AddWithValue("$s", stateName);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        command.Parameters.AddWithValue("$old", (object?)grainState.ETag ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }
}
