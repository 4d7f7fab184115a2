namespace CareCoordination.Alerts;

/// <summary>
/// Where alert feeds are kept: an append-only, ordered log per feed. Outside grain state so a feed of years
/// costs one row per alert, not one ever-growing blob rewritten on every append. Implemented per storage engine
/// by the silo host; the grains only know this contract.
/// </summary>
public interface IAlertFeedStore
{
    /// <summary>
    /// Appends, in one transaction, the alerts whose ids the feed does not hold yet, numbering them after the
    /// feed's last sequence. Returns what was added, with sequences. A retry of the same alerts adds nothing.
    /// </summary>
    Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts,
        CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> alerts with a sequence above <paramref name="afterSequence"/>, oldest
    /// first.</summary>
    Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max,
        CancellationToken cancellationToken = default);
}
