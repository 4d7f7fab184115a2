using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CareCoordination.Benchmarks;

/// <summary>
/// The embedded gateway's silo reached as an Orleans client over its gateway port, for the memory phase: Orleans'
/// management grain runs a full garbage collection in the gateway (so a heap figure holds live objects only, not
/// what died since the last collection of its generation), collects idle activations (what the collection age does
/// after 15 minutes of idling) and lists activations by type. The heap itself is read from the gateway's Prometheus
/// endpoint (the runtime's System.Runtime meter).
/// </summary>
public sealed class SiloControl : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IManagementGrain _management;
    private readonly HttpClient _metrics;

    private SiloControl(IHost host, int managementPort)
    {
        _host = host;
        _management = ((IClusterClient)host.Services.GetService(typeof(IClusterClient))!).GetGrain<IManagementGrain>(0);
        _metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };
    }

    public static async Task<SiloControl> ConnectAsync(int orleansGatewayPort, int managementPort)
    {
        // The cluster and service ids are the gateway's defaults (SiloHosting).
        var host = new HostBuilder()
            .UseOrleansClient(c => c.UseLocalhostClustering(orleansGatewayPort, "care-coordination", "care-coordination"))
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await host.StartAsync();
        return new SiloControl(host, managementPort);
    }

    /// <summary>The managed heap in use after a full, blocking collection: its size less its free space.</summary>
    public async Task<long> LiveHeapBytesAsync()
    {
        await _management.ForceGarbageCollection([.. (await _management.GetHosts(onlyActive: true)).Keys]);
        var metrics = (await _metrics.GetStringAsync("/metrics")).Split('\n');
        long Sum(string name) => metrics.Where(l => l.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        var live = Sum("dotnet_gc_last_collection_heap_size_bytes")
                   - Sum("dotnet_gc_last_collection_heap_fragmentation_size_bytes");
        return live > 0 ? live : throw new InvalidOperationException("the gateway's /metrics has no GC heap sizes");
    }

    /// <summary>Deactivates every activation idle for at least <paramref name="idle"/>.</summary>
    public Task CollectIdleAsync(TimeSpan idle) => _management.ForceActivationCollection(idle);

    /// <summary>How many activations of a grain type (e.g. "client", a person's record) are in memory.</summary>
    public async Task<int> ActivationsAsync(string grainType) =>
        (await _management.GetActiveGrains(GrainType.Create(grainType))).Count;

    public async ValueTask DisposeAsync()
    {
        _metrics.Dispose();
        await _host.StopAsync();
        _host.Dispose();
    }
}
