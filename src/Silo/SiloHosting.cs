using System.Net;
using CareCoordination.Alerts;
using CareCoordination.Audit;
using CareCoordination.CareGaps;
using CareCoordination.Common;
using CareCoordination.Silo.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;

namespace CareCoordination.Silo;

/// <summary>
/// The one place a silo (and a gateway's cluster client) is configured: used by the Silo program, by the
/// gateway's embedded mode and by tests.
/// </summary>
public static class SiloHosting
{
    /// <summary>Grain state of clients, teams, programs, regions and clock shards.</summary>
    public const string StateStorage = "state";
    private const string Npgsql = "Npgsql";

    public static StorageOptions Storage(this IConfiguration configuration) =>
        configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();

    /// <summary>The care-gap thresholds and clock settings, bound from the "CareGaps" section.</summary>
    public static IServiceCollection AddCareGapOptions(this IServiceCollection services,
        IConfiguration configuration) =>
        services.Configure<CareGapOptions>(configuration.GetSection(CareGapOptions.Section));

    /// <summary>Grains, storage, reminders and the care-gap clock.</summary>
    public static ISiloBuilder AddCareCoordination(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddCareGapOptions(configuration);
        silo.Services.TryAddSingleton(CareClock.System);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, CareGapClockStartup>();
        silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, new SiloStartTimeProvider());
        // Idle records leave memory: a person, team or program nobody has called for Orleans' collection age (15
        // minutes unless "Orleans:Collection:CollectionAge" says otherwise) is deactivated, its state already stored.
        // The section takes GrainCollectionOptions' names, memory-pressure shedding included.
        silo.Services.Configure<GrainCollectionOptions>(configuration.GetSection("Orleans:Collection"));

        var storage = configuration.Storage();
        switch (storage.Provider)
        {
            case StorageProvider.Memory:
                // Orleans' binary format, as the durable stores use: the default JSON made this "no storage" mode
                // slower than SQLite, its serialization the largest cost of a write.
                silo.AddMemoryGrainStorage(StateStorage, o => o.Configure<Serializer>((options, serializer) =>
                    options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
                silo.Services.AddSingleton<IAlertFeedStore, MemoryAlertFeedStore>();
                silo.Services.AddSingleton<IGapDueStore, MemoryGapDueStore>();
                silo.Services.AddSingleton<IAuditStore, MemoryAuditStore>();
                silo.Services.AddSingleton<IHistoryStore, MemoryHistoryStore>();
                silo.UseInMemoryReminderService();
                break;
            case StorageProvider.Sqlite:
                silo.Services.AddSingleton(_ => new SqliteDatabase(storage.SqlitePath));
                silo.Services.AddGrainStorage(StateStorage, (sp, _) =>
                    new GuardedGrainStorage(new SqliteGrainStorage(sp.GetRequiredService<SqliteDatabase>(),
                        sp.GetRequiredService<Serializer>())));
                silo.Services.AddSingleton<IAlertFeedStore, SqliteAlertFeedStore>();
                silo.Services.AddSingleton<IGapDueStore, SqliteGapDueStore>();
                silo.Services.AddSingleton<IHistoryStore, SqliteHistoryStore>();
                silo.Services.AddSingleton<IAuditStore>(_ =>
                    new SqliteAuditStore(SqliteDatabase.Audit(storage.SqlitePath)));
                // One node: the clock shards are re-activated at start (CareGapClockStartup), no durable reminder
                // needed.
                silo.UseInMemoryReminderService();
                break;
            case StorageProvider.Postgres:
                var cs = RequirePostgres(storage);
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new PostgresSchemaStartup(cs));
                silo.Services.AddSingleton(new PostgresConnectionString(cs));
                silo.Services.AddSingleton<IAlertFeedStore, PostgresAlertFeedStore>();
                silo.Services.AddSingleton<IGapDueStore, PostgresGapDueStore>();
                silo.Services.AddSingleton<IAuditStore, PostgresAuditStore>();
                silo.Services.AddSingleton<IHistoryStore, PostgresHistoryStore>();
                silo.AddAdoNetGrainStorage(StateStorage, o => { o.Invariant = Npgsql; o.ConnectionString = cs; });
                // The last keyed registration wins: the stock provider, wrapped so outages surface as retryable.
                silo.Services.AddKeyedSingleton<IGrainStorage>(StateStorage, (sp, key) =>
                    new GuardedGrainStorage(AdoNetGrainStorageFactory.Create(sp, (string)key!)));
                silo.UseAdoNetReminderService(o => { o.Invariant = Npgsql; o.ConnectionString = cs; });
                break;
            case StorageProvider.AzureStorage:
                var azure = AzureTables.Shared(silo.Services, storage);
                silo.Services.AddSingleton<IAlertFeedStore, AzureAlertFeedStore>();
                silo.Services.AddSingleton<IGapDueStore, AzureGapDueStore>();
                silo.Services.AddSingleton<IAuditStore, AzureAuditStore>();
                silo.Services.AddSingleton<IHistoryStore, AzureHistoryStore>();
                // Orleans' own binary serializer (version-tolerant by the [Id]s), as the embedded store uses: the
                // provider's default, JSON, makes a person's record about four times larger in its entity.
                silo.AddAzureTableGrainStorage(StateStorage, o => o.Configure<Serializer>((options, serializer) =>
                {
                    options.TableServiceClient = azure.Service;
                    options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                silo.Services.AddKeyedSingleton<IGrainStorage>(StateStorage, (sp, key) =>
                    new GuardedGrainStorage(AzureTableGrainStorageFactory.Create(sp, (string)key!)));
                silo.UseAzureTableReminderService(o => o.TableServiceClient = azure.Service);
                break;
        }
        return silo;
    }

    /// <summary>
    /// Membership: in PostgreSQL or Azure Table storage when state is there (a real cluster), otherwise a single node
    /// on loopback.
    /// </summary>
    public static ISiloBuilder UseCareCoordinationClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.AddActivityPropagation(); // traces follow grain calls
        var siloPort = configuration.GetValue("Orleans:SiloPort", 11111);
        var gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
        silo.Configure<ClusterOptions>(o => Identify(o, configuration));
        var storage = configuration.Storage();
        if (storage.Provider == StorageProvider.Postgres)
        {
            var cs = RequirePostgres(storage);
            silo.UseAdoNetClustering(o => { o.Invariant = Npgsql; o.ConnectionString = cs; });
        }
        else if (storage.Provider == StorageProvider.AzureStorage)
        {
            silo.UseAzureStorageClustering(o =>
                o.TableServiceClient = AzureTables.Shared(silo.Services, storage).Service);
        }
        else
        {
            return silo.UseLocalhostClustering(siloPort, gatewayPort);
        }
        silo.ConfigureEndpoints(IPAddress.Parse(configuration["Orleans:AdvertisedIP"] ?? "127.0.0.1"), siloPort,
            gatewayPort, listenOnAnyHostAddress: false);
        // In Kubernetes (deploy/kubernetes): the pod's name and address from POD_NAME/POD_NAMESPACE/POD_IP, and pods
        // of silos declared dead are deleted, so a hung silo is replaced rather than left running outside the cluster.
        if (configuration.GetValue<bool>("Orleans:Kubernetes")) silo.UseKubernetesHosting();
        silo.Configure<ClusterMembershipOptions>(o => TuneFailureDetection(o, configuration));
        return silo;
    }

    /// <summary>The gateway as an Orleans client of a separate cluster.</summary>
    public static IClientBuilder UseCareCoordinationCluster(this IClientBuilder client, IConfiguration configuration)
    {
        client.AddActivityPropagation();
        client.Configure<ClusterOptions>(o => Identify(o, configuration));
        var storage = configuration.Storage();
        if (storage.Provider is StorageProvider.Postgres or StorageProvider.AzureStorage)
        {
            if (storage.Provider == StorageProvider.Postgres)
            {
                var cs = RequirePostgres(storage);
                client.UseAdoNetClustering(o => { o.Invariant = Npgsql; o.ConnectionString = cs; });
            }
            else
            {
                client.UseAzureStorageClustering(o => o.TableServiceClient = new AzureTables(storage).Service);
            }
            // Learn quickly about silos that joined or died, so calls stop going to a dead one.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
        }
        else
        {
            client.UseLocalhostClustering(configuration.GetValue("Orleans:GatewayPort", 30000));
        }
        // A call whose silo died is not failed by the runtime until this passes: keep it well under a platform's
        // deadline.
        client.Configure<ClientMessagingOptions>(o =>
            o.ResponseTimeout = configuration.GetValue("Orleans:ResponseTimeout", TimeSpan.FromSeconds(10)));
        client.Services.AddSingleton<IClientConnectionRetryFilter, ClusterConnectionRetry>();
        return client;
    }

    /// <summary>
    /// Failure detection tuned for a cluster on one site with a fast network: a silo that stops answering is
    /// probed every second (ProbeTimeout 1 s); three missed probes make a suspicion (vs 3 × 5 s by default) and
    /// two suspecting silos declare it dead, so a crashed silo is out in a few seconds rather than ~30 s, while a
    /// single slow probe (GC pause, busy core) does not evict a healthy silo. Overridable under
    /// "Orleans:Membership" with the names of <see cref="ClusterMembershipOptions"/>.
    /// </summary>
    private static void TuneFailureDetection(ClusterMembershipOptions o, IConfiguration configuration)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 3;
        o.NumVotesForDeathDeclaration = 2;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        configuration.GetSection("Orleans:Membership").Bind(o);
    }

    private static void Identify(ClusterOptions o, IConfiguration configuration)
    {
        // ORLEANS_CLUSTER_ID / ORLEANS_SERVICE_ID are the Kubernetes hosting's names for the same settings.
        o.ClusterId = configuration["Orleans:ClusterId"] ?? configuration["ORLEANS_CLUSTER_ID"] ?? "care-coordination";
        o.ServiceId = configuration["Orleans:ServiceId"] ?? configuration["ORLEANS_SERVICE_ID"] ?? "care-coordination";
    }

    private static string RequirePostgres(StorageOptions storage) =>
        string.IsNullOrWhiteSpace(storage.PostgresConnectionString)
            ? throw new OptionsValidationException(StorageOptions.Section, typeof(StorageOptions),
                ["Storage:Provider is Postgres but Storage:PostgresConnectionString is empty"])
            : storage.PostgresConnectionString;
}

/// <summary>Applies the schema before membership, storage or reminders touch the database.</summary>
internal sealed class PostgresSchemaStartup(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresSchemaStartup), ServiceLifecycleStage.First,
            ct => PostgresSchema.MigrateAsync(connectionString, ct));
}

/// <summary>
/// Activates every clock shard once the silo is up, so time-based gaps keep firing after a restart even where
/// no durable reminder brings the shards back (the embedded mode) and before the first reminder tick elsewhere.
/// A few shards at a time: each activation reads its state and the reminder table, and all shards at once on
/// every silo of a restarting cluster would open that many database connections together.
/// </summary>
internal sealed class CareGapClockStartup(IGrainFactory grains, IOptions<CareGapOptions> options,
    ILogger<CareGapClockStartup> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private const int AtOnce = 4;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CareGapClockStartup), ServiceLifecycleStage.Active, startCancellation =>
        {
            // Not awaited: start-up does not wait on grain calls; a shard that fails here is woken by its next use
            // or its reminder.
            _ = Parallel.ForEachAsync(Enumerable.Range(0, options.Value.ClockShards),
                new ParallelOptions { MaxDegreeOfParallelism = AtOnce },
                async (shard, _) =>
                {
                    try { await grains.Ref<ICareGapClockGrain>(shard).PendingCountAsync(); }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning("Clock shard {Shard} did not start with the silo ({ExceptionType}); its next "
                            + "use or reminder starts it", shard, ex.GetType().Name);
                    }
                }).ContinueWith(t => t.Exception, TaskScheduler.Default);
            return Task.CompletedTask;
        });
}

/// <summary>
/// Orleans' membership clock with its timestamps counted from silo start instead of machine boot. Orleans 10.4.2's
/// Watchdog starts its checking thread before it stores its first component timestamp; the thread can read that
/// field while it is still 0 and then warns that the health check "has not completed for" the machine's uptime,
/// and counts a stall against the silo's local health. Counting from silo start makes 0 mean "just started".
/// Orleans uses this clock only for differences between its timestamps, so nothing else changes.
/// </summary>
internal sealed class SiloStartTimeProvider : TimeProvider
{
    private readonly long _origin = global::System.Diagnostics.Stopwatch.GetTimestamp();

    public override long GetTimestamp() => global::System.Diagnostics.Stopwatch.GetTimestamp() - _origin;
}
