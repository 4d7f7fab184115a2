using System.Net;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;

namespace CareCoordination.Tests.Operations;

/// <summary>The Orleans dashboard: on its own port, only when turned on, only for cluster operators, never a person's record.</summary>
public sealed class DashboardTests
{
    [Fact]
    public async Task Off_unless_turned_on_outside_development()
    {
        var port = TestPorts.Free();
        var gateway = await GatewayFixture.StartWithAsync(new() { ["Dashboard:Enabled"] = null, ["Dashboard:Url"] = $"http://127.0.0.1:{port}" });
        try
        {
            using var http = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/dashboard/"));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task Serves_cluster_operators_on_its_own_port_and_closes_the_views_that_show_people()
    {
        var port = TestPorts.Free();
        var management = TestPorts.Free();
        var gateway = await GatewayFixture.StartWithAsync(new()
        {
            ["Dashboard:Enabled"] = "true",
            ["Dashboard:Url"] = $"http://127.0.0.1:{port}",
            ["Management:Url"] = $"http://127.0.0.1:{management}",
        });
        try
        {
            var s = await new ApiScenario(gateway).WithTeamAsync();
            var client = await s.ClientAsync();
            var operatorToken = GatewayFixture.Token("ops-1", [Roles.ClusterOperator]);
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
                { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            // No token, or a token without the role: refused, saying why.
            var anonymous = await http.GetAsync("/dashboard/ClusterStats");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("bearer token is required", await anonymous.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(http, "/dashboard/ClusterStats", GatewayFixture.Token("cm-ana"))).StatusCode);

            // A cluster operator sees the cluster: silos, and grain types with their calls.
            var stats = await GetAsync(http, "/dashboard/ClusterStats", operatorToken);
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
            string counters = "";
            await Eventually.HoldsAsync(async () =>
            {
                counters = await (await GetAsync(http, "/dashboard/DashboardCounters", operatorToken)).Content.ReadAsStringAsync();
                return counters.Contains("ClientGrain", StringComparison.Ordinal);
            }, "the dashboard counts the client grain's calls");
            Assert.DoesNotContain(client, counters, StringComparison.Ordinal);

            // A grain's stored state is a person's record; reminders are named by grain: closed, whoever asks.
            var state = await GetAsync(http, $"/dashboard/GrainState?grainId={client}&grainType=CareCoordination.Clients.ClientGrain", operatorToken);
            Assert.Equal(HttpStatusCode.Forbidden, state.StatusCode);
            Assert.DoesNotContain(client, await state.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(http, "/dashboard/Reminders", operatorToken)).StatusCode);

            // A browser signs in by link: the token moves into an HTTP-only cookie and out of the address.
            var link = await http.GetAsync($"/dashboard/?access_token={operatorToken}");
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
            Assert.Equal("/dashboard/", link.Headers.Location?.OriginalString);
            var cookie = Assert.Single(link.Headers.GetValues("Set-Cookie"));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
            using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboard/index.html");
            page.Headers.Add("Cookie", cookie.Split(';')[0]);
            var html = await http.SendAsync(page);
            Assert.Equal(HttpStatusCode.OK, html.StatusCode);
            Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);

            // Only on its port: not on the management port, and its port serves nothing else.
            using var other = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(other, $"http://127.0.0.1:{management}/dashboard/ClusterStats", operatorToken)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(http, "/health/live", operatorToken)).StatusCode);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient http, string address, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new("Bearer", token);
        return http.SendAsync(request);
    }
}
