using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CareCoordination.Common;
using CareCoordination.Silo.Operations;
using CareCoordination.Tests.Faults;
using CareCoordination.Tests.Gateway;

namespace CareCoordination.Tests.Operations;

/// <summary>deploy/: what an operator installs must fit the service as built, checked without a cluster.</summary>
public sealed partial class DeployTests
{
    [Fact]
    public async Task Kubernetes_manifests_and_the_collector_config_pass_the_offline_check()
    {
        // The probes in the manifests ask for these paths (the check holds them to it).
        Assert.Equal(("/health/live", "/health/ready"), (Management.LivePath, Management.ReadyPath));
        var psi = new ProcessStartInfo("/usr/bin/python3", Path.Combine(LocalClusterFixture.RepoRoot(), "deploy", "validate.py"))
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"deploy/validate.py: {await output}{await errors}");
        Assert.Contains("deploy/ is valid", await output);
    }

    [Fact]
    public async Task The_Grafana_dashboard_shows_every_care_metric_and_asks_only_for_metrics_the_service_exports()
    {
        var port = TestPorts.Free();
        var gateway = await GatewayFixture.StartWithAsync(new() { ["Management:Url"] = $"http://127.0.0.1:{port}" });
        string scrape;
        try
        {
            await new ApiScenario(gateway).WithTeamAsync().ContinueWith(t => t.Result.ClientAsync()).Unwrap();
            using var http = new HttpClient();
            scrape = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        }
        finally
        {
            await gateway.DisposeAsync();
        }
        var exported = MetricType().Matches(scrape).Select(m => m.Groups[1].Value).ToHashSet();
        var careInstruments = CareInstruments().Select(n => n.Replace('.', '_')).ToList();

        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(
            Path.Combine(LocalClusterFixture.RepoRoot(), "deploy", "grafana", "care-coordination.json")));
        var asked = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            // Label names (in "by (...)" and "{...}") look like metric names: out first.
            .Select(e => LabelLists().Replace(e, ""))
            .SelectMany(e => MetricName().Matches(e).Select(m => SeriesSuffix().Replace(m.Value, "")))
            .ToHashSet();

        Assert.NotEmpty(asked);
        foreach (var metric in asked)
            if (metric.StartsWith("care_", StringComparison.Ordinal))
                // The service's own metrics may not all have been recorded by this short run: they must be its instruments.
                Assert.True(careInstruments.Any(i => Regex.IsMatch(metric, $"^{i}(_milliseconds|_hours)?(_total)?$")),
                    $"{metric} is no instrument of CareTelemetry");
            else
                Assert.True(exported.Contains(metric), $"the dashboard asks for {metric}, which the service does not export");
        foreach (var instrument in careInstruments)
            Assert.True(asked.Any(a => Regex.IsMatch(a, $"^{instrument}(_milliseconds|_hours)?(_total)?$")), $"the dashboard does not show {instrument}");
    }

    /// <summary>The names of the service's own instruments, as published to a listener.</summary>
    private static List<string> CareInstruments()
    {
        _ = CareTelemetry.Source; // initializes the instruments
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == CareTelemetry.Name) lock (names) names.Add(instrument.Name);
            },
        };
        listener.Start();
        return names.Distinct().ToList();
    }

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex MetricType();

    [GeneratedRegex(@"\b(?:care|orleans|dotnet|http|kestrel|aspnetcore|process)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"by \([^)]*\)|\{[^}]*\}")]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"_(?:bucket|count|sum)$")]
    private static partial Regex SeriesSuffix();
}
