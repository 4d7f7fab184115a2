using System.Diagnostics;
using System.Net.Sockets;

namespace CareCoordination.Benchmarks;

/// <summary>A process the benchmark started (the no-op server, a gateway), stopped with it whatever happens.</summary>
public sealed class Started : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private Started(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public int Pid => _process.Id;

    public static async Task<Started> RunAsync(string name, string dll, IEnumerable<string> args, int port,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var started = new Started(Process.Start(psi)!, name);
        started._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (started._output) started._output.Add(e.Data); };
        started._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (started._output) started._output.Add(e.Data); };
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (started._process.HasExited)
                throw new InvalidOperationException($"{name} exited ({started._process.ExitCode}): {string.Join('\n', started._output.TakeLast(20))}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return started;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        await started.DisposeAsync();
        throw new TimeoutException($"{name} did not open port {port}");
    }

    /// <summary>Resident memory of the process (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    /// <summary>CPU time the process used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("CC_BENCH_LOGS") is { Length: > 0 } logs)
            lock (_output) File.WriteAllLines(Path.Combine(logs, $"{_process.Id}.log"), _output);
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>Runs a shell script to its end (bounded to five minutes); its output is shown only if it fails.</summary>
    public static async Task ScriptAsync(string script, string command, IDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(command);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(script)} {command} failed ({process.ExitCode}): {await output}{await errors}");
    }

    public static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
