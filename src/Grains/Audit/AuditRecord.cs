using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CareCoordination.Audit;

/// <summary>
/// One access to the service, as the gateway saw it: who (and on whose behalf), what they did to which object (and
/// which person's data it concerned), why, and how it ended. Ids only: the trail says who saw or changed what, never
/// the data itself.
/// </summary>
[GenerateSerializer, Alias("cc.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Actor,
    [property: Id(2)] string? OnBehalfOf,
    [property: Id(3)] string Organisation,
    [property: Id(4)] string Roles,
    [property: Id(5)] string Action,
    [property: Id(6)] string ObjectKind,
    [property: Id(7)] string ObjectId,
    [property: Id(8)] string? ClientId,
    [property: Id(9)] string Purpose,
    [property: Id(10)] string Outcome,
    [property: Id(11)] string TraceId);

/// <summary>An entry sealed into the trail: numbered, and chained to the one before by its hash.</summary>
[GenerateSerializer, Alias("cc.audit-record")]
public sealed record AuditRecord(
    [property: Id(0)] long Sequence,
    [property: Id(1)] AuditEntry Entry,
    [property: Id(2)] string PreviousHash,
    [property: Id(3)] string Hash);

/// <summary>The outcome of checking the trail: intact, or where it was first found altered, removed or
/// reordered.</summary>
[GenerateSerializer, Alias("cc.audit-verification")]
public sealed record AuditVerification(
    [property: Id(0)] bool Intact,
    [property: Id(1)] long RecordsChecked,
    [property: Id(2)] long? FirstBrokenSequence,
    [property: Id(3)] string Problem);

/// <summary>
/// The hash chain (pure): each record's hash covers its number, its entry and the hash before it, so changing,
/// removing, inserting or reordering any stored record breaks every hash from there on, and verification says where.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static AuditRecord Seal(long sequence, string previousHash, AuditEntry entry)
    {
        // Whole microseconds in UTC: what every store keeps (PostgreSQL's timestamptz), so a record reads back as
        // sealed.
        var ticks = entry.At.UtcTicks;
        entry = entry with { At = new DateTimeOffset(ticks - ticks % 10, TimeSpan.Zero) };
        return new(sequence, entry, previousHash, Hash(sequence, previousHash, entry));
    }

    public static string Hash(long sequence, string previousHash, AuditEntry e)
    {
        // Unit separators between fields: no field value can make two different records hash alike.
        var canonical = string.Join('\u001f', sequence.ToString(CultureInfo.InvariantCulture), previousHash,
            e.At.UtcTicks.ToString(CultureInfo.InvariantCulture), e.Actor, e.OnBehalfOf ?? "", e.Organisation, e.Roles,
            e.Action, e.ObjectKind, e.ObjectId, e.ClientId ?? "", e.Purpose, e.Outcome, e.TraceId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Checks records read in order, continuing from <paramref name="previous"/> (the last record checked, or
    /// none).</summary>
    public static AuditVerification Verify(IEnumerable<AuditRecord> records, AuditRecord? previous, long checkedBefore)
    {
        var expectedSequence = (previous?.Sequence ?? 0) + 1;
        var expectedPrevious = previous?.Hash ?? Genesis;
        var count = checkedBefore;
        foreach (var r in records)
        {
            if (r.Sequence != expectedSequence)
                return new(false, count, expectedSequence,
                    $"record {expectedSequence} is missing or out of order (found {r.Sequence})");
            if (r.PreviousHash != expectedPrevious)
                return new(false, count, r.Sequence, $"record {r.Sequence} does not follow the record before it");
            if (Hash(r.Sequence, r.PreviousHash, r.Entry) != r.Hash)
                return new(false, count, r.Sequence, $"record {r.Sequence} was altered");
            expectedSequence++;
            expectedPrevious = r.Hash;
            count++;
        }
        return new(true, count, null, "");
    }
}

/// <summary>Where the audit trail is kept: append-only, in sequence order.</summary>
public interface IAuditStore
{
    /// <summary>Appends records numbered after the last stored one, all or none.</summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);

    Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default);

    /// <summary>Records after a sequence number, oldest first; only those concerning one client when it is
    /// given.</summary>
    Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default);
}
