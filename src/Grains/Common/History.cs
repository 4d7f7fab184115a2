using Orleans.Serialization;

namespace CareCoordination.Common;

/// <summary>
/// Where grains file their history: append-only logs of entries, per owner (a grain) and log name, keyed by a
/// string and read back in key order or by key. Outside grain state so a person with ten thousand contacts writes
/// as many bytes per change as one with ten: the state carries only what is not filed yet. Implemented per storage
/// engine by the silo host.
/// </summary>
public interface IHistoryStore
{
    /// <summary>
    /// Files entries. If it fails, some may be filed (Azure takes 100 per transaction): the caller keeps them all and
    /// files them again, and filing again entries the log holds (the same entries, from the same state) leaves one
    /// copy of each.
    /// </summary>
    Task PutAsync(string owner, string log, IReadOnlyList<HistoryEntry> entries,
        CancellationToken cancellationToken = default);

    /// <summary>The entry with this key, or null.</summary>
    Task<byte[]?> GetAsync(string owner, string log, string key, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> entries with a key after <paramref name="afterKey"/> (ordinal
    /// order).</summary>
    Task<IReadOnlyList<HistoryEntry>> ReadAsync(string owner, string log, string afterKey, int max,
        CancellationToken cancellationToken = default);
}

public sealed record HistoryEntry(string Key, byte[] Payload);

/// <summary>A line of a timeline, numbered from 1 in the order it was written.</summary>
public interface ISequenced
{
    long Sequence { get; }
}

/// <summary>
/// A grain's filed history: its timeline, the requests it has answered, and logs filed by key (a program's ended
/// referrals, a region's clients). Entries are kept in the grain's state until <see cref="FileAt"/> have gathered,
/// then filed after a successful write of the state; the state written next no longer carries them. A crash between
/// the filing and that write files them again, to no effect.
/// </summary>
public sealed class GrainHistory(IHistoryStore store, Serializer serializer, string owner)
{
    /// <summary>How many unfiled entries a state carries at most, in normal running.</summary>
    public const int FileAt = 16;
    private const string Timeline = "timeline";
    private const string Requests = "requests";

    /// <summary>
    /// The earlier outcome of this request, or null if it is new, from the state's unfiled requests and then from
    /// the filed ones: a retry returns the first answer however long ago it was given. Same id with other content
    /// is refused.
    /// </summary>
    public async Task<RequestRecord?> FindAsync(RequestLog log, WriteRequest request)
    {
        var recent = log.Find(request);
        if (recent is not null || log.Filed == 0) return recent;
        var bytes = await StateWrites.GuardAsync(() => store.GetAsync(owner, Requests, request.RequestId));
        if (bytes is null) return null;
        var record = serializer.Deserialize<RequestRecord>(bytes)!;
        RequestLog.RequireSameContent(request, record);
        return record;
    }

    /// <summary>
    /// After a successful write of the state: files the unfiled entries if enough have gathered, and drops them from
    /// the state in memory. A failed filing leaves them in the state
    /// to be filed with the next write; it never fails the change, which is already stored.
    /// </summary>
    public async Task FileAsync<T>(RequestLog log, List<T>? timeline) where T : ISequenced
    {
        var lines = timeline?.Count ?? 0;
        if (log.Entries.Count < FileAt && lines < FileAt) return;
        var requests = log.Order
            .Select(id => new HistoryEntry(id, serializer.SerializeToArray(log.Entries[id]))).ToList();
        var entries = timeline?.Select(e => new HistoryEntry(Key(e.Sequence), serializer.SerializeToArray(e))).ToList()
            ?? [];
        var filedLast = timeline is { Count: > 0 } ? timeline[^1].Sequence : 0;
        // Requests first: a timeline line is only ever read back, a request record decides what a retry does.
        if (requests.Count > 0 && !await TryPutAsync(Requests, requests)) return;
        if (entries.Count > 0 && !await TryPutAsync(Timeline, entries)) return;
        // Only what was filed leaves: a caseload notice may have interleaved while the store answered.
        log.Filed += requests.Count;
        foreach (var r in requests) log.Entries.Remove(r.Key);
        log.Order = new Queue<string>(log.Order.Where(log.Entries.ContainsKey));
        if (entries.Count > 0) timeline!.RemoveAll(e => e.Sequence <= filedLast);
    }

    /// <summary>The state's unfiled requests, filed once enough have gathered (grains without a timeline).</summary>
    public Task FileAsync(RequestLog log) => FileAsync<ISequenced>(log, null);

    /// <summary>
    /// A page of the timeline after <paramref name="afterSequence"/>: filed lines from the store, then the state's
    /// unfiled ones (<paramref name="unfiled"/>, in order; the last sequence given is <paramref name="last"/>).
    /// </summary>
    public async Task<(IReadOnlyList<T> Page, bool More)> ReadTimelineAsync<T>(long afterSequence, int pageSize,
        IReadOnlyList<T> unfiled, long last) where T : ISequenced
    {
        var filedUpTo = unfiled.Count > 0 ? unfiled[0].Sequence - 1 : last;
        var page = new List<T>(pageSize);
        if (afterSequence < filedUpTo)
        {
            var filed = await StateWrites.GuardAsync(() =>
                store.ReadAsync(owner, Timeline, Key(afterSequence), pageSize));
            page.AddRange(filed.Select(e => serializer.Deserialize<T>(e.Payload)!).Where(e => e.Sequence <= filedUpTo));
        }
        var after = page.Count > 0 ? page[^1].Sequence : afterSequence;
        page.AddRange(unfiled.Where(e => e.Sequence > after).Take(pageSize - page.Count));
        return (page, page.Count > 0 && page[^1].Sequence < last);
    }

    /// <summary>An entry of a log filed by key (a referral, a directory's member), or null if the log does not hold
    /// it.</summary>
    public async Task<T?> FindFiledAsync<T>(string log, string key) where T : class =>
        await StateWrites.GuardAsync(() => store.GetAsync(owner, log, key)) is { } bytes
            ? serializer.Deserialize<T>(bytes) : null;

    /// <summary>Whether a directory log holds this key.</summary>
    public async Task<bool> ContainsAsync(string log, string key) =>
        await StateWrites.GuardAsync(() => store.GetAsync(owner, log, key)) is not null;

    /// <summary>Files entries by key; false (and nothing to do but try again later) if the store did not take
    /// them.</summary>
    public Task<bool> TryFileAsync<T>(string log, IEnumerable<(string Key, T Value)> entries) =>
        TryPutAsync(log, entries.Select(e => new HistoryEntry(e.Key, serializer.SerializeToArray(e.Value))).ToList());

    /// <summary>
    /// A page of a log that is partly filed and partly still in the state, in key order after
    /// <paramref name="after"/>, and the key to continue after (null at the end). The first max + 1 of the filed and
    /// of the unfiled, merged, are the first max + 1 of all; an entry filed and still in the state after a crash
    /// counts once.
    /// </summary>
    public async Task<(IReadOnlyList<T> Page, string? NextAfter)> PageAsync<T>(string log, bool anyFiled,
        IEnumerable<T> unfiled, Func<T, string> key, Func<HistoryEntry, T> fromFiled, string? after, int max)
    {
        var filed = anyFiled
            ? (await StateWrites.GuardAsync(() => store.ReadAsync(owner, log, after ?? "", max + 1))).Select(fromFiled)
            : [];
        var page = unfiled.Where(e => string.IsNullOrEmpty(after) || string.CompareOrdinal(key(e), after) > 0)
            .OrderBy(key, StringComparer.Ordinal).Take(max + 1)
            .Concat(filed).DistinctBy(key).OrderBy(key, StringComparer.Ordinal).Take(max + 1).ToList();
        return (page.Take(max).ToList(), page.Count > max ? key(page[max - 1]) : null);
    }

    /// <summary>Deserializes a filed entry (a referral).</summary>
    public T Read<T>(HistoryEntry entry) => serializer.Deserialize<T>(entry.Payload)!;

    private async Task<bool> TryPutAsync(string log, IReadOnlyList<HistoryEntry> entries)
    {
        try
        {
            await store.PutAsync(owner, log, entries);
            return true;
        }
        catch (Exception)
        {
            return false; // still in the state; filed with a later write
        }
    }

    private static string Key(long sequence) => sequence.ToString("D19");
}
