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
    Task<OpenGap> AcknowledgeGapAsync(Common.WriteRequest request, string gapId, string actor, CancellationToken cancellationToken = default);

    /// <summary>A worker declares the gap dealt with; it closes and this occurrence does not reopen.</summary>
    [Alias("Resolve")]
    Task<OpenGap> ResolveGapAsync(Common.WriteRequest request, string gapId, string actor, CancellationToken cancellationToken = default);
}

/// <summary>
/// One shard of the care-gap clock: a durable index of "wake owner X at time T". Owners register their next due
/// time whenever it changes; the shard looks at its earliest entry every tick and wakes only the owners that
/// are due. The cost of the clock grows with the gaps coming due, not with the number of clients, and the
/// index survives restarts because it is grain state and a reminder brings the shard back.
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

[GenerateSerializer, Alias("cc.clock-state")]
public sealed class CareGapClockState
{
    /// <summary>Owner ("client/x", "program/y") → when it is next due.</summary>
    [Id(0)] public Dictionary<string, DueEntry> Entries { get; set; } = new();
}

[GenerateSerializer, Alias("cc.due-entry")]
public sealed record DueEntry([property: Id(0)] GapOwner Owner, [property: Id(1)] DateTimeOffset DueAt);

[GrainType("care-gap-clock")]
public sealed class CareGapClockGrain(
    [PersistentState("clock", "state")] IPersistentState<CareGapClockState> clock,
    CareClock time,
    IOptions<CareGapOptions> options,
    ILogger<CareGapClockGrain> logger) : Grain, ICareGapClockGrain, IRemindable
{
    // A wake that fails (owner's silo died) is retried after this long.
    private static readonly TimeSpan WakeRetry = TimeSpan.FromMinutes(1);
    // In memory, ordered by due time: a tick looks only at what is due. A woken owner is re-queued at
    // now + WakeRetry until it answers with its next due time (or the wake is retried).
    private readonly SortedSet<(DateTimeOffset At, string Key)> _queue = new();
    private readonly Dictionary<string, DateTimeOffset> _queuedAt = new();
    private bool _reminderChecked;

    public static ICareGapClockGrain For(IGrainFactory grains, GapOwner owner, int shards) =>
        grains.GetGrain<ICareGapClockGrain>(Shard(owner.ToString(), shards));

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
        foreach (var (key, entry) in clock.State.Entries) Enqueue(key, entry.DueAt);
        if (clock.State.Entries.Count > 0) await EnsureReminderAsync();
    }

    public async Task SetDueAsync(GapOwner owner, DateTimeOffset? dueAt)
    {
        var key = owner.ToString();
        if (dueAt is null)
        {
            Dequeue(key);
            if (!clock.State.Entries.Remove(key)) return;
        }
        else
        {
            Enqueue(key, dueAt.Value);
            if (clock.State.Entries.TryGetValue(key, out var existing) && existing.DueAt == dueAt) return;
            clock.State.Entries[key] = new DueEntry(owner, dueAt.Value);
        }
        await clock.WriteOrDeactivateAsync(DeactivateOnIdle);
        if (clock.State.Entries.Count > 0) await EnsureReminderAsync();
        // Something due already (e.g. an alert waiting to be delivered): do not wait for the next tick.
        if (dueAt <= time.GetUtcNow()) await TickAsync(CancellationToken.None);
    }

    public Task<int> PendingCountAsync() => Task.FromResult(clock.State.Entries.Count);

    private Task TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        while (_queue.Count > 0 && _queue.Min.At <= now)
        {
            var key = _queue.Min.Key;
            Enqueue(key, now + WakeRetry);
            // Not awaited: the owner answers by calling SetDueAsync, which this grain must be free to take.
            if (clock.State.Entries.TryGetValue(key, out var entry)) _ = WakeAsync(entry.Owner);
            else Dequeue(key);
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
        try
        {
            ICareGapOwner target = owner.Kind == GapOwnerKind.Client
                ? GrainFactory.GetGrain<IClientGrain>(owner.Id)
                : GrainFactory.GetGrain<IProgramGrain>(owner.Id);
            await target.WakeAsync();
        }
        catch (Exception ex)
        {
            // The type only: exception messages may quote data.
            logger.LogWarning("Waking {OwnerKind} for due care gaps failed with {ExceptionType}; retrying in {Retry}", owner.Kind, ex.GetType().Name, WakeRetry);
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
