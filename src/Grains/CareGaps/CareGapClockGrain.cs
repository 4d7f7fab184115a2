using CareCoordination.Alerts;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Programs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace CareCoordination.CareGaps;

/// <summary>Grains that hold gaps and want to be woken when the next one comes due.</summary>
[Alias("cc.ICareGapOwner")]
public interface ICareGapOwner : IGrainWithStringKey
{
    /// <summary>Re-evaluates gaps against the clock and re-registers the next due time with the clock.</summary>
    [Alias("Wake")]
    Task WakeAsync();

    [Alias("OpenGaps")]
    Task<IReadOnlyList<OpenGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default);

    /// <summary>A worker takes the gap: stops escalation and tells the feed who is on it.</summary>
    [Alias("Acknowledge")]
    Task<OpenGap> AcknowledgeGapAsync(Common.WriteRequest request, string gapId, string actor,
        CancellationToken cancellationToken = default);

    /// <summary>A worker declares the gap dealt with; it closes and this occurrence does not reopen.</summary>
    [Alias("Resolve")]
    Task<OpenGap> ResolveGapAsync(Common.WriteRequest request, string gapId, string actor,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// One shard of the care-gap clock: "wake owner X at time T" for the owners that hash to it. Owners register
/// their next due time whenever it changes (one row in <see cref="IGapDueStore"/>); the shard keeps its entries
/// in memory ordered by due time and every tick wakes only the owners that are due. A tick costs the owners
/// coming due and a registration one row, not the number of clients; a reminder and the silo's start-up bring
/// the shard back after a restart, reading its rows once.
/// </summary>
[Alias("cc.ICareGapClockGrain")]
public interface ICareGapClockGrain : IGrainWithIntegerKey
{
    /// <summary>Sets (or with null clears) when <paramref name="owner"/> must next be woken. Idempotent.</summary>
    [Alias("SetDue")]
    Task SetDueAsync(GapOwner owner, DateTimeOffset? dueAt);

    [Alias("Pending")]
    Task<int> PendingCountAsync();
}

/// <summary>
/// An owner's registration with its clock shard, remembering what it last said: most writes leave the next due
/// time unchanged and then cost no call to the clock.
/// </summary>
public sealed class DueRegistration(IGrainFactory grains, GapOwner owner, int shards)
{
    private (bool Known, DateTimeOffset? Due) _told;

    public async Task SetAsync(DateTimeOffset? due)
    {
        if (_told == (true, due)) return;
        await CareGapClockGrain.For(grains, owner, shards).SetDueAsync(owner, due);
        _told = (true, due);
    }

    /// <summary>The next <see cref="SetAsync"/> calls the clock whatever it holds (it answers a wake).</summary>
    public void Forget() => _told = default;
}

/// <summary>An owner and when it is next due.</summary>
[GenerateSerializer, Alias("cc.due-entry")]
public sealed record DueEntry([property: Id(0)] GapOwner Owner, [property: Id(1)] DateTimeOffset DueAt);

[GrainType("care-gap-clock")]
public sealed class CareGapClockGrain(
    IGapDueStore store,
    CareClock time,
    IOptions<CareGapOptions> options,
    ILogger<CareGapClockGrain> logger) : Grain, ICareGapClockGrain, IRemindable
{
    // A wake that fails (owner's silo died) is retried after this long.
    private static readonly TimeSpan WakeRetry = TimeSpan.FromMinutes(1);
    // What the store holds for this shard, and the same ordered by due time so a tick looks only at what is due.
    // A woken owner is re-queued (in memory only) at now + WakeRetry until it answers with its next due time.
    private readonly Dictionary<string, DueEntry> _entries = new();
    private readonly SortedSet<(DateTimeOffset At, string Key)> _queue = new();
    private readonly Dictionary<string, DateTimeOffset> _queuedAt = new();
    private bool _reminderChecked;

    private int ShardNumber => (int)this.GetPrimaryKeyLong();

    public static ICareGapClockGrain For(IGrainFactory grains, GapOwner owner, int shards) =>
        grains.Ref<ICareGapClockGrain>(Shard(owner.ToString(), shards));

    /// <summary>Stable across processes (string.GetHashCode is randomized per process).</summary>
    public static int Shard(string key, int shards)
    {
        uint hash = 2166136261;
        foreach (var ch in key) hash = (hash ^ ch) * 16777619;
        return (int)(hash % (uint)Math.Max(shards, 1));
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions
        {
            DueTime = options.Value.ClockTick,
            Period = options.Value.ClockTick,
            KeepAlive = true,
        });
        var rows = await StateWrites.GuardAsync(() => store.ReadShardAsync(ShardNumber, cancellationToken));
        foreach (var entry in rows)
        {
            _entries[entry.Owner.ToString()] = entry;
            Enqueue(entry.Owner.ToString(), entry.DueAt);
        }
        if (_entries.Count > 0) await EnsureReminderAsync();
    }

    public async Task SetDueAsync(GapOwner owner, DateTimeOffset? dueAt)
    {
        var key = owner.ToString();
        var known = _entries.TryGetValue(key, out var existing);
        if (dueAt is null ? !known : known && existing!.DueAt == dueAt)
        {
            // Unchanged in the store; a woken owner answering with the same time is queued again all the same.
            if (dueAt is { } same) Enqueue(key, same);
            return;
        }
        // The store first: memory never promises a wake-up that a restart would forget.
        await StateWrites.GuardAsync(() => store.SetAsync(ShardNumber, owner, dueAt));
        if (dueAt is { } at)
        {
            _entries[key] = new DueEntry(owner, at);
            Enqueue(key, at);
            await EnsureReminderAsync();
        }
        else
        {
            _entries.Remove(key);
            Dequeue(key);
        }
        // Something due already (e.g. an alert waiting to be delivered): do not wait for the next tick.
        if (dueAt <= time.GetUtcNow()) await TickAsync(CancellationToken.None);
    }

    public Task<int> PendingCountAsync() => Task.FromResult(_entries.Count);

    private Task TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        while (_queue.Count > 0 && _queue.Min.At <= now)
        {
            var key = _queue.Min.Key;
            if (!_entries.TryGetValue(key, out var entry))
            {
                Dequeue(key);
                continue;
            }
            if (Shard(key, options.Value.ClockShards) != ShardNumber)
            {
                // The number of shards changed: woken once here, the owner registers with its new shard.
                _entries.Remove(key);
                Dequeue(key);
            }
            else
            {
                Enqueue(key, now + WakeRetry);
            }
            CareTelemetry.Woken(entry.Owner.Kind.ToString(), now - entry.DueAt);
            // Not awaited: the owner answers by calling SetDueAsync, which this grain must be free to take.
            _ = WakeAsync(entry.Owner);
        }
        return Task.CompletedTask;
    }

    private void Enqueue(string key, DateTimeOffset at)
    {
        Dequeue(key);
        _queue.Add((at, key));
        _queuedAt[key] = at;
    }

    private void Dequeue(string key)
    {
        if (_queuedAt.Remove(key, out var at)) _queue.Remove((at, key));
    }

    private async Task WakeAsync(GapOwner owner)
    {
        // A root span per wake: the clock acts on its own, not as part of any caller's trace.
        using var activity = CareTelemetry.Source.StartActivity("care-clock wake",
            System.Diagnostics.ActivityKind.Internal, parentContext: default);
        activity?.SetTag("owner.kind", owner.Kind.ToString());
        try
        {
            ICareGapOwner target = owner.Kind == GapOwnerKind.Client
                ? GrainFactory.Ref<IClientGrain>(owner.Id)
                : GrainFactory.Ref<IProgramGrain>(owner.Id);
            await target.WakeAsync();
        }
        catch (Exception ex)
        {
            // The type only: exception messages may quote data.
            logger.LogWarning("Waking {OwnerKind} for due care gaps failed with {ExceptionType}; retrying in {Retry}",
                owner.Kind, ex.GetType().Name, WakeRetry);
        }
    }

    // The reminder only brings the shard back after a restart or a silo loss; the timer does the ticking.
    private async Task EnsureReminderAsync()
    {
        if (_reminderChecked) return;
        if (await this.GetReminder("wake") is null)
            await this.RegisterOrUpdateReminder("wake", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
        _reminderChecked = true;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
