namespace CareCoordination.Common;

/// <summary>
/// What a grain remembers of the writes it has applied, so a retried request returns the first answer
/// instead of applying twice. A record is kept inside the grain's state, persisted in the same write as the change,
/// until <see cref="GrainHistory"/> files it in the history store; <see cref="GrainHistory.FindAsync"/> looks in both.
/// </summary>
[GenerateSerializer, Alias("cc.request-log")]
public sealed class RequestLog
{
    // Records are filed every GrainHistory.FileAt writes; this bound only matters while the history store is down
    // for long, when the oldest unfiled records are dropped rather than let the state grow without end.
    public const int Capacity = 512;

    [Id(0)] public Dictionary<string, RequestRecord> Entries { get; set; } = new();
    [Id(1)] public Queue<string> Order { get; set; } = new();
    /// <summary>How many records have been filed in the history store: none means there is nothing to look up
    /// there.</summary>
    [Id(2)] public long Filed { get; set; }

    /// <summary>The earlier outcome of this request, or null if it is new. Same id with other content is
    /// refused.</summary>
    public RequestRecord? Find(WriteRequest request)
    {
        if (!Entries.TryGetValue(request.RequestId, out var record)) return null;
        RequireSameContent(request, record);
        return record;
    }

    public static void RequireSameContent(WriteRequest request, RequestRecord record)
    {
        if (record.Fingerprint != request.Fingerprint && record.Fingerprint != request.LegacyFingerprint)
            throw CareCoordinationException.Invalid("request_id",
                $"request_id '{request.RequestId}' was already used for a different request; "
                    + "use a new request_id for a new write");
    }

    public void Remember(WriteRequest request, string resultId, DateTimeOffset? at = null)
    {
        if (Entries.ContainsKey(request.RequestId)) return;
        Entries[request.RequestId] = new RequestRecord(request.Fingerprint, resultId, at);
        Order.Enqueue(request.RequestId);
        while (Order.Count > Capacity) Entries.Remove(Order.Dequeue());
    }
}

[GenerateSerializer, Alias("cc.request-record")]
public sealed record RequestRecord(
    [property: Id(0)] string Fingerprint,
    [property: Id(1)] string ResultId,
    // When the write took effect, where its answer reports it (an assignment's time).
    [property: Id(2)] DateTimeOffset? At = null);

/// <summary>
/// Identity of a write: the caller's request id and a fingerprint of its content. A write that arrived through the
/// API also carries the fingerprint its content had before the call's name was part of it
/// (<see cref="LegacyFingerprint"/>): answers recorded then still match their retries.
/// </summary>
[GenerateSerializer, Alias("cc.write-request")]
public sealed record WriteRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] string? LegacyFingerprint = null)
{
    public static WriteRequest Of(string requestId, string content) => new(requestId, Hash(content));

    /// <summary>
    /// A write of the API: the call's name is part of the fingerprint, so two calls whose requests encode alike
    /// (Acknowledge and Resolve of one gap) are different writes, and one request id cannot serve both.
    /// </summary>
    public static WriteRequest OfCall(string requestId, string call, string content) =>
        new(requestId, Hash(call + "\n" + content), Hash(content));

    private static string Hash(string content) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))
            [..32];
}
