using CareCoordination.Api.V1;
using CareCoordination.Tests.Gateway;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;

namespace CareCoordination.Tests.Storage;

/// <summary>
/// A person nobody works on leaves the service's memory after the collection age ("Orleans:Collection"), and
/// comes back from storage whole when next called: the record, its timeline and its answered requests.
/// </summary>
public sealed class IdleRecordsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-idle-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task An_idle_persons_record_leaves_memory_and_comes_back_whole()
    {
        var gateway = await GatewayFixture.StartWithAsync(new()
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = Path.Combine(_dir, "care.db"),
            ["Orleans:Collection:CollectionAge"] = "00:00:02",
            ["Orleans:Collection:CollectionQuantum"] = "00:00:01",
        });
        try
        {
            var s = await new ApiScenario(gateway).WithTeamAsync();
            var client = await s.ClientAsync();
            var contact = new RecordContactRequest
            {
                RequestId = TestKeys.Request(), ClientId = client, Kind = ContactKind.HomeVisit,
                OccurredAt = Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddHours(-2)),
            };
            var first = await gateway.Clients.RecordContactAsync(contact);
            var timeline = (await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200 })).Entries.Count;

            var management = gateway.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            var person = GrainId.Create("client", client);
            async Task<bool> InMemoryAsync() =>
                (await management.GetActiveGrains(GrainType.Create("client"))).Contains(person);
            Assert.True(await InMemoryAsync(), "the person's record should be in memory right after it was written");

            // Nobody calls: within a few collection rounds the record is gone from memory.
            var until = DateTime.UtcNow.AddSeconds(30);
            while (await InMemoryAsync())
            {
                Assert.True(DateTime.UtcNow < until, "the idle person's record was still in memory after 30 s");
                await Task.Delay(250);
            }

            // Read back from storage: the same record, the same timeline, and a retry still answers the first time.
            var read = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client });
            Assert.Equal(first.Client.LastContactAt, read.LastContactAt);
            Assert.Equal(first.Client, read);
            var retried = await gateway.Clients.RecordContactAsync(contact);
            Assert.Equal(first.Client, retried.Client);
            Assert.Equal(timeline,
                (await gateway.Clients.GetTimelineAsync(new GetTimelineRequest { ClientId = client, PageSize = 200 })).Entries.Count);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }
}
