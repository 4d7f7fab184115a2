using CareCoordination.Tests.Gateway;

namespace CareCoordination.Tests.Operations;

/// <summary>Probes and scraping over plain HTTP/1.1 on the management endpoint, as Kubernetes and Prometheus use them.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Liveness_readiness_and_metrics_answer_on_the_management_endpoint()
    {
        var port = TestPorts.Free();
        var gateway = await GatewayFixture.StartWithAsync(new() { ["Management:Url"] = $"http://127.0.0.1:{port}" });
        try
        {
            await ProbeAsync(gateway, port);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    private static async Task ProbeAsync(GatewayFixture gateway, int port)
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.ClientAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), DefaultRequestVersion = new Version(1, 1) };

        var live = await http.GetAsync("/health/live");
        var ready = await http.GetAsync("/health/ready");
        var metrics = await http.GetStringAsync("/metrics");

        Assert.Equal((System.Net.HttpStatusCode.OK, "Healthy"), (live.StatusCode, await live.Content.ReadAsStringAsync()));
        Assert.Equal((System.Net.HttpStatusCode.OK, "Healthy"), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        Assert.Contains("care_gaps_opened", metrics);
        Assert.Contains("rule=\"NoLeadWorker\"", metrics);

        // Not on the gRPC port, whatever Host the request names.
        using var h2 = new HttpClient { DefaultRequestVersion = new Version(2, 0), DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{gateway.Address.TrimEnd('/')}/metrics");
        request.Headers.Host = $"127.0.0.1:{port}";
        Assert.False((await h2.SendAsync(request)).IsSuccessStatusCode);
    }
}
