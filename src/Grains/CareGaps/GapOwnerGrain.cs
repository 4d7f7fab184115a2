using CareCoordination.Alerts;
using CareCoordination.Common;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace CareCoordination.CareGaps;

/// <summary>
/// What a grain that owns care gaps keeps: its gaps, the alerts still to deliver, the requests it answered.
/// </summary>
public interface IGapOwnerState
{
    bool Registered { get; }
    string Region { get; }
    GapBook Gaps { get; }
    List<Alert> Outbox { get; }
    RequestLog Requests { get; }
}

/// <summary>
/// The gap-owner mechanism clients and programs share, written once: open gaps read, acknowledged and resolved by
/// workers (announced through the outbox, exactly once per request id), the clock's wake-ups, the next due time
/// registered with the clock, and the history filed beside the state. The owner supplies its commit (reconcile,
/// persist, deliver) and what a worked gap adds to its record.
/// </summary>
public abstract class GapOwnerGrain<TState>(
    IPersistentState<TState> stored,
    CareClock time,
    IOptions<CareGapOptions> options,
    IHistoryStore historyStore,
    Serializer serializer) : Grain, ICareGapOwner
    where TState : class, IGapOwnerState
{
    private DueRegistration? _due;
    // A referral's messages between a person and a program interleave with either grain's own requests (each side's
    // turn may be waiting on the other): commits can overlap, so their writes go one at a time.
    private readonly SerialWrites _commits = new();
    private GrainHistory? _history;
    private bool _deliveriesUnsaved;
    private bool _writeFailed;

    protected IPersistentState<TState> Stored => stored;
    protected TState S => stored.State;
    protected CareClock Time => time;
    protected CareGapOptions GapOptions => options.Value;
    protected abstract GapOwner Owner { get; }
    protected GrainHistory History => _history ??= new GrainHistory(historyStore, serializer, Owner.ToString());

    /// <summary>
    /// Re-evaluates gaps, persists, delivers and schedules; <paramref name="mutated"/> false writes only if needed.
    /// </summary>
    protected abstract Task CommitAsync(bool mutated = true);

    /// <summary>
    /// Writes the state; a failed write drops the activation (<see cref="StateWrites.WriteOrDeactivateAsync{T}"/>).
    /// Deliveries noted before it are saved with it.
    /// </summary>
    protected async Task WriteStateAsync()
    {
        var unsaved = _deliveriesUnsaved;
        _deliveriesUnsaved = false;
        try
        {
            await Stored.WriteOrDeactivateAsync(DeactivateOnIdle);
        }
        catch
        {
            _deliveriesUnsaved = unsaved;
            _writeFailed = true;
            throw;
        }
    }

    /// <summary>
    /// Notes that deliveries were made since the last write (alerts taken by their feeds, referrals and answers by
    /// the other side, caseload notices by teams). Their marks are written with the next change, or when the
    /// record leaves memory after idling, not at once: one write fewer on the answer's path. A crash or a shutdown
    /// before then only delivers them again, and every receiver takes a delivery once (a feed by alert id, a program
    /// by referral id, a client by version, a team by decision number). Nothing else is ever left unwritten.
    /// </summary>
    protected void DeliveriesMade() => _deliveriesUnsaved = true;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Not after a failed write: memory then holds a change the caller was told failed. Not on shutdown either:
        // storage may be going too (the in-memory store's grains are), and delivering again is harmless.
        if (_deliveriesUnsaved && !_writeFailed && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            try
            {
                await Stored.WriteStateAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Delivered again by the next activation; receivers take each delivery once.
            }
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>
    /// Writes the state (when <paramref name="write"/>) and registers the due time of one commit, one commit at a
    /// time and in the order their gaps were reconciled: each stores the state as it is when its turn comes, and the
    /// last due time the clock hears is the one computed last.
    /// </summary>
    protected Task SaveAsync(bool write, Func<Task> persist, DateTimeOffset? nextDue) =>
        _commits.WriteAsync(() => Task.WhenAll(write ? persist() : Task.CompletedTask, ScheduleAsync(nextDue)));

    /// <summary>NOT_FOUND, naming the owner's id field, unless it is registered.</summary>
    protected abstract void RequireRegistered();

    /// <summary>
    /// What a worked gap adds to the owner's own record (a client's timeline line); nothing by default.
    /// </summary>
    protected virtual void OnGapWorked(DateTimeOffset at, string kind, OpenGap gap, string actor)
    {
    }

    public Task<IReadOnlyList<OpenGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        return Task.FromResult<IReadOnlyList<OpenGap>>(S.Gaps.Open.ToList());
    }

    public Task<OpenGap> AcknowledgeGapAsync(WriteRequest request, string gapId, string actor,
        CancellationToken cancellationToken = default) =>
        WorkGapAsync(request, gapId, actor, AlertKind.Acknowledged, "gap-acknowledged",
            now => GapKeeping.Acknowledge(S.Gaps, gapId, actor, now));

    public Task<OpenGap> ResolveGapAsync(WriteRequest request, string gapId, string actor,
        CancellationToken cancellationToken = default) =>
        WorkGapAsync(request, gapId, actor, AlertKind.Resolved, "gap-resolved",
            now => GapKeeping.Resolve(S.Gaps, gapId, now));

    public async Task WakeAsync()
    {
        _due?.Forget(); // the clock waits for an answer, even an unchanged one
        if (!S.Registered)
        {
            await ScheduleAsync(null);
            return;
        }
        await CommitAsync(mutated: false);
    }

    /// <summary>Registers the next due time with the owner's clock shard (none: nothing is due).</summary>
    protected Task ScheduleAsync(DateTimeOffset? due) =>
        (_due ??= new DueRegistration(GrainFactory, Owner, GapOptions.ClockShards)).SetAsync(due);

    private async Task<OpenGap> WorkGapAsync(WriteRequest request, string gapId, string actor, AlertKind kind,
        string line, Func<DateTimeOffset, OpenGap> work)
    {
        RequireRegistered();
        // A retry answers with the gap as it stands now (acknowledged, or closed since).
        if (await History.FindAsync(S.Requests, request) is not null) return GapKeeping.FindAny(S.Gaps, gapId);
        var now = time.GetUtcNow();
        var gap = work(now);
        S.Outbox.Add(GapKeeping.Announce(S.Gaps, gap, kind, Owner, S.Region, now, actor));
        OnGapWorked(now, line, gap, actor);
        S.Requests.Remember(request, gapId);
        await CommitAsync();
        return gap;
    }
}
