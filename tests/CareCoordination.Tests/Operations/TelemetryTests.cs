using System.Diagnostics;
using CareCoordination.Api.V1;
using CareCoordination.Tests.Gateway;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CareCoordination.Tests.Operations;

/// <summary>What an operator sees of one write that raises an alert: one trace down to the feed, a linked delivery, metrics.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests : IAsyncLifetime
{
    // The exporters add from their own threads while the gateway runs: collections that lock.
    private readonly Exported<Activity> _spans = new();
    private readonly Exported<Metric> _metrics = new();
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() =>
        _gateway = await GatewayFixture.StartWithAsync(new() { ["Telemetry:Tracing"] = "true" }, b =>
        {
            b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans));
            b.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(_metrics));
        });

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_write_is_one_trace_down_to_the_grains_and_the_feed_its_delivery_links_back_and_metrics_carry_no_ids()
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        var client = await s.ClientAsync(consent: false);
        using var call = _gateway.Alerts.Subscribe(new SubscribeRequest { Feeds = { new FeedCursor { FeedId = $"team:{s.TeamId}" } } });
        await call.ResponseHeadersAsync;

        await _gateway.Clients.RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = TestKeys.Request(), ClientId = client, Scopes = { ConsentScope.CareTeam },
            ExpiresAt = Timestamp.FromDateTimeOffset(_gateway.Clock.GetUtcNow().AddDays(5)),
        });
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
            while (await call.ResponseStream.MoveNext(timeout.Token))
                if (call.ResponseStream.Current.Gap.Rule == CareGapRule.ConsentExpiring) break;
        // A refusal too: its exception must not reach a span either.
        await Assert.ThrowsAsync<RpcException>(() => _gateway.Clients.SetGoalAsync(new SetGoalRequest
            { RequestId = TestKeys.Request(), ClientId = client, GoalId = "goal-404", Domain = NeedDomain.Housing, Title = "x" }).ResponseAsync);
        // The delivery span ends after the alert is written to the stream, so it may trail the client's read.
        await Eventually.HoldsAsync(() =>
        {
            _gateway.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
            return Task.FromResult(_spans.Snapshot().Any(a => a.DisplayName == "alert deliver"));
        }, "the delivery span ends");
        _gateway.App.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var spans = _spans.Snapshot();
        var write = Assert.Single(spans, a => a.Source.Name == "Microsoft.AspNetCore" && a.DisplayName.Contains("RecordConsent"));
        var trace = spans.Where(a => a.TraceId == write.TraceId).ToList();
        Assert.Contains(trace, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.DisplayName.Contains("RecordConsent"));
        Assert.Contains(trace, a => a.DisplayName == "care-gaps reconcile");
        Assert.Contains(trace, a => a.DisplayName == "alert-feed append" && (string?)a.GetTagItem("feed.kind") == "team");
        var delivery = Assert.Single(spans, a => a.DisplayName == "alert deliver" && a.Links.Any(l => l.Context.TraceId == write.TraceId));
        Assert.Equal("ConsentExpiring", delivery.GetTagItem("gap.rule"));

        var metrics = _metrics.Snapshot();
        Assert.Contains(Points(metrics, "care.gaps.opened"), p => Tag(p, "rule") == "ConsentExpiring");
        Assert.NotEmpty(Points(metrics, "care.alerts.delivery"));
        Assert.NotEmpty(Points(metrics, "care.alerts.subscriptions"));

        // No id of a person, team or region, nor any text sent, in span names, attributes, events, status
        // descriptions or metric labels.
        var canaries = new[] { client, s.TeamId, s.Region, "goal-404" };
        var spanText = spans.SelectMany(a => a.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(a.DisplayName)
            .Append(a.StatusDescription ?? "")
            .Concat(a.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}").Append(e.Name))));
        Assert.DoesNotContain(spanText, t => canaries.Any(c => t.Contains(c, StringComparison.Ordinal)));
        var labels = metrics.SelectMany(m => Points(metrics, m.Name)).SelectMany(p => Tags(p)).Select(t => $"{t.Key}={t.Value}");
        Assert.DoesNotContain(labels, t => canaries.Any(c => t.Contains(c, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_read_is_decided_and_answered_from_one_call_to_the_persons_record()
    {
        var s = await new ApiScenario(_gateway).WithTeamAsync();
        var client = await s.ClientAsync();
        _spans.Clear();

        var read = await _gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = client }, s.Worker);

        Assert.Equal(client, read.ClientId);
        _gateway.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
        var spans = _spans.Snapshot();
        var call = Assert.Single(spans, a => a.Source.Name == "Microsoft.AspNetCore" && a.DisplayName.Contains("GetClient"));
        var toThePerson = spans.Where(a => a.TraceId == call.TraceId && a.Kind == ActivityKind.Client
            && a.DisplayName.StartsWith("IClientGrain/", StringComparison.Ordinal)).Select(a => a.DisplayName).ToList();
        Assert.Equal(["IClientGrain/GetAccessFactsAndViewAsync"], toThePerson);
    }

    private static List<MetricPoint> Points(IEnumerable<Metric> metrics, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics.Where(m => m.Name == name))
            foreach (ref readonly var p in metric.GetMetricPoints()) points.Add(p);
        return points;
    }

    private static List<KeyValuePair<string, object?>> Tags(MetricPoint p)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var t in p.Tags) tags.Add(t);
        return tags;
    }

    private static string? Tag(MetricPoint p, string key) => Tags(p).FirstOrDefault(t => t.Key == key).Value as string;
}

/// <summary>A collection an in-memory exporter can add to while the test reads it.</summary>
internal sealed class Exported<T> : ICollection<T>
{
    private readonly List<T> _items = [];

    public List<T> Snapshot()
    {
        lock (_items) return _items.ToList();
    }

    public void Add(T item)
    {
        lock (_items) _items.Add(item);
    }

    public void Clear()
    {
        lock (_items) _items.Clear();
    }

    public int Count
    {
        get { lock (_items) return _items.Count; }
    }

    public bool IsReadOnly => false;
    public bool Contains(T item) => Snapshot().Contains(item);
    public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);
    public bool Remove(T item)
    {
        lock (_items) return _items.Remove(item);
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Run alone: activity listeners are process-wide, so spans of other tests' gateways would mix with this one's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
