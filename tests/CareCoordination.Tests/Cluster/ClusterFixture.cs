using CareCoordination.Alerts;
using CareCoordination.Common;
using CareCoordination.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace CareCoordination.Tests.Cluster;

/// <summary>Two silos in this process, sharing one fake care clock the tests move forward.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));

    public TestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.StopAllSilosAsync();

    public static IConfiguration TestConfiguration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["CareGaps:ClockTick"] = "00:00:00.100",
        ["Storage:Provider"] = "Memory",
    }).Build();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.Services.AddSingleton(new CareClock(Clock));
            silo.AddCareCoordination(TestConfiguration());
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
