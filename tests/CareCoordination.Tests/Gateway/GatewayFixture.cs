using CareCoordination.Api.V1;

using CareCoordination.Gateway.Hosting;
using CareCoordination.Gateway.Security;
using Grpc.Core.Interceptors;
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

    /// <summary>Calls as <see cref="DefaultWorker"/> unless a call sends its own token.</summary>
    public CallInvoker Invoker { get; private set; } = null!;
    public Api.V1.Clients.ClientsClient Clients => new(Invoker);
    public Api.V1.CareTeams.CareTeamsClient Teams => new(Invoker);
    public Api.V1.Programs.ProgramsClient Programs => new(Invoker);
    public Api.V1.Alerts.AlertsClient Alerts => new(Invoker);
    public Api.V1.Reports.ReportsClient Reports => new(Invoker);
    public Api.V1.Audit.AuditClient Audit => new(Invoker);

    /// <summary>The key test gateways check tokens with (setting Auth:SigningKey), and tests mint them with.</summary>
    public static readonly byte[] SigningKey = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    public const string DefaultWorker = "cm-ana";

    /// <summary>A case manager who also leads teams and coordinates programs: what most scenarios need of one worker.</summary>
    public static readonly string[] DefaultRoles = [Roles.CaseManager, Roles.TeamLead, Roles.ProgramCoordinator];

    public static string Token(string subject, string[]? roles = null, string organisation = "city", string? region = null,
        TimeSpan? lifetime = null) =>
        Authentication.Mint(SigningKey, subject, roles ?? DefaultRoles, organisation, region, lifetime ?? TimeSpan.FromHours(1));

    /// <summary>Headers of a call made by this worker (or service).</summary>
    public static Metadata As(string worker, string[]? roles = null, string organisation = "city", string? region = null,
        TimeSpan? lifetime = null) =>
        new() { { "authorization", $"Bearer {Token(worker, roles, organisation, region, lifetime)}" } };

    /// <summary>A call invoker that sends a worker's token (<see cref="DefaultWorker"/>'s by default) on calls that carry none.</summary>
    public static CallInvoker Authorized(GrpcChannel channel, string worker = DefaultWorker, string organisation = "city") =>
        channel.Intercept(metadata =>
        {
            if (metadata.All(e => e.Key != "authorization")) metadata.Add("authorization", $"Bearer {Token(worker, organisation: organisation)}");
            return metadata;
        });

    /// <summary>Settings over the test defaults, for a gateway a test starts for itself (<see cref="StartWithAsync"/>).</summary>
    private Dictionary<string, string?> Settings { get; init; } = new();
    private Action<WebApplicationBuilder>? Configure { get; init; }

    public async Task InitializeAsync()
    {
        App = await StartAsync(Clock, new(Settings) { ["Storage:Provider"] = Settings.GetValueOrDefault("Storage:Provider") ?? "Memory" },
            Configure);
        // The gRPC endpoint's address (a test may add a management or dashboard endpoint beside it).
        var others = new[] { "Management:Url", "Dashboard:Url" }.Select(k => Settings.GetValueOrDefault(k)?.TrimEnd('/'))
            .Where(u => !string.IsNullOrEmpty(u)).ToList();
        Address = App.Addresses().Single(a => !others.Contains(a.TrimEnd('/')));
        Channel = GrpcChannel.ForAddress(Address);
        Invoker = Authorized(Channel);
    }

    /// <summary>A gateway of its own for one test, with some settings changed; dispose it at the end.</summary>
    public static async Task<GatewayFixture> StartWithAsync(Dictionary<string, string?> settings,
        Action<WebApplicationBuilder>? configure = null)
    {
        var gateway = new GatewayFixture { Settings = settings, Configure = configure };
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
                ["Auth:SigningKey"] = Convert.ToBase64String(SigningKey),
                ["Management:Url"] = "", // tests that probe health give it a port of their own
                ["Dashboard:Enabled"] = "false", // whatever the environment: the dashboard's test turns it on
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
    public string WorkerId => GatewayFixture.DefaultWorker;
    /// <summary>The program's coordinator (besides the worker who registered it).</summary>
    public const string Coordinator = "coord-1";
    public Metadata Worker { get; } = GatewayFixture.As(GatewayFixture.DefaultWorker);

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
            Domains = { NeedDomain.Housing }, Capacity = capacity, Coordinators = { Coordinator },
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
