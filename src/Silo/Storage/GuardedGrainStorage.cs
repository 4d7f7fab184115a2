using CareCoordination.Common;
using Orleans.Runtime;
using Orleans.Storage;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Wraps a grain storage provider so a database failure surfaces as <see cref="StorageUnavailableException"/>:
/// also when Orleans itself reads state while activating a grain, where our grain code never sees the error.
/// Driver exceptions (Npgsql's) do not survive Orleans serialization, which would otherwise reach the caller as
/// an unexplained serialization error instead of a retryable UNAVAILABLE.
/// </summary>
public sealed class GuardedGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Guard(() => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Guard(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Guard(() => inner.ClearStateAsync(stateName, grainId, grainState));

    public void Participate(ISiloLifecycle lifecycle) =>
        (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private static async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (InconsistentStateException)
        {
            throw; // an etag conflict is a real answer, not an outage
        }
        catch (Exception ex) when (ex is not StorageUnavailableException)
        {
            throw new StorageUnavailableException(ex.GetType().Name);
        }
    }
}
