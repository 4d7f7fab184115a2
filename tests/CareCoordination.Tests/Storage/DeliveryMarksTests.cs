using CareCoordination.Alerts;
using CareCoordination.Clients;
using CareCoordination.Tests.Gateway;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace CareCoordination.Tests.Storage;

/// <summary>
/// A write's alerts are stored with it (the outbox), then delivered; that they were delivered is written with the
/// person's next change or when their record leaves memory after idling, not as a second write on the answer's path.
/// Nothing is lost or delivered twice across a restart that came before the mark.
/// </summary>
public sealed class DeliveryMarksTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-marks-" + Guid.NewGuid().ToString("N"));

    private Dictionary<string, string?> Settings => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:SqlitePath"] = Path.Combine(_dir, "care.db"),
    };

    [Fact]
    public async Task Delivered_alerts_are_marked_when_the_record_leaves_memory_and_never_delivered_twice()
    {
        string client;
        List<string> feeds;
        List<string> delivered;
        var gateway = await GatewayFixture.StartWithAsync(Settings);
        try
        {
            var s = await new ApiScenario(gateway).WithTeamAsync();
            client = await s.ClientAsync();
            // Consent that runs out in five days: the write opens a ConsentExpiring gap, announced on the team feed.
            await gateway.Clients.RecordConsentAsync(new Api.V1.RecordConsentRequest
            {
                RequestId = TestKeys.Request(), ClientId = client, Scopes = { Api.V1.ConsentScope.CareTeam },
                ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(
                    gateway.Clock.GetUtcNow().AddDays(5)),
            }, s.Worker);
            var grains = gateway.App.Services.GetRequiredService<IGrainFactory>();
            feeds = (await grains.GetGrain<IClientGrain>(client).GetOpenGapsAsync()).Select(g => g.FeedId)
                .Distinct().ToList();
            delivered = await AlertsOfAsync(grains, feeds, client);
            Assert.NotEmpty(delivered);
            // Delivered and in the feeds, while the stored record still lists the last write's alerts to deliver.
            Assert.NotEmpty(StoredState(gateway, client).Outbox);

            // The record leaves memory after idling: the marks are written then.
            await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
            await Eventually.HoldsAsync(() => Task.FromResult(StoredState(gateway, client).Outbox.Count == 0),
                "the delivery marks written as the record left memory", TimeSpan.FromSeconds(30));
            Assert.Equal(delivered, await AlertsOfAsync(grains, feeds, client));

            // Delivered again (another write's alerts), then a stop: the marks are not written, nothing is lost, and
            // the next activation delivers nothing twice.
            await gateway.Clients.RecordConsentAsync(new Api.V1.RecordConsentRequest
            {
                RequestId = TestKeys.Request(), ClientId = client, Scopes = { Api.V1.ConsentScope.CareTeam },
            }, s.Worker);
            delivered = await AlertsOfAsync(grains, feeds, client);
            Assert.NotEmpty(StoredState(gateway, client).Outbox);
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        var again = await GatewayFixture.StartWithAsync(Settings);
        try
        {
            await again.Clients.GetClientAsync(new Api.V1.GetClientRequest { ClientId = client });
            var grains = again.App.Services.GetRequiredService<IGrainFactory>();
            Assert.Equal(delivered, await AlertsOfAsync(grains, feeds, client));
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    /// <summary>The person's alerts in these feeds, each stored once.</summary>
    private static async Task<List<string>> AlertsOfAsync(IGrainFactory grains, List<string> feeds, string client)
    {
        var ids = new List<string>();
        foreach (var feed in feeds)
            ids.AddRange((await grains.GetGrain<IAlertFeedGrain>(feed).ReadAsync(0, 1000)).Alerts
                .Where(a => a.Owner.Id == client).Select(a => a.AlertId));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        return ids.Order(StringComparer.Ordinal).ToList();
    }

    private ClientState StoredState(GatewayFixture gateway, string client)
    {
        using var connection =
            new SqliteConnection($"Data Source={Path.Combine(_dir, "care.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM grain_state WHERE grain_id = $g";
        command.Parameters.AddWithValue("$g", "client/" + client);
        var payload = (byte[])(command.ExecuteScalar() ?? throw new InvalidOperationException($"no state for {client}"));
        return gateway.App.Services.GetRequiredService<Serializer>().Deserialize<ClientState>(payload)
            ?? throw new InvalidOperationException($"the stored state of {client} is empty");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
