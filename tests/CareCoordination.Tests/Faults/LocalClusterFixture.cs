using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;

namespace CareCoordination.Tests.Faults;

/// <summary>
/// The documented local cluster (deploy/local-cluster.sh): a private PostgreSQL, 3 silo processes and 2 gateway
/// processes on loopback, driven from the tests and removed afterwards. Uses the binaries this test run built.
/// </summary>
public class LocalClusterFixture : IAsyncLifetime
{
    /// <summary>The script's CC_STORAGE: postgres here, azure for <see cref="AzureLocalClusterFixture"/>.</summary>
    protected virtual string Storage => "postgres";

    /// <summary>What the storage is called in figures and messages.</summary>
    public virtual string StorageName => "PostgreSQL";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-fault-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, string> _env = new();

    public int PgPort { get; private set; }
    public int SiloPortBase { get; private set; }
    public IReadOnlyList<string> Gateways { get; private set; } = [];
    /// <summary>Each gateway's management endpoint: /health/live, /health/ready, /metrics.</summary>
    /// <summary>The gateways' management endpoints (health, metrics).</summary>
    public IReadOnlyList<string> Management { get; private set; } = [];

    /// <summary>The silos' management endpoints (health, metrics).</summary>
    public IReadOnlyList<string> SiloManagement { get; private set; } = [];
    private List<GrpcChannel> _channels = [];

    /// <summary>One per gateway; calls carry the token of "cm-1" (organisation "o"), the worker the fault tests' teams have.</summary>
    public IReadOnlyList<CallInvoker> Channels { get; private set; } = [];
    public string ConnectionString => $"Host=127.0.0.1;Port={PgPort};Database=care;Username=care;Timeout=3";

    public async Task InitializeAsync()
    {
        // One block of fourteen: PostgreSQL, then 3 silo ports, 3 Orleans gateway ports, 2 gRPC ports, 2 gateway
        // management ports and 3 silo management ports (each base + i).
        var block = TestPorts.FreeBlock(14);
        PgPort = block + 1;
        SiloPortBase = block + 1;
        var orleansGateway = block + 4;
        var grpc = block + 7;
        _env["CC_CLUSTER_DIR"] = _dir;
        _env["CC_PG_PORT"] = PgPort.ToString();
        _env["CC_AZURITE_PORT"] = PgPort.ToString(); // one storage per cluster: the same slot of the block
        _env["CC_STORAGE"] = Storage;
        _env["CC_SILO_PORT"] = SiloPortBase.ToString();
        _env["CC_ORLEANS_GATEWAY_PORT"] = orleansGateway.ToString();
        _env["CC_GRPC_PORT"] = grpc.ToString();
        _env["CC_MANAGEMENT_PORT"] = (block + 9).ToString();
        Management = [$"http://127.0.0.1:{block + 10}", $"http://127.0.0.1:{block + 11}"];
        _env["CC_SILO_MANAGEMENT_PORT"] = (block + 11).ToString();
        SiloManagement = [.. Enumerable.Range(1, 3).Select(i => $"http://127.0.0.1:{block + 11 + i}")];
        _env["Auth__SigningKey"] = Convert.ToBase64String(Gateway.GatewayFixture.SigningKey);
        _env["CC_BIN"] = Path.GetDirectoryName(typeof(CareCoordination.Gateway.Hosting.GatewayApp).Assembly.Location)!;
        // Time-based gaps come due within seconds in these tests: tick every second.
        _env["CC_EXTRA_ARGS"] = "--CareGaps:ClockTick=00:00:01 --Alerts:CatchUpInterval=00:00:01 --Orleans:ResponseTimeout=00:00:05";
        await ScriptAsync("start", TimeSpan.FromMinutes(3));
        Gateways = [$"http://127.0.0.1:{grpc + 1}", $"http://127.0.0.1:{grpc + 2}"];
        _channels = Gateways.Select(g => GrpcChannel.ForAddress(g)).ToList();
        Channels = _channels.Select(c => Gateway.GatewayFixture.Authorized(c, "cm-1", "o")).ToList();
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        try
        {
            await ScriptAsync("stop", TimeSpan.FromMinutes(1));
        }
        finally
        {
            // The processes' logs outlive the run under .ci/out, to explain a failure seen only in CI.
            var logs = Path.Combine(_dir, "logs");
            var kept = Path.Combine(RepoRoot(), ".ci", "out", "cluster-logs");
            if (Directory.Exists(logs))
            {
                Directory.CreateDirectory(kept);
                foreach (var file in Directory.GetFiles(logs)) File.Copy(file, Path.Combine(kept, Path.GetFileName(file)), overwrite: true);
            }
            await ScriptAsync("destroy", TimeSpan.FromMinutes(1));
        }
    }

    public Task KillSiloAsync(int n) => ScriptAsync($"kill-silo {n}", TimeSpan.FromSeconds(30));
    public Task StopServicesAsync() => ScriptAsync("stop-services", TimeSpan.FromMinutes(1));
    public Task StartServicesAsync() => ScriptAsync("start-services", TimeSpan.FromMinutes(2));
    public Task StopStorageAsync() => ScriptAsync("storage-stop", TimeSpan.FromSeconds(30));
    public Task StartStorageAsync() => ScriptAsync("storage-start", TimeSpan.FromSeconds(60));

    /// <summary>Membership status of the silo on port SiloPortBase + n, read from the cluster's own table.</summary>
    public virtual async Task<int?> SiloStatusAsync(int n)
    {
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status FROM orleansmembershiptable WHERE port = @p ORDER BY generation DESC LIMIT 1", db);
        cmd.Parameters.AddWithValue("p", SiloPortBase + n);
        return await cmd.ExecuteScalarAsync() is int status ? status : null;
    }

    private async Task ScriptAsync(string args, TimeSpan timeout)
    {
        var script = Path.Combine(RepoRoot(), "deploy", "local-cluster.sh");
        var psi = new ProcessStartInfo("bash", $"{script} {args}") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException($"local-cluster.sh {args} took over {timeout}"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"local-cluster.sh {args} failed ({process.ExitCode}): {await output} {await error} {Logs()}");
    }

    /// <summary>The last lines of a process's log (silo1..3, gateway1..2), to explain a failure.</summary>
    public string LogTail(string name, int lines = 40)
    {
        var file = Path.Combine(_dir, "logs", name + ".log");
        return File.Exists(file) ? string.Join("\n", File.ReadLines(file).TakeLast(lines)) : "";
    }

    private string Logs()
    {
        var logs = Path.Combine(_dir, "logs");
        return Directory.Exists(logs)
            ? string.Join("\n", Directory.GetFiles(logs).Select(f => $"--- {Path.GetFileName(f)}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}"))
            : "";
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CareCoordination.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>Not run alongside other collections: five processes and PostgreSQL on two cores need the machine to themselves to keep their timings.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LocalClusterCollection : ICollectionFixture<LocalClusterFixture>
{
    public const string Name = "local-cluster";
}

/// <summary>The same cluster on Azure Table storage (Azurite) instead of PostgreSQL: CC_STORAGE=azure.</summary>
public sealed class AzureLocalClusterFixture : LocalClusterFixture
{
    protected override string Storage => "azure";

    public override string StorageName => "Azure Table storage (Azurite)";

    private string AzureConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"TableEndpoint=http://127.0.0.1:{PgPort}/devstoreaccount1;";

    /// <summary>From Orleans' membership table in Azure Table storage (status by name, one row per silo generation).</summary>
    public override async Task<int?> SiloStatusAsync(int n)
    {
        var table = new Azure.Data.Tables.TableClient(AzureConnectionString, "OrleansSiloInstances");
        var port = (SiloPortBase + n).ToString();
        Azure.Data.Tables.TableEntity? latest = null;
        await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>(Azure.Data.Tables.TableClient.CreateQueryFilter($"Port eq {port}")))
            if (latest is null || string.CompareOrdinal(row.GetString("Generation"), latest.GetString("Generation")) > 0) latest = row;
        return latest?.GetString("Status") is { } status && Enum.TryParse<Orleans.Runtime.SiloStatus>(status, out var parsed) ? (int)parsed : null;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AzureLocalClusterCollection : ICollectionFixture<AzureLocalClusterFixture>
{
    public const string Name = "local-cluster-azure";
}
