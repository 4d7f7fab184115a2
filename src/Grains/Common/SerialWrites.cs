namespace CareCoordination.Common;

/// <summary>
/// One state write at a time for a grain that lets some calls interleave (<c>[AlwaysInterleave]</c> notices):
/// two overlapping writes would present the same ETag and the second would be refused. Each write serializes the
/// state as it is when its turn comes, so a queued write also stores whatever changed while it waited.
/// </summary>
public sealed class SerialWrites
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task WriteAsync(Func<Task> write)
    {
        // Awaits resume on the grain's scheduler, so the state is only touched by one turn at a time.
        await _gate.WaitAsync();
        try { await write(); }
        finally { _gate.Release(); }
    }
}
