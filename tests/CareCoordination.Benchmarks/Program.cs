using System.Collections.Concurrent;
using System.Diagnostics;
using CareCoordination.Api.V1;
using CareCoordination.Benchmarks;
using CareCoordination.Benchmarks.Noop;
using Grpc.Net.Client;

// The service against a bare gRPC no-op on the same machine, in one run: every figure with its ratio to the no-op.
//   dotnet run -c Release --project tests/CareCoordination.Benchmarks [-- --seconds 8 --callers 32 --postgres]
// Loopback only; every process it starts is stopped at the end; about three minutes with the defaults.
if (args.FirstOrDefault() == "noop-server")
{
    await NoopServer.RunAsync(int.Parse(args[1]));
    return 0;
}

var seconds = Option("--seconds", 8);
// --only memory-writes: just the in-memory write phase, printing the gateway's PID first (to attach a profiler);
// --only sqlite: the no-op and the embedded durable phases, without alerts and memory; --only alerts: the alert
// latencies alone (on the embedded service); --only memory: memory alone;
// --postgres: also the durable phases on the local PostgreSQL cluster (3 silos, 2 gateways; needs PostgreSQL installed).
// CC_BENCH_LOGS=<folder>: each started process's output is kept there, as <pid>.log, when it stops.
var only = Array.IndexOf(args, "--only") is var o and >= 0 && o + 1 < args.Length ? args[o + 1] : null;
var callers = Option("--callers", 32);
var postgres = args.Contains("--postgres");
var phase = TimeSpan.FromSeconds(seconds);
// h2load sends a fixed body: reads of several people take one h2load process each (and the no-op as many).
const int H2LoadPeople = 4;
var report = new Report(callers, phase);

// 1. The anchor.
var noopPort = Started.FreePort();
Measured noop;
if (only is null or "sqlite")
await using (var server = await Started.RunAsync("no-op server", "CareCoordination.Benchmarks.dll", ["noop-server", noopPort.ToString()], noopPort))
{
    var channels = Enumerable.Range(0, 4).Select(_ => GrpcChannel.ForAddress($"http://127.0.0.1:{noopPort}", new GrpcChannelOptions
        { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } })).ToArray();
    var clients = channels.Select(c => new Noop.NoopClient(c)).ToArray();
    noop = await Load.ClosedAsync("bare gRPC no-op", callers, phase, (caller, _) =>
        clients[caller % clients.Length].CallAsync(new Ping { ClientId = "c-000001" }).ResponseAsync);
    report.Anchor(noop);
    foreach (var c in channels) c.Dispose();
    if (await H2Load.RunAsync("bare gRPC no-op, h2load", noopPort, "/carecoordination.bench.v1.Noop/Call",
            Enumerable.Range(1, H2LoadPeople).Select(i => new Ping { ClientId = $"c-{i:D6}" }).ToList(), null, phase, callers) is { } h2)
        report.Add(report.H2LoadAnchor = h2, "mean for the p50 column", h2);
}

// 2. The service, embedded, on its durable default (SQLite, synchronous=FULL); and, on request (--postgres), the
// PostgreSQL cluster of deploy/local-cluster.sh (3 silos, 2 gateways, one database) on the same machine.
if (only is null or "sqlite" or "alerts")
await using (var service = await Service.StartAsync("Sqlite"))
    await DurableAsync(service, "embedded SQLite", alerts: only is null or "alerts");
if (postgres)
await using (var cluster = await Service.StartClusterAsync())
    await DurableAsync(cluster, "PostgreSQL cluster", alerts: false);

// Memory: what each person with a realistic record costs while active (just written), in a gateway of its own with
// workstation GC (server GC keeps large free heaps per core, which would bury the per-person figure in slack); then
// what is left of it once they are idle and Orleans has collected their activations.
if (only is null or "memory")
await using (var sized = await Service.StartAsync("Sqlite", new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }))
await using (var silo = await SiloControl.ConnectAsync(sized.OrleansGatewayPort, sized.ManagementPort))
{
    await sized.BuildRegionAsync(clients: 10, programs: 1, sized.Team);
    var heapStart = await silo.LiveHeapBytesAsync();
    // A first 2,000 people warm the process (code compiled, pools and caches grown to their size, SQLite's page
    // caches full): the figures are the growth from the next 4,000, which is what each more person costs.
    await sized.AddClientsAsync(2000, sized.Team, first: 0);
    await Task.Delay(3000);
    var (rssBefore, heapBefore) = (sized.Process.ResidentBytes(), await silo.LiveHeapBytesAsync());
    const int more = 4000;
    await sized.AddClientsAsync(more, sized.Team, first: 2000);
    await Task.Delay(3000);
    var (rssActive, heapActive) = (sized.Process.ResidentBytes(), await silo.LiveHeapBytesAsync());
    var activeRecords = await silo.ActivationsAsync("client");
    if (only is not null)
    {
        // Time to take a heap dump of the gateway (dotnet-gcdump collect -p PID) before it stops.
        Console.Error.WriteLine($"  gateway pid {sized.Process.Pid}; holding {Option("--hold", 0)} s");
        await Task.Delay(TimeSpan.FromSeconds(Option("--hold", 0)));
    }
    double PerPerson(long bytes) => bytes / (double)more / 1024;
    string Mib(long bytes) => $"{bytes / 1048576.0:0.0}";
    report.Line($"memory per active client (realistic record, {more} people)",
        $"{PerPerson(heapActive - heapBefore):0.0} KiB of live managed heap (after a full collection); " +
        $"{PerPerson(rssActive - rssBefore):0.0} KiB RSS (workstation GC)", "");

    // Idle: nobody calls them; Orleans' collector (run now for what its age limit does after 15 minutes) takes
    // every activation idle for a second.
    await Task.Delay(2000);
    await silo.CollectIdleAsync(TimeSpan.FromSeconds(1));
    var idleRecords = await silo.ActivationsAsync("client");
    var heapIdle = await silo.LiveHeapBytesAsync();
    report.Line($"idle clients leave memory ({activeRecords:N0} people's records in memory, then idle)",
        $"{idleRecords:N0} records left in memory; live managed heap {Mib(heapActive)} MiB active, " +
        $"{Mib(heapIdle)} MiB idle ({Mib(heapStart)} MiB before the first of them was registered)", "");
}

// 3. The same writes on process memory only: what storage costs.
if (only is null or "memory-writes")
await using (var memory = await Service.StartAsync("Memory"))
{
    await memory.BuildRegionAsync(clients: 200, programs: 1, memory.Team);
    if (only is not null) Console.Error.WriteLine($"  gateway pid {memory.Process.Pid}");
    report.Add(await Load.ClosedAsync("RecordContact, Storage:Provider=Memory", callers, phase, (caller, n) =>
        memory.ClientsApi(caller).RecordContactAsync(new RecordContactRequest
            { RequestId = $"mem-{n}", ClientId = memory.Clients[(int)(n % memory.Clients.Count)], Kind = ContactKind.Phone }, memory.Headers).ResponseAsync));
}

report.Print();
return 0;

async Task DurableAsync(Service service, string where, bool alerts)
{
    var setup = Stopwatch.StartNew();
    await service.BuildRegionAsync(clients: 200, programs: 20, service.Team);
    if (only is not null && !service.IsCluster) Console.Error.WriteLine($"  gateway pid {service.Process.Pid}");
    report.Note($"{where}: region built: 200 people with consent, assessment, 2 goals and 5 contacts each, 20 programs ({setup.Elapsed.TotalSeconds:0.0} s)");
    if (only == "alerts")
    {
        await AlertLatenciesAsync();
        return;
    }
    var random = new ThreadLocal<Random>(() => new Random(Environment.CurrentManagedThreadId));
    string AnyClient() => service.Clients[random.Value!.Next(service.Clients.Count)];

    report.Add(await Load.ClosedAsync($"GetClient (warm), {where}", callers, phase, (caller, _) =>
        service.ClientsApi(caller).GetClientAsync(new GetClientRequest { ClientId = AnyClient() }, service.Headers).ResponseAsync));

    if (report.H2LoadAnchor is not null && await H2Load.RunAsync($"GetClient (warm, {H2LoadPeople} people), {where}, h2load", service.Port,
            "/carecoordination.v1.Clients/GetClient", service.Clients.Take(H2LoadPeople).Select(c => new GetClientRequest { ClientId = c }).ToList(),
            service.Token, phase, callers) is { } h2Read)
        report.Add(h2Read, "mean for the p50 column", report.H2LoadAnchor);

    var run = Guid.NewGuid().ToString("N")[..6];
    Task Contact(int caller, long n) => service.ClientsApi(caller).RecordContactAsync(new RecordContactRequest
        { RequestId = $"bench-{run}-{n}", ClientId = AnyClient(), Kind = ContactKind.Phone }, service.Headers).ResponseAsync;
    var cpu = service.IsCluster ? TimeSpan.Zero : service.Process.CpuTime();
    var contacts = await Load.ClosedAsync($"RecordContact, {where}", callers, phase, Contact);
    if (service.IsCluster)
    {
        report.Add(contacts);
    }
    else
    {
        var busy = (service.Process.CpuTime() - cpu).TotalSeconds / ((phase + TimeSpan.FromSeconds(2)).TotalSeconds * Environment.ProcessorCount);
        report.Add(contacts, $"service process {busy:P0} of the machine's CPU");
    }
    var half = contacts.PerSecond / 2;
    long paced = 0;
    report.Add(await Load.PacedAsync($"RecordContact at half that rate ({half:N0}/s), {where}", half, phase,
        n => Contact((int)(n % callers), Interlocked.Increment(ref paced) + 10_000_000)));

    long referrals = -1;
    // Each kind of call's own latencies too, to tell where the mix's tail comes from (warm-up calls included).
    var kinds = new ConcurrentDictionary<string, List<double>>();
    async Task Timed(string kind, Func<Task> call)
    {
        var start = Stopwatch.GetTimestamp();
        await call();
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var list = kinds.GetOrAdd(kind, _ => new List<double>());
        lock (list) list.Add(ms);
    }
    var mix = await Load.ClosedAsync($"70% reads / 30% writes with referrals, {where}", callers, phase, async (caller, n) =>
    {
        var dice = (int)(n % 100);
        if (dice < 70)
        {
            await Timed("GetClient", async () => await service.ClientsApi(caller).GetClientAsync(new GetClientRequest { ClientId = AnyClient() }, service.Headers));
        }
        else if (dice < 85)
        {
            await Timed("RecordContact", () => Contact(caller, n + 20_000_000));
        }
        else if (dice < 93 || !service.PendingReferrals.TryDequeue(out var pending))
        {
            // Each (person, program) pair once: a person has one open referral per program and domain.
            var pair = Interlocked.Increment(ref referrals);
            var program = service.Programs[(int)(pair / service.Clients.Count % service.Programs.Count)];
            var person = service.Clients[(int)(pair % service.Clients.Count)];
            await Timed("Refer", async () =>
            {
                var referral = await service.ProgramsApi(caller).ReferAsync(new ReferRequest
                    { RequestId = $"refer-{run}-{n}", ClientId = person, ProgramId = program, Domain = NeedDomain.Housing }, service.Headers);
                service.PendingReferrals.Enqueue((program, referral.ReferralId));
            });
        }
        else
        {
            await Timed("RespondToReferral", async () => await service.ProgramsApi(caller).RespondToReferralAsync(new RespondToReferralRequest
                { RequestId = $"respond-{run}-{n}", ProgramId = pending.Program, ReferralId = pending.Referral, Accept = true }, service.Headers));
        }
    });
    var byKind = kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k =>
    {
        lock (k.Value)
        {
            var m = Load.Summarize(k.Key, k.Value.ToList(), phase, new());
            return $"{k.Key} p50 {m.P50Ms:0.0} / p99 {m.P99Ms:0.0} ms";
        }
    });
    report.Add(mix, $"by call: {string.Join("; ", byKind)}");

    await AlertLatenciesAsync();

    // Alert latency: a case manager subscribed to the team feed; each consent toggle raises one alert on it.
    async Task AlertLatenciesAsync()
    {
        foreach (var rate in alerts ? new[] { 100, 500, 1000 } : [])
            report.Add(await AlertLatencyAsync(service, rate, phase), "write sent → alert received by the subscriber");
    }
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

static async Task<Measured> AlertLatencyAsync(Service service, int perSecond, TimeSpan duration)
{
    var sent = new ConcurrentDictionary<string, long>(); // client/kind → when its write was sent
    var writing0 = 0;
    var sequences = new HashSet<long>(); // of the alerts received live: a hole would be a lost alert
    var latencies = new List<double>();
    using var stop = new CancellationTokenSource();
    using var call = service.AlertsApi(0).Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{service.Team}" } } },
        service.Headers, cancellationToken: stop.Token);
    var received = 0; // alerts matched to the write that raised them (latency measured)
    var any = 0;      // every alert the subscriber got
    var live = 0;     // alerts received after the writes began
    var reader = Task.Run(async () =>
    {
        try
        {
            while (await call.ResponseStream.MoveNext(stop.Token))
            {
                Interlocked.Increment(ref any);
                var alert = call.ResponseStream.Current;
                if (Volatile.Read(ref writing0) > 0)
                {
                    Interlocked.Increment(ref live);
                    lock (sequences) sequences.Add(alert.Sequence);
                }
                if (sent.TryRemove($"{alert.Gap.ClientId}/{alert.Kind}", out var at))
                {
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                    Interlocked.Increment(ref received);
                }
            }
        }
        catch (Grpc.Core.RpcException) when (stop.IsCancellationRequested) { }
        catch (OperationCanceledException) { }
    });
    // The feed's history is replayed first: start writing once it has gone quiet.
    for (var seen = -1; seen != Volatile.Read(ref any);) { seen = Volatile.Read(ref any); await Task.Delay(700); }
    Volatile.Write(ref writing0, 1);
    var clock = Stopwatch.StartNew();
    var writes = 0;
    var toggles = new ConcurrentDictionary<string, long>();
    var writing = await Load.PacedAsync("", perSecond, duration, async n =>
    {
        var client = service.Clients[(int)(n % service.Clients.Count)];
        var toggle = toggles.AddOrUpdate(client, 1, (_, v) => v + 1);
        sent[$"{client}/{(toggle % 2 == 1 ? AlertKind.Opened : AlertKind.Closed)}"] = Stopwatch.GetTimestamp();
        await service.ToggleConsentAsync((int)n, client, toggle, $"r{perSecond}");
        Interlocked.Increment(ref writes);
    });
    var elapsed = clock.Elapsed;
    var drain = Stopwatch.StartNew();
    // Two writes to one person can cross (the later applied first), so a write does not always raise an alert: the
    // feed's sequence numbers tell how many were raised. Wait until the subscriber holds every one up to the last.
    bool Complete() { lock (sequences) return sequences.Count > 0 && sequences.Max() - sequences.Min() + 1 == sequences.Count; }
    for (var quiet = 0; drain.Elapsed < TimeSpan.FromSeconds(30) && (!Complete() || quiet < 10); await Task.Delay(100))
        quiet = Complete() ? quiet + 1 : 0;
    var drained = drain.Elapsed;
    long first, last, holes;
    lock (sequences) (first, last, holes) = sequences.Count == 0 ? (0, 0, 0) : (sequences.Min(), sequences.Max(), sequences.Max() - sequences.Min() + 1 - sequences.Count);
    stop.Cancel();
    await reader;
    var measured = Load.Summarize($"alert latency at {perSecond}/s on one team feed", latencies, elapsed, new());
    return measured with
    {
        Name = $"{measured.Name} ({writes} consent writes in {elapsed.TotalSeconds:0} s raised alerts {first}–{last}; received all but {holes}, " +
               $"complete {drained.TotalSeconds:0.0} s after the writes ended)",
        Errors = writing.Errors, ErrorKinds = writing.ErrorKinds,
    };
}
