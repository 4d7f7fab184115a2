using CareCoordination.Common;
using System.Threading.Channels;
using CareCoordination.Audit;

namespace CareCoordination.Gateway.Security;

/// <summary>
/// Writes the audit trail in batches: entries of concurrent calls that arrive while a batch is being stored go
/// together in the next one (group commit), so auditing costs one grain call and one transaction per batch, not per
/// call. A call waits until its entry is stored: an access is on record before its answer leaves.
/// </summary>
public sealed class AuditWriter : IAsyncDisposable
{
    private const int MaxBatch = 500;
    private readonly Channel<(AuditEntry Entry, TaskCompletionSource Stored)> _pending =
        Channel.CreateUnbounded<(AuditEntry, TaskCompletionSource)>(
            new UnboundedChannelOptions { SingleReader = true });
    private readonly IGrainFactory _grains;
    private readonly Task _loop;

    public AuditWriter(IGrainFactory grains)
    {
        _grains = grains;
        _loop = Task.Run(WriteLoopAsync);
    }

    public Task RecordAsync(AuditEntry entry)
    {
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite((entry, stored)))
            stored.SetException(new InvalidOperationException("the audit trail is closed: the gateway is stopping"));
        return stored.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<(AuditEntry Entry, TaskCompletionSource Stored)>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await _grains.Ref<IAuditTrailGrain>(AuditTrailGrain.Key)
                    .AppendAsync(batch.Select(b => b.Entry).ToList());
                foreach (var b in batch) b.Stored.SetResult();
            }
            catch (Exception ex)
            {
                // The calls waiting on these entries fail as UNAVAILABLE: nothing is answered unaudited.
                foreach (var b in batch) b.Stored.SetException(ex);
            }
            batch.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
    }
}
