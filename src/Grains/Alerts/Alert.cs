using CareCoordination.CareGaps;

namespace CareCoordination.Alerts;

public enum AlertKind
{
    Unspecified = 0,
    Opened = 1,
    Escalated = 2,
    Acknowledged = 3,
    Resolved = 4,
    Closed = 5,
}

/// <summary>
/// One event in the life of a care gap, as delivered to the people who must act. Carries the gap as it stood at the
/// event (the same record ListOpenGaps lists), ids and the catalogue's wording only — never a name or a note —
/// because it travels to every subscriber of the feed.
/// </summary>
[GenerateSerializer, Alias("cc.alert")]
public sealed record Alert(
    [property: Id(0)] string AlertId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] string FeedId,
    [property: Id(3)] AlertKind Kind,
    [property: Id(15)] OpenGap Gap,
    [property: Id(7)] GapOwner Owner,
    [property: Id(8)] string Region,
    [property: Id(12)] DateTimeOffset OccurredAt,
    [property: Id(13)] string? Actor,
    [property: Id(14)] string? EscalateToRole,
    // The trace of the write that raised it (W3C traceparent): its delivery links back to that write.
    [property: Id(16)] string? TraceParent = null,
    // When its feed stored it (wall clock): live delivery latency is measured from here.
    [property: Id(17)] DateTimeOffset? StoredAt = null)
{
    /// <summary>
    /// The alert for an event of a gap, in the gap's feed. Its id carries the owner's event number, fixed when the
    /// event enters the durable outbox: re-delivery of the same event de-duplicates, a new event never collides.
    /// </summary>
    public static Alert For(OpenGap gap, AlertKind kind, GapOwner owner, string region, DateTimeOffset at,
        string? actor, long eventNumber) =>
        new($"{gap.GapId}/e{eventNumber}", 0, gap.FeedId, kind, gap, owner, region, at, actor,
            kind == AlertKind.Escalated ? "TeamLead" : null, System.Diagnostics.Activity.Current?.Id);
}

/// <summary>Where alerts of a team, a program or a region's unassigned clients are kept and pushed.</summary>
public static class AlertFeeds
{
    public static string Team(string teamId) => $"team:{teamId}";
    public static string Program(string programId) => $"program:{programId}";
    /// <summary>Alerts of clients not yet assigned to a team reach the region's intake.</summary>
    public static string RegionIntake(string region) => $"region:{region}";

    public static bool TryParse(string feedId, out string kind, out string id)
    {
        var i = feedId.IndexOf(':');
        kind = i > 0 ? feedId[..i] : "";
        id = i > 0 ? feedId[(i + 1)..] : "";
        return kind is "team" or "program" or "region" && Common.Keys.IsValid(id);
    }
}

public enum GapOwnerKind
{
    Unspecified = 0,
    Client = 1,
    Program = 2,
}

/// <summary>The grain that holds a gap: a client or a program.</summary>
[GenerateSerializer, Alias("cc.gap-owner")]
public sealed record GapOwner([property: Id(0)] GapOwnerKind Kind, [property: Id(1)] string Id)
{
    public string Prefix => Kind == GapOwnerKind.Client ? $"client/{Id}/" : $"program/{Id}/";

    public override string ToString() => Prefix.TrimEnd('/');

    /// <summary>Gap ids are "client/{id}/g{n}" or "program/{id}/g{n}": the id says which grain holds the gap.</summary>
    public static bool TryParseGapId(string? gapId, out GapOwner owner)
    {
        owner = new GapOwner(GapOwnerKind.Unspecified, "");
        var parts = (gapId ?? "").Split('/');
        if (parts.Length != 3 || !parts[2].StartsWith('g') || parts[2].Length is < 2 or > 19
            || parts[2].AsSpan(1).ContainsAnyExceptInRange('0', '9') || !Common.Keys.IsValid(parts[1]))
            return false;
        var kind = parts[0] switch
        {
            "client" => GapOwnerKind.Client,
            "program" => GapOwnerKind.Program,
            _ => GapOwnerKind.Unspecified
        };
        if (kind == GapOwnerKind.Unspecified) return false;
        owner = new GapOwner(kind, parts[1]);
        return true;
    }
}

/// <summary>An open gap together with the grain that holds it.</summary>
[GenerateSerializer, Alias("cc.owned-gap")]
public sealed record OwnedGap([property: Id(0)] GapOwner Owner, [property: Id(1)] OpenGap Gap);
