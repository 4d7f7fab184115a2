using Orleans.Runtime;

namespace CareCoordination.Common;

/// <summary>
/// Storage refused or could not be reached: nothing was acknowledged and the caller should retry with the same
/// request id. Replaces the driver's own exception at the grain boundary, because driver exceptions (Npgsql,
/// SQLite) do not always survive Orleans serialization, and their messages may quote the data being written.
/// </summary>
[GenerateSerializer, Alias("cc.storage-unavailable")]
public sealed class StorageUnavailableException(string cause)
    : Exception($"storage unavailable ({cause}); retry with the same request_id")
{
    [Id(0)] public string Cause { get; init; } = cause;
}

public static class StateWrites
{
    /// <summary>
    /// Writes grain state. If the write fails the activation is dropped, so memory never runs ahead of storage
    /// (the next call reloads what was really stored), and the failure surfaces as
    /// <see cref="StorageUnavailableException"/>.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, Action deactivate)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not CareCoordinationException)
        {
            deactivate();
            if (ex is StorageUnavailableException) throw;
            throw new StorageUnavailableException(ex.GetType().Name);
        }
    }

    /// <summary>Runs a storage operation, turning a driver failure into
    /// <see cref="StorageUnavailableException"/>.</summary>
    public static Task GuardAsync(Func<Task> operation) => GuardAsync(async () => { await operation(); return true; });

    /// <inheritdoc cref="GuardAsync(Func{Task})"/>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (ex is not (CareCoordinationException or OperationCanceledException))
        {
            throw new StorageUnavailableException(ex.GetType().Name);
        }
    }
}
