using CareCoordination.Common;
using Orleans.Concurrency;

namespace CareCoordination.Audit;

[GenerateSerializer, Alias("cc.audit-page")]
public sealed record AuditPage([property: Id(0)] IReadOnlyList<AuditRecord> Records, [property: Id(1)] long NextAfter);

/// <summary>
/// The one writer of the audit trail's hash chain. Gateways send entries in batches; each batch is sealed and stored
/// in one transaction before the call returns, so an access is on record before its answer leaves the gateway.
/// </summary>
[Alias("cc.IAuditTrailGrain")]
public interface IAuditTrailGrain : IGrainWithStringKey
{
    [Alias("Append")] Task<long> AppendAsync(IReadOnlyList<AuditEntry> entries);

    [AlwaysInterleave, Alias("Query")]
    Task<AuditPage> QueryAsync(long afterSequence, int max, string? clientId,
        CancellationToken cancellationToken = default);

    [AlwaysInterleave, Alias("Verify")]
    Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default);
}

[GrainType("audit-trail")]
public sealed class AuditTrailGrain(IAuditStore store) : Grain, IAuditTrailGrain
{
    public const string Key = "trail";
    private const int VerifyPage = 1000;
    private AuditRecord? _last;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _last = await StateWrites.GuardAsync(() => store.LastAsync(cancellationToken));

    public async Task<long> AppendAsync(IReadOnlyList<AuditEntry> entries)
    {
        var sealedRecords = new List<AuditRecord>(entries.Count);
        var previous = _last;
        foreach (var entry in entries)
        {
            var record = AuditChain.Seal((previous?.Sequence ?? 0) + 1, previous?.Hash ?? AuditChain.Genesis, entry);
            sealedRecords.Add(record);
            previous = record;
        }
        try
        {
            await StateWrites.GuardAsync(() => store.AppendAsync(sealedRecords));
        }
        catch
        {
            // Whether the store took the batch is unknown: start again from what it really holds.
            DeactivateOnIdle();
            throw;
        }
        _last = previous;
        return _last?.Sequence ?? 0;
    }

    public async Task<AuditPage> QueryAsync(long afterSequence, int max, string? clientId,
        CancellationToken cancellationToken = default)
    {
        var records = await StateWrites.GuardAsync(() =>
            store.ReadAsync(afterSequence, max + 1, clientId, cancellationToken));
        var page = records.Take(max).ToList();
        return new AuditPage(page, records.Count > max ? page[^1].Sequence : 0);
    }

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        AuditRecord? previous = null;
        long checkedSoFar = 0;
        while (true)
        {
            var page = await StateWrites.GuardAsync(() =>
                store.ReadAsync(previous?.Sequence ?? 0, VerifyPage, null, cancellationToken));
            var result = AuditChain.Verify(page, previous, checkedSoFar);
            if (!result.Intact) return result;
            if (page.Count < VerifyPage)
                // The chain cannot show its own end cut off; this grain remembers the last record it sealed.
                return _last is { } last && result.RecordsChecked < last.Sequence
                    ? new AuditVerification(false, result.RecordsChecked, result.RecordsChecked + 1,
                        $"records {result.RecordsChecked + 1} to {last.Sequence} are missing from the end")
                    : result;
            previous = page[^1];
            checkedSoFar = result.RecordsChecked;
        }
    }
}
