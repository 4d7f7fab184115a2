using System.Diagnostics;
using System.Net.Sockets;
using CareCoordination.Tests.Faults;

namespace CareCoordination.Tests.Storage;

/// <summary>
/// Azurite's table service (the Azure Storage emulator, tools/azurite: npm azurite 3.35.0), on a spare loopback port
/// with its data in a folder of its own, so it can be stopped and started again like a storage outage. Installed
/// from the lock file on first use when missing.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    // Azurite's fixed development account (public, documented by Microsoft; not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly string _location = Path.Combine(Path.GetTempPath(), $"cc-azurite-{Guid.NewGuid():N}");
    private Process? _process;

    private Azurite(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    public static async Task<Azurite> StartAsync(int? port = null)
    {
        var azurite = new Azurite(port ?? TestPorts.Free());
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>The table service's command, as the local cluster script also finds it.</summary>
    public static string Command => Path.Combine(LocalClusterFixture.RepoRoot(), "tools", "azurite", "node_modules", ".bin", "azurite-table");

    public static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (File.Exists(Command)) return;
            var psi = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
            {
                WorkingDirectory = Path.Combine(LocalClusterFixture.RepoRoot(), "tools", "azurite"),
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var npm = Process.Start(psi)!;
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (npm.ExitCode != 0 || !File.Exists(Command))
                throw new InvalidOperationException($"npm ci in tools/azurite failed ({npm.ExitCode}): {await output} {await errors}");
        }
        finally
        {
            Install.Release();
        }
    }

    /// <summary>Starts (again, after <see cref="StopAsync"/>) on the same port with the same data.</summary>
    public async Task StartAgainAsync()
    {
        await EnsureInstalledAsync();
        Directory.CreateDirectory(_location);
        var psi = new ProcessStartInfo(Command,
            $"--tableHost 127.0.0.1 --tablePort {Port} --location {_location} --disableTelemetry --skipApiVersionCheck")
            { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"azurite-table exited ({_process.ExitCode}) on port {Port}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"azurite-table did not open port {Port}");
    }

    /// <summary>
    /// Stops it so that it keeps what it acknowledged (SIGINT: it saves its data and exits; it saves only every 5 s
    /// otherwise, and SIGTERM would lose the last seconds); the port then refuses.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString()])) await kill.WaitForExitAsync();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One Azurite for the Azure Storage store contract tests.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await Azurite.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
