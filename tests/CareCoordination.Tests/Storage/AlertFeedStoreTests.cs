using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Silo.Storage;
using CareCoordination.Tests.Faults;

namespace CareCoordination.Tests.Storage;

/// <summary>What alert feeds rely on from every store: gap-free ordered sequences, idempotent appends by alert id.</summary>
public abstract class AlertFeedStoreContract
{
    protected abstract IAlertFeedStore Store { get; }

    protected static Alert NewAlert(string feed, string? id = null)
    {
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var gap = new OpenGap($"client/c-1/{Guid.NewGuid():N}", CareGapRule.NoRecentContact, "contact", at.AddDays(-1), at, GapSeverity.Urgent,
            "Contact the person", FeedId: feed);
        return Alert.For(gap, AlertKind.Opened, new GapOwner(GapOwnerKind.Client, "c-1"), "north", at, null, 1) with
            { AlertId = id ?? TestKeys.New("alert") };
    }

    [Fact]
    public async Task Appends_are_numbered_after_the_last_without_gaps_and_read_back_in_order()
    {
        var feed = $"team:{TestKeys.New("t")}";
        var first = await Store.AppendAsync(feed, [NewAlert(feed), NewAlert(feed)]);
        var second = await Store.AppendAsync(feed, [NewAlert(feed)]);

        Assert.Equal([1L, 2L, 3L], first.Concat(second).Select(a => a.Sequence));
        Assert.All(first.Concat(second), a => Assert.Equal(feed, a.FeedId));
        Assert.Equal(first.Concat(second), await Store.ReadAsync(feed, 0, 10));
        Assert.Equal(second, await Store.ReadAsync(feed, 2, 10));
        Assert.Equal(first.Take(1), await Store.ReadAsync(feed, 0, 1));
        Assert.Empty(await Store.ReadAsync(feed, 3, 10));
    }

    [Fact]
    public async Task A_retried_append_adds_nothing_and_a_mixed_one_adds_only_the_new_alerts()
    {
        var feed = $"team:{TestKeys.New("t")}";
        var (a, b) = (NewAlert(feed), NewAlert(feed));
        await Store.AppendAsync(feed, [a]);

        Assert.Empty(await Store.AppendAsync(feed, [a]));
        var added = await Store.AppendAsync(feed, [a, b, b]);

        Assert.Equal([(b.AlertId, 2L)], added.Select(x => (x.AlertId, x.Sequence)));
        Assert.Equal([a.AlertId, b.AlertId], (await Store.ReadAsync(feed, 0, 10)).Select(x => x.AlertId));
    }

    [Fact]
    public async Task Feeds_are_separate_and_concurrent_appends_to_one_feed_take_distinct_sequences()
    {
        var (feed, other) = ($"team:{TestKeys.New("t")}", $"program:{TestKeys.New("p")}");
        await Store.AppendAsync(other, [NewAlert(other)]);
        var appends = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.AppendAsync(feed, [NewAlert(feed)])));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), appends.SelectMany(x => x).Select(x => x.Sequence).Order());
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), (await Store.ReadAsync(feed, 0, 100)).Select(x => x.Sequence));
        Assert.Single(await Store.ReadAsync(other, 0, 100));
    }

    [Fact]
    public async Task A_large_append_keeps_its_order()
    {
        var feed = $"region:{TestKeys.New("r")}";
        var alerts = Enumerable.Range(0, 120).Select(_ => NewAlert(feed)).ToList();
        var added = await Store.AppendAsync(feed, alerts);

        Assert.Equal(alerts.Select(a => a.AlertId), added.Select(a => a.AlertId));
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), (await Store.ReadAsync(feed, 0, 500)).Select(a => a.Sequence));
        Assert.Equal(50, (await Store.ReadAsync(feed, 70, 50)).Count);
    }
}

public sealed class MemoryAlertFeedStoreTests : AlertFeedStoreContract
{
    protected override IAlertFeedStore Store { get; } = new MemoryAlertFeedStore();
}

public sealed class SqliteAlertFeedStoreTests : AlertFeedStoreContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cc-feed-{Guid.NewGuid():N}.db");
    public SqliteAlertFeedStoreTests() => Store = new SqliteAlertFeedStore(new SqliteDatabase(_path));
    protected override IAlertFeedStore Store { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(f);
    }
}

/// <summary>Against the local cluster's PostgreSQL, with the schema the silos applied.</summary>
[Collection(LocalClusterCollection.Name)]
public sealed class PostgresAlertFeedStoreTests(LocalClusterFixture cluster) : AlertFeedStoreContract
{
    protected override IAlertFeedStore Store { get; } = new PostgresAlertFeedStore(new PostgresConnectionString(cluster.ConnectionString));
}

[Collection(AzuriteCollection.Name)]
public sealed class AzureAlertFeedStoreTests(AzuriteFixture azurite) : AlertFeedStoreContract
{
    protected override IAlertFeedStore Store { get; } =
        new AzureAlertFeedStore(new AzureTables(new StorageOptions { AzureConnectionString = azurite.Azurite.ConnectionString }));
}
