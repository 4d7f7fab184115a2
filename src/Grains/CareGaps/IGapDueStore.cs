using CareCoordination.Alerts;

namespace CareCoordination.CareGaps;

/// <summary>
/// Where the care-gap clock keeps "wake owner X at time T": one row per owner, so registering a due time
/// writes one row instead of rewriting a shard's whole index, whatever the number of clients. Implemented per
/// storage engine by the silo host.
/// </summary>
public interface IGapDueStore
{
    /// <summary>Records when <paramref name="owner"/> is next due, in <paramref name="shard"/>; null removes
    /// it.</summary>
    Task SetAsync(int shard, GapOwner owner, DateTimeOffset? dueAt, CancellationToken cancellationToken = default);

    /// <summary>Every owner registered in <paramref name="shard"/>, read once when the shard activates.</summary>
    Task<IReadOnlyList<DueEntry>> ReadShardAsync(int shard, CancellationToken cancellationToken = default);
}
