using System.Collections.Concurrent;
using System.Diagnostics;

namespace CareCoordination.Benchmarks;

/// <summary>What one load phase measured: completed calls per second and latency percentiles.</summary>
public sealed record Measured(string Name, double PerSecond, double P50Ms, double P99Ms, double MaxMs, int Errors, string ErrorKinds = "")
{
    public override string ToString() => $"{PerSecond:N0} req/s, p50 {P50Ms:0.00} ms, p99 {P99Ms:0.00} ms, max {MaxMs:0.0} ms" +
                                         (Errors > 0 ? $", errors {Errors} ({ErrorKinds})" : "");
}

/// <summary>
/// Drives calls over loopback: closed loop (as fast as <c>callers</c> concurrent calls allow), or paced at a fixed
/// rate (open loop, so a slow call does not slow the schedule). A warm-up is run and discarded; each phase is bounded
/// by time.
/// </summary>
public static class Load
{
    // Numbers every call of the run, warm-ups included, so request ids built from it never repeat.
    private static long _sequence;

    public static async Task<Measured> ClosedAsync(string name, int callers, TimeSpan duration, Func<int, long, Task> call,
        TimeSpan? warmup = null)
    {
        await RunAsync(callers, warmup ?? TimeSpan.FromSeconds(2), call, null);
        return await RunAsync(callers, duration, call, name);
    }

    private static async Task<Measured> RunAsync(int callers, TimeSpan duration, Func<int, long, Task> call, string? name)
    {
        var latencies = new List<double>[callers];
        var errors = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var mine = latencies[caller] = new List<double>(100_000);
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                try { await call(caller, Interlocked.Increment(ref _sequence)); }
                catch (Exception e) { errors.AddOrUpdate(Kind(e), 1, (_, n) => n + 1); continue; }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })));
        return Summarize(name ?? "warm-up", latencies.SelectMany(l => l).ToList(), clock.Elapsed, errors);
    }

    private static string Kind(Exception e) => e is Grpc.Core.RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.GetType().Name;

    /// <summary>Calls started at <paramref name="perSecond"/> for the duration, whatever the answers' speed.</summary>
    public static async Task<Measured> PacedAsync(string name, double perSecond, TimeSpan duration, Func<long, Task> call)
    {
        var latencies = new List<double>();
        var errors = new ConcurrentDictionary<string, int>();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        long n = 0;
        while (clock.Elapsed < duration)
        {
            var due = TimeSpan.FromSeconds(n / perSecond);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed < TimeSpan.FromMilliseconds(1) ? TimeSpan.Zero : due - clock.Elapsed);
            var id = ++n;
            inFlight.Add(Task.Run(async () =>
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(id);
                    var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    lock (latencies) latencies.Add(ms);
                }
                catch (Exception e) { errors.AddOrUpdate(Kind(e), 1, (_, c) => c + 1); }
            }));
        }
        await Task.WhenAll(inFlight);
        return Summarize(name, latencies, clock.Elapsed, errors);
    }

    public static Measured Summarize(string name, List<double> latencies, TimeSpan elapsed, ConcurrentDictionary<string, int> errors)
    {
        latencies.Sort();
        double At(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return new Measured(name, latencies.Count / elapsed.TotalSeconds, At(0.5), At(0.99), latencies.Count == 0 ? double.NaN : latencies[^1],
            errors.Values.Sum(), string.Join("; ", errors.OrderByDescending(e => e.Value).Take(3).Select(e => $"{e.Value}× {e.Key}")));
    }
}
