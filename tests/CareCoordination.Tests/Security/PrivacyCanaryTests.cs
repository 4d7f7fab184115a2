using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Security;

/// <summary>
/// Distinctive values sent through the API — ids of people, names, free text — never appear in what operators
/// read: the logs, at the most detailed level an operator would set for the service (the frameworks at their
/// shipped levels), across successful calls, refusals, denials and undecodable requests.
/// </summary>
public sealed class PrivacyCanaryTests
{
    [Fact]
    public async Task Canary_values_sent_through_the_api_never_reach_the_logs()
    {
        var logs = new LogCapture();
        var settings = new Dictionary<string, string?> { ["Storage:Provider"] = "Memory", ["Logging:LogLevel:Default"] = "Debug" };
        var app = await GatewayFixture.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), settings, b => b.Logging.AddProvider(logs));
        var canaries = new[] { "canary-c-7731", "canary-team-55", "CANARY-Title-Zx9", "canary-region-3", "canary-reason-88", "canary-prog-4" };
        try
        {
            using var channel = GrpcChannel.ForAddress(app.Addresses().Single());
            var invoker = GatewayFixture.Authorized(channel);
            var clients = new Api.V1.Clients.ClientsClient(invoker);
            var teams = new Api.V1.CareTeams.CareTeamsClient(invoker);
            var programs = new Api.V1.Programs.ProgramsClient(invoker);
            var alerts = new Api.V1.Alerts.AlertsClient(invoker);
            async Task Try(Func<Task> call)
            {
                try { await call(); }
                catch (RpcException) { }
            }

            await teams.CreateTeamAsync(new CreateTeamRequest { RequestId = TestKeys.Request(), TeamId = "canary-team-55", Region = "canary-region-3", Name = "CANARY-Title-Zx9", Organisation = "city" });
            await teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = "canary-team-55", WorkerId = "cm-ana", Role = WorkerRole.CaseManager, Organisation = "city" });
            await clients.RegisterClientAsync(new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Region = "canary-region-3",
                Profile = new Profile { PreferredLanguage = "ar-MA", Circumstances = { Circumstance.GenderViolence, Circumstance.Migration } } });
            await teams.AssignClientAsync(new AssignClientRequest { RequestId = TestKeys.Request(), TeamId = "canary-team-55", ClientId = "canary-c-7731", LeadWorkerId = "cm-ana" });
            await clients.RecordConsentAsync(new RecordConsentRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms } });
            await clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Domain = NeedDomain.Safety, Title = "CANARY-Title-Zx9" });
            await programs.RegisterProgramAsync(new RegisterProgramRequest { RequestId = TestKeys.Request(), ProgramId = "canary-prog-4", Region = "canary-region-3", Name = "CANARY-Title-Zx9", Kind = ProgramKind.HousingFirst, Domains = { NeedDomain.Housing }, Capacity = 1 });
            await programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", ProgramId = "canary-prog-4", Domain = NeedDomain.Housing });
            await clients.GetTimelineAsync(new GetTimelineRequest { ClientId = "canary-c-7731" });
            await alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = "canary-team-55" });
            // Refusals of every kind, each quoting the canaries in its request.
            await Try(() => clients.RegisterClientAsync(new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Region = "canary-region-3" }).ResponseAsync);
            await Try(() => clients.SetGoalAsync(new SetGoalRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", GoalId = "canary-reason-88", Domain = NeedDomain.Safety, Title = "CANARY-Title-Zx9" }).ResponseAsync);
            await Try(() => clients.CloseCaseAsync(new CloseCaseRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Reason = "canary-reason-88\u202E" }).ResponseAsync);
            await Try(() => clients.RecordContactAsync(new RecordContactRequest { RequestId = TestKeys.Request(), ClientId = "canary-c-7731", Kind = ContactKind.Phone, OccurredAt = new Timestamp() }).ResponseAsync);
            await Try(() => clients.GetClientAsync(new GetClientRequest { ClientId = "canary-c-7731" }, GatewayFixture.As("stranger")).ResponseAsync);
            await Try(() => clients.GetClientAsync(new GetClientRequest { ClientId = "canary-c-7731" }, new Metadata { { "authorization", "Bearer canary-c-7731" } }).ResponseAsync);
            await Try(() => teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = "canary-team-55", WorkerId = "cm-ana", Role = WorkerRole.CaseManager, Organisation = "city" }).ResponseAsync);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Assert.NotEmpty(logs.Lines); // the capture works: Debug lines of the service itself were written
        var leaks = logs.Lines.Where(l => canaries.Any(c => l.Text.Contains(c, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Select(l => $"{l.Level} {l.Category}: {l.Text}")));
    }
}
