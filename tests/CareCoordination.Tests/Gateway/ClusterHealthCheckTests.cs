using System.Reflection;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Silo.Operations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace CareCoordination.Tests.Gateway;

public sealed class ClusterHealthCheckTests
{
    private static Task<HealthCheckResult> CheckAsync(Func<Task<Dictionary<SiloAddress, SiloStatus>>> hosts) =>
        new ClusterHealthCheck(Fake<IGrainFactory>((method, _) => method.Name == nameof(IGrainFactory.GetGrain)
                ? Fake<IManagementGrain>((m, _) => m.Name == nameof(IManagementGrain.GetHosts) ? hosts() : throw new NotSupportedException(m.Name))
                : throw new NotSupportedException(method.Name)))
            .CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task Healthy_while_a_silo_is_active()
    {
        var result = await CheckAsync(() => Task.FromResult(new Dictionary<SiloAddress, SiloStatus> { [SiloAddress.FromParsableString("127.0.0.1:11111@1")] = SiloStatus.Active }));
        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task Unhealthy_when_no_silo_is_active()
    {
        var result = await CheckAsync(() => Task.FromResult(new Dictionary<SiloAddress, SiloStatus>()));
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("no active silo", result.Description);
    }

    [Fact]
    public async Task Unhealthy_when_the_cluster_cannot_be_reached()
    {
        var result = await CheckAsync(() => Task.FromException<Dictionary<SiloAddress, SiloStatus>>(new SiloUnavailableException()));
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains(nameof(SiloUnavailableException), result.Description);
    }

    /// <summary>An interface implemented by a function of (method, arguments).</summary>
    private static T Fake<T>(Func<MethodInfo, object?[]?, object?> handler) where T : class
    {
        var proxy = DispatchProxy.Create<T, FakeProxy>();
        ((FakeProxy)(object)proxy).Handler = handler;
        return proxy;
    }

    public class FakeProxy : DispatchProxy
    {
        public Func<MethodInfo, object?[]?, object?> Handler { get; set; } = (_, _) => null;
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => Handler(targetMethod!, args);
    }
}
