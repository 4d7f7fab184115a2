using Azure;
using Azure.Data.Tables;
using CareCoordination.Alerts;
using CareCoordination.Audit;
using CareCoordination.CareGaps;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Alert feeds in Azure Table storage (table <see cref="AzureTables.Alerts"/>), one partition per feed:
/// "s:&lt;sequence&gt;" rows hold the alerts, "i:&lt;alert id&gt;" rows make appends idempotent, and the "head" row
/// holds the last sequence. An append is one entity-group transaction that replaces the head only if it is unchanged
/// since it was read (ETag): two appenders (two activations of a feed after a silo died) cannot both take a
/// sequence, and a retry of stored alerts adds nothing. Sequences stay gap-free and ordered, as in the database
/// stores.
/// </summary>
public sealed class AzureAlertFeedStore(AzureTables tables) : IAlertFeedStore
{
    private const string Head = "head";
    // A transaction takes at most 100 operations: the head and two rows per alert.
    private const int AlertsPerTransaction = 49;
    private const int Attempts = 8;

    public async Task<IReadOnlyList<Alert>> AppendAsync(string feedId, IReadOnlyList<Alert> alerts,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.Alerts, cancellationToken);
        var added = new List<Alert>();
        foreach (var chunk in alerts.Chunk(AlertsPerTransaction))
            added.AddRange(await AppendChunkAsync(table, feedId, chunk, cancellationToken));
        return added;
    }

    private static async Task<IReadOnlyList<Alert>> AppendChunkAsync(TableClient table, string feedId, Alert[] alerts,
        CancellationToken cancellationToken)
    {
        var partition = AzureTables.Key(feedId);
        for (var attempt = 1; ; attempt++)
        {
            var head = await table.GetEntityIfExistsAsync<TableEntity>(partition, Head,
                cancellationToken: cancellationToken);
            var last = head.HasValue ? head.Value!.GetInt64("Last") ?? 0 : 0;
            var known = await Task.WhenAll(alerts.Select(a =>
                table.GetEntityIfExistsAsync<TableEntity>(partition, IdRow(a.AlertId), ["RowKey"], cancellationToken)));
            var seen = new HashSet<string>(alerts.Where((_, i) => known[i].HasValue).Select(a => a.AlertId));
            var batch = new List<TableTransactionAction>();
            var added = new List<Alert>();
            foreach (var alert in alerts)
            {
                if (!seen.Add(alert.AlertId)) continue;
                var stored = alert with { FeedId = feedId, Sequence = last + added.Count + 1 };
                batch.Add(new(TableTransactionActionType.Add, new TableEntity(partition, SequenceRow(stored.Sequence))
                    { ["AlertId"] = stored.AlertId, ["Payload"] = AlertJson.Write(stored) }));
                batch.Add(new(TableTransactionActionType.Add, new TableEntity(partition, IdRow(stored.AlertId))
                    { ["Sequence"] = stored.Sequence }));
                added.Add(stored);
            }
            if (added.Count == 0) return added;
            var newHead = new TableEntity(partition, Head) { ["Last"] = last + added.Count };
            batch.Add(head.HasValue
                ? new(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                : new(TableTransactionActionType.Add, newHead));
            try
            {
                await table.SubmitTransactionAsync(batch, cancellationToken);
                return added;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < Attempts)
            {
                // Another append won the head (or took one of these ids) meanwhile: read again and renumber.
            }
        }
    }

    public async Task<IReadOnlyList<Alert>> ReadAsync(string feedId, long afterSequence, int max,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.Alerts, cancellationToken);
        var partition = AzureTables.Key(feedId);
        var from = SequenceRow(afterSequence);
        // "s;" sorts right after every "s:..." row: the range holds alert rows only.
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and RowKey gt {from} and RowKey lt {"s;"}");
        var result = new List<Alert>(Math.Min(max, 256));
        await foreach (var row in table.QueryAsync<TableEntity>(filter, Math.Min(max, 1000), ["Payload"],
                           cancellationToken))
        {
            result.Add(AlertJson.Read(row.GetString("Payload")));
            if (result.Count == max) break;
        }
        return result;
    }

    private static string SequenceRow(long sequence) => "s:" + AzureTables.Number(sequence);

    private static string IdRow(string alertId) => "i:" + AzureTables.Key(alertId);
}

/// <summary>
/// The clock's due times in Azure Table storage (table <see cref="AzureTables.GapDue"/>): a row per owner in its
/// shard's partition, read whole when the shard activates, and a row per owner in the "owners" partition naming
/// its shard, so an owner moved to another shard (the shard count changed) leaves the old one. The two partitions
/// are not written in one transaction: the new shard's row is written first and the old one removed last, so a
/// crash in between can only leave an owner in two shards — woken once more than needed, which reconciling makes
/// harmless.
/// </summary>
public sealed class AzureGapDueStore(AzureTables tables) : IGapDueStore
{
    private const string Owners = "owners";

    public async Task SetAsync(int shard, GapOwner owner, DateTimeOffset? dueAt,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.GapDue, cancellationToken);
        var row = OwnerRow(owner);
        var known = await table.GetEntityIfExistsAsync<TableEntity>(Owners, row, cancellationToken: cancellationToken);
        var previous = known.HasValue ? known.Value!.GetInt32("Shard") : null;
        if (dueAt is { } at)
        {
            await table.UpsertEntityAsync(new TableEntity(ShardPartition(shard), row)
                { ["Kind"] = (int)owner.Kind, ["Id"] = owner.Id, ["DueAtTicks"] = at.UtcTicks },
                TableUpdateMode.Replace, cancellationToken);
            if (previous == shard) return;
            await table.UpsertEntityAsync(new TableEntity(Owners, row) { ["Shard"] = shard }, TableUpdateMode.Replace,
                cancellationToken);
            if (previous is { } moved) await DeleteAsync(table, ShardPartition(moved), row, cancellationToken);
        }
        else
        {
            await DeleteAsync(table, ShardPartition(shard), row, cancellationToken);
            if (previous is { } other && other != shard)
                await DeleteAsync(table, ShardPartition(other), row, cancellationToken);
            await DeleteAsync(table, Owners, row, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<DueEntry>> ReadShardAsync(int shard, CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.GapDue, cancellationToken);
        var result = new List<DueEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {ShardPartition(shard)}"),
                           cancellationToken: cancellationToken))
            result.Add(new DueEntry(new GapOwner((GapOwnerKind)row.GetInt32("Kind")!.Value, row.GetString("Id")),
                new DateTimeOffset(row.GetInt64("DueAtTicks")!.Value, TimeSpan.Zero)));
        return result;
    }

    // Deleting what is not there is not an error (ETag "*": whatever version is stored).
    private static Task DeleteAsync(TableClient table, string partition, string row,
        CancellationToken cancellationToken) =>
        table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken);

    private static string ShardPartition(int shard) => "shard:" + AzureTables.Number(shard);

    private static string OwnerRow(GapOwner owner) => $"{(int)owner.Kind}:{AzureTables.Key(owner.Id)}";
}

/// <summary>
/// The audit trail in Azure Table storage (table <see cref="AzureTables.Audit"/>), one partition:
/// "r:&lt;sequence&gt;" rows and a "head" row with the last record. A batch is stored only if it continues the head
/// (its first sequence is the head's plus one) and the head is unchanged since read (ETag), in entity-group
/// transactions of up to 99 records: a batch of more is stored in order, a transaction at a time, so the trail never
/// forks or skips, and a failure can leave only a stored prefix, which the trail grain reads back before it numbers
/// again. Table storage has no trigger to refuse updates and deletes: grant the silos' identity add and read on this
/// table, not update or delete (README, Azure Storage); whatever changes a row anyway, the hash chain shows.
/// </summary>
public sealed class AzureAuditStore(AzureTables tables) : IAuditStore
{
    private const string Partition = "trail";
    private const string Head = "head";
    private const int RecordsPerTransaction = 99;

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.Audit, cancellationToken);
        foreach (var chunk in records.Chunk(RecordsPerTransaction))
        {
            var head = await table.GetEntityIfExistsAsync<TableEntity>(Partition, Head,
                cancellationToken: cancellationToken);
            var last = head.HasValue ? head.Value!.GetInt64("Sequence") ?? 0 : 0;
            for (var i = 0; i < chunk.Length; i++)
                if (chunk[i].Sequence != last + 1 + i)
                    throw new InvalidOperationException(
                        $"audit batch does not continue the trail at {last} (record {chunk[i].Sequence})");
            var batch = chunk.Select(r =>
                new TableTransactionAction(TableTransactionActionType.Add, Entity(RecordRow(r.Sequence), r))).ToList();
            batch.Add(head.HasValue
                ? new(TableTransactionActionType.UpdateReplace, Entity(Head, chunk[^1]), head.Value!.ETag)
                : new(TableTransactionActionType.Add, Entity(Head, chunk[^1])));
            await table.SubmitTransactionAsync(batch, cancellationToken);
        }
    }

    public async Task<AuditRecord?> LastAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.Audit, cancellationToken);
        var head = await table.GetEntityIfExistsAsync<TableEntity>(Partition, Head,
            cancellationToken: cancellationToken);
        return head.HasValue ? Record(head.Value!) : null;
    }

    public async Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, string? clientId = null,
        CancellationToken cancellationToken = default)
    {
        var table = await tables.TableAsync(AzureTables.Audit, cancellationToken);
        var from = RecordRow(afterSequence);
        var filter = clientId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey gt {from} and RowKey lt {"r;"}")
            : TableClient.CreateQueryFilter(
                $"PartitionKey eq {Partition} and RowKey gt {from} and RowKey lt {"r;"} and ClientId eq {clientId}");
        var result = new List<AuditRecord>(Math.Min(max, 256));
        await foreach (var row in table.QueryAsync<TableEntity>(filter, Math.Min(max, 1000),
                           cancellationToken: cancellationToken))
        {
            result.Add(Record(row));
            if (result.Count == max) break;
        }
        return result;
    }

    private static string RecordRow(long sequence) => "r:" + AzureTables.Number(sequence);

    private static TableEntity Entity(string row, AuditRecord r) => new(Partition, row)
    {
        ["Sequence"] = r.Sequence, ["AtTicks"] = r.Entry.At.UtcTicks, ["Actor"] = r.Entry.Actor,
        ["OnBehalfOf"] = r.Entry.OnBehalfOf, ["Organisation"] = r.Entry.Organisation, ["Roles"] = r.Entry.Roles,
        ["Action"] = r.Entry.Action, ["ObjectKind"] = r.Entry.ObjectKind, ["ObjectId"] = r.Entry.ObjectId,
        ["ClientId"] = r.Entry.ClientId, ["Purpose"] = r.Entry.Purpose, ["Outcome"] = r.Entry.Outcome,
        ["TraceId"] = r.Entry.TraceId, ["PreviousHash"] = r.PreviousHash, ["Hash"] = r.Hash,
    };

    private static AuditRecord Record(TableEntity e) => new(e.GetInt64("Sequence")!.Value,
        new AuditEntry(new DateTimeOffset(e.GetInt64("AtTicks")!.Value, TimeSpan.Zero), e.GetString("Actor"),
            e.GetString("OnBehalfOf"), e.GetString("Organisation"), e.GetString("Roles"), e.GetString("Action"),
            e.GetString("ObjectKind"), e.GetString("ObjectId"), e.GetString("ClientId"), e.GetString("Purpose"),
            e.GetString("Outcome"), e.GetString("TraceId")),
        e.GetString("PreviousHash"), e.GetString("Hash"));
}
