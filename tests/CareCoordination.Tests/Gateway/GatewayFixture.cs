using CareCoordination.Api.V1;

using CareCoordination.Gateway.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Gateway;

/// <summary>The real gateway, in its embedded mode, on a loopback port; tests call it over gRPC.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));
    public WebApplication App { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public string Address { get; private set; } = "";

    public Api.V1.Clients.ClientsClient Clients => new(Channel);
    public Api.V1.CareTeams.CareTeamsClient Teams => new(Channel);
    public Api.V1.Programs.ProgramsClient Programs => new(Channel);
    public Api.V1.Alerts.AlertsClient Alerts => new(Channel);
    public Api.V1.Reports.ReportsClient Reports => new(Channel);

    public static Metadata As(string worker) => new() { { "x-worker-id", worker } };

    /// <summary>Settings over the test defaults, for a gateway a test starts for itself (<see cref="StartWithAsync"/>).</summary>
    private Dictionary<string, string?> Settings { get; init; } = new();

    public async Task InitializeAsync()
    {
        App = await StartAsync(Clock, new(Settings) { ["Storage:Provider"] = "Memory" });
        Address = App.Addresses().Single();
        Channel = GrpcChannel.ForAddress(Address);
    }

    /// <summary>A gateway of its own for one test, with some settings changed; dispose it at the end.</summary>
    public static async Task<GatewayFixture> StartWithAsync(Dictionary<string, string?> settings)
    {
        var gateway = new GatewayFixture { Settings = settings };
        await gateway.InitializeAsync();
        return gateway;
    }

    /// <summary>Starts a gateway in embedded mode on free loopback ports with the given care clock and settings.</summary>
    public static async Task<WebApplication> StartAsync(FakeTimeProvider clock, Dictionary<string, string?> settings,
        Action<WebApplicationBuilder>? configure = null)
    {
        var app = GatewayApp.Build([], b =>
        {
            var all = new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["Orleans:SiloPort"] = TestPorts.Free().ToString(),
                ["Orleans:GatewayPort"] = TestPorts.Free().ToString(),
                ["CareGaps:ClockTick"] = "00:00:00.100",
                ["Alerts:CatchUpInterval"] = "00:00:00.500",
            };
            foreach (var (key, value) in settings) all[key] = value; // the test's settings win
            b.Configuration.AddInMemoryCollection(all);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Services.AddSingleton(new CareCoordination.Common.CareClock(clock));
            configure?.Invoke(b);
        });
        await app.StartAsync();
        return app;
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>A region built over the public API: a team with a case manager and team lead, a program, helpers for clients.</summary>
public sealed class ApiScenario(GatewayFixture gateway)
{
    public string Region { get; } = TestKeys.New("region");
    public string TeamId { get; } = TestKeys.New("team");
    public string ProgramId { get; } = TestKeys.New("prog");
    public Metadata Worker { get; } = GatewayFixture.As("cm-ana");

    public async Task<ApiScenario> WithTeamAsync()
    {
        await gateway.Teams.CreateTeamAsync(new CreateTeamRequest { RequestId = TestKeys.Request(), TeamId = TeamId, Region = Region, Name = "North", Organisation = "city" }, Worker);
        await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = TeamId, WorkerId = "cm-ana", Role = WorkerRole.CaseManager, Organisation = "city" }, Worker);
        await gateway.Teams.AddMemberAsync(new AddMemberRequest { RequestId = TestKeys.Request(), TeamId = TeamId, WorkerId = "tl-marco", Role = WorkerRole.TeamLead, Organisation = "city" }, Worker);
        return this;
    }

    public async Task<ApiScenario> WithProgramAsync(int capacity = 5)
    {
        await gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = TestKeys.Request(), ProgramId = ProgramId, Region = Region, Name = "Housing First", Kind = ProgramKind.HousingFirst,
            Domains = { NeedDomain.Housing }, Capacity = capacity,
        }, Worker);
        return this;
    }

    public async Task<string> ClientAsync(bool assign = true, bool consent = true, RiskLevel risk = RiskLevel.Standard)
    {
        var id = TestKeys.New("c");
        await gateway.Clients.RegisterClientAsync(new RegisterClientRequest
        {
            RequestId = TestKeys.Request(), ClientId = id, Region = Region,
            Profile = new Profile { PreferredLanguage = "es", Risk = risk, Circumstances = { Circumstance.Migration } },
        }, Worker);
        if (consent)
            await gateway.Clients.RecordConsentAsync(new RecordConsentRequest
            {
                RequestId = TestKeys.Request(), ClientId = id, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms },
            }, Worker);
        if (assign)
            await gateway.Teams.AssignClientAsync(new AssignClientRequest { RequestId = TestKeys.Request(), TeamId = TeamId, ClientId = id, LeadWorkerId = "cm-ana" }, Worker);
        return id;
    }
}
