using System.Collections.Concurrent;
using CareCoordination.Api.V1;
using CareCoordination.Gateway.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace CareCoordination.Benchmarks;

/// <summary>
/// The real service as a platform reaches it: a gateway process started from this folder's binaries, called over
/// gRPC with a bearer token, and a region built on it over the public API.
/// </summary>
public sealed class Service : IAsyncDisposable
{
    private static readonly byte[] SigningKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private readonly Started? _process;
    private readonly GrpcChannel[] _channels;
    private readonly string _folder;
    private readonly Func<Task>? _stop;

    public string Token { get; } = Authentication.Mint(SigningKey, "cm-bench",
        [Roles.CaseManager, Roles.TeamLead, Roles.ProgramCoordinator], "city", null, TimeSpan.FromHours(2));

    public Metadata Headers => new() { { "authorization", "Bearer " + Token } };

    public int Port { get; }

    public string Region { get; } = "region-bench";
    public string Team { get; } = "team-bench";
    public List<string> Clients { get; } = [];
    public List<string> Programs { get; } = [];

    /// <summary>The embedded silo's Orleans gateway port and the management port (probes, metrics): 0 in a cluster.</summary>
    public int OrleansGatewayPort { get; private init; }
    public int ManagementPort { get; private init; }

    private Service(Started? process, int[] ports, string folder, Func<Task>? stop = null)
    {
        _process = process;
        Port = ports[0];
        _folder = folder;
        _stop = stop;
        // Four channels, spread over the gateways (one embedded gateway, or the cluster's two).
        _channels = Enumerable.Range(0, 4).Select(i => GrpcChannel.ForAddress($"http://127.0.0.1:{ports[i % ports.Length]}", new GrpcChannelOptions
            { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } })).ToArray();
    }

    /// <summary>The gateway process of the embedded mode (a cluster has five, started by its script).</summary>
    public Started Process => _process ?? throw new InvalidOperationException("the cluster's processes belong to deploy/local-cluster.sh");

    public bool IsCluster => _process is null;

    /// <summary>A gateway in embedded mode (its own silo) on the given storage, with a folder of its own.</summary>
    public static async Task<Service> StartAsync(string storage, Dictionary<string, string>? environment = null)
    {
        var (port, orleansGateway, management) = (Started.FreePort(), Started.FreePort(), Started.FreePort());
        var folder = Path.Combine(Path.GetTempPath(), $"cc-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var process = await Started.RunAsync($"gateway ({storage})", "CareCoordination.Gateway.dll",
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{port}", $"--Management:Url=http://127.0.0.1:{management}",
            $"--Storage:Provider={storage}", $"--Storage:SqlitePath={Path.Combine(folder, "care.db")}",
            $"--Orleans:SiloPort={Started.FreePort()}", $"--Orleans:GatewayPort={orleansGateway}",
            "--Logging:LogLevel:Default=Warning",
        ], port, new Dictionary<string, string>(environment ?? new()) { ["Auth__SigningKey"] = Convert.ToBase64String(SigningKey) });
        return new Service(process, [port], folder) { OrleansGatewayPort = orleansGateway, ManagementPort = management };
    }

    /// <summary>
    /// The PostgreSQL mode as deploy/local-cluster.sh runs it: a private PostgreSQL, 3 silos and 2 gateways from this
    /// folder's binaries, on ports of their own (not the script's defaults, so a developer's cluster is left alone).
    /// </summary>
    public static async Task<Service> StartClusterAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "deploy", "local-cluster.sh")))
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("deploy/local-cluster.sh not found above " + AppContext.BaseDirectory);
        var folder = Path.Combine(Path.GetTempPath(), $"cc-bench-cluster-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string>
        {
            ["CC_CLUSTER_DIR"] = folder, ["CC_BIN"] = AppContext.BaseDirectory, ["CC_PG_PORT"] = "56432", ["CC_SILO_PORT"] = "22111",
            ["CC_ORLEANS_GATEWAY_PORT"] = "32000", ["CC_GRPC_PORT"] = "6090", ["CC_MANAGEMENT_PORT"] = "6190",
            ["CC_SILO_MANAGEMENT_PORT"] = "6290", ["Auth__SigningKey"] = Convert.ToBase64String(SigningKey),
        };
        Task Script(string command) => Started.ScriptAsync(Path.Combine(root, "deploy", "local-cluster.sh"), command, environment);
        try
        {
            await Script("start");
        }
        catch
        {
            await Script("destroy");
            throw;
        }
        return new Service(null, [6091, 6092], folder, () => Script("destroy"));
    }

    public Api.V1.Clients.ClientsClient ClientsApi(int caller) => new(_channels[caller % _channels.Length]);
    public Api.V1.Programs.ProgramsClient ProgramsApi(int caller) => new(_channels[caller % _channels.Length]);
    public Api.V1.CareTeams.CareTeamsClient TeamsApi(int caller) => new(_channels[caller % _channels.Length]);
    public Api.V1.Alerts.AlertsClient AlertsApi(int caller) => new(_channels[caller % _channels.Length]);

    /// <summary>A team, programs, and people with a realistic record: consent, an assessment, two goals, contacts.</summary>
    public async Task BuildRegionAsync(int clients, int programs, string team)
    {
        var teams = TeamsApi(0);
        await teams.CreateTeamAsync(new CreateTeamRequest { RequestId = $"{team}-create", TeamId = team, Region = Region, Name = "Bench", Organisation = "city" }, Headers);
        await teams.AddMemberAsync(new AddMemberRequest { RequestId = $"{team}-member", TeamId = team, WorkerId = "cm-bench", Role = WorkerRole.TeamLead, Organisation = "city" }, Headers);
        for (var p = Programs.Count; p < programs; p++)
        {
            var id = $"prog-{p:D3}";
            await ProgramsApi(0).RegisterProgramAsync(new RegisterProgramRequest
            {
                RequestId = $"{id}-register", ProgramId = id, Region = Region, Name = "Housing First", Kind = ProgramKind.HousingFirst,
                Domains = { NeedDomain.Housing }, Capacity = 100_000,
            }, Headers);
            Programs.Add(id);
        }
        var start = Clients.Count;
        await Parallel.ForEachAsync(Enumerable.Range(start, clients), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var id = $"c-{team}-{i:D6}";
            await RegisterAsync(i, id, team);
            lock (Clients) Clients.Add(id);
        });
    }

    private async Task RegisterAsync(int caller, string id, string team)
    {
        var api = ClientsApi(caller);
        await api.RegisterClientAsync(new RegisterClientRequest
        {
            RequestId = $"{id}-register", ClientId = id, Region = Region,
            Profile = new Profile { PreferredLanguage = "es", Risk = RiskLevel.High, Circumstances = { Circumstance.Migration, Circumstance.Homelessness } },
        }, Headers);
        await api.RecordConsentAsync(new RecordConsentRequest
            { RequestId = $"{id}-consent", ClientId = id, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms } }, Headers);
        await TeamsApi(caller).AssignClientAsync(new AssignClientRequest { RequestId = $"{id}-assign", TeamId = team, ClientId = id, LeadWorkerId = "cm-bench" }, Headers);
        await api.RecordAssessmentAsync(new RecordAssessmentRequest
        {
            RequestId = $"{id}-assess", ClientId = id,
            Needs = { new Need { Domain = NeedDomain.Housing, Severity = 4 }, new Need { Domain = NeedDomain.Employment, Severity = 2 } },
        }, Headers);
        await api.SetGoalAsync(new SetGoalRequest { RequestId = $"{id}-goal-1", ClientId = id, Domain = NeedDomain.Housing, Title = "Stable housing within six months" }, Headers);
        await api.SetGoalAsync(new SetGoalRequest { RequestId = $"{id}-goal-2", ClientId = id, Domain = NeedDomain.Employment, Title = "Job search with a mentor" }, Headers);
        for (var c = 0; c < 5; c++)
            await api.RecordContactAsync(new RecordContactRequest { RequestId = $"{id}-contact-{c}", ClientId = id, Kind = ContactKind.InPerson }, Headers);
    }

    /// <summary>Registers people with the realistic record above, for a memory measurement.</summary>
    public Task AddClientsAsync(int count, string team, int first) =>
        Parallel.ForEachAsync(Enumerable.Range(first, count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await RegisterAsync(i, $"c-mem-{i:D6}", team));

    /// <summary>Consent that ends in 5 days opens ConsentExpiring, consent without end closes it: one alert per call.</summary>
    public Task ToggleConsentAsync(int caller, string client, long n, string run) =>
        ClientsApi(caller).RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = $"{client}-toggle-{run}-{n}", ClientId = client, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms },
            ExpiresAt = n % 2 == 1 ? Timestamp.FromDateTime(DateTime.UtcNow.AddDays(5)) : null,
        }, Headers).ResponseAsync;

    public readonly ConcurrentQueue<(string Program, string Referral)> PendingReferrals = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        if (_process is not null) await _process.DisposeAsync();
        if (_stop is not null) await _stop();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
