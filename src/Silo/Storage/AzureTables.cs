using System.Collections.Concurrent;
using System.Text;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// The Azure Table storage account of a region (Storage:Provider=AzureStorage): one
/// <see cref="TableServiceClient"/> for Orleans' providers (grain state, membership, reminders) and the project's own
/// tables (alert feeds, the clock's due times, the audit trail, filed history). The grains never see it: they know
/// <c>IGrainStorage</c> and the store interfaces.
/// </summary>
public sealed class AzureTables
{
    public const string Alerts = "CareAlerts";
    public const string GapDue = "CareGapDue";
    public const string Audit = "CareAudit";
    public const string History = "CareHistory";

    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new();

    public AzureTables(StorageOptions storage)
    {
        // The SDK's defaults retry for up to a minute and wait 100 s on a silent network: an outage would hold every
        // call past its caller's deadline. A few quick retries, then the call fails as retryable UNAVAILABLE.
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        Service = storage switch
        {
            { AzureConnectionString.Length: > 0 } => new TableServiceClient(storage.AzureConnectionString, options),
            { AzureTableServiceUri.Length: > 0 } =>
                new TableServiceClient(new Uri(storage.AzureTableServiceUri), new DefaultAzureCredential(), options),
            _ => throw new OptionsValidationException(StorageOptions.Section, typeof(StorageOptions),
                ["Storage:Provider is AzureStorage but neither Storage:AzureConnectionString nor "
                    + "Storage:AzureTableServiceUri is set"]),
        };
    }

    public TableServiceClient Service { get; }

    /// <summary>The process's one account client: membership and storage share it (one connection pool, one retry
    /// policy).</summary>
    public static AzureTables Shared(Microsoft.Extensions.DependencyInjection.IServiceCollection services,
        StorageOptions storage)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(AzureTables))?.ImplementationInstance
                is AzureTables known)
            return known;
        var tables = new AzureTables(storage);
        services.Add(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(tables));
        return tables;
    }

    /// <summary>A table of the project's, created on first use (a failed creation is tried again on the next
    /// use).</summary>
    public async Task<TableClient> TableAsync(string name, CancellationToken cancellationToken)
    {
        var table = _tables.GetOrAdd(name, n => new Lazy<Task<TableClient>>(async () =>
        {
            var client = Service.GetTableClient(n);
            await client.CreateIfNotExistsAsync(CancellationToken.None);
            return client;
        }));
        try
        {
            return await table.Value.WaitAsync(cancellationToken);
        }
        catch
        {
            _tables.TryRemove(new KeyValuePair<string, Lazy<Task<TableClient>>>(name, table));
            throw;
        }
    }

    /// <summary>
    /// A value made safe for PartitionKey and RowKey, which refuse '/', '\', '#', '?' and control characters: those
    /// (and '%', so the mapping stays one-to-one) become %XXXX. Ids are validated far narrower; this is the last fence.
    /// </summary>
    public static string Key(string value)
    {
        if (!value.Any(Escaped)) return value;
        var key = new StringBuilder(value.Length + 8);
        foreach (var c in value)
            if (Escaped(c)) key.Append('%').Append(((int)c).ToString("X4"));
            else key.Append(c);
        return key.ToString();
    }

    private static bool Escaped(char c) => c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c);

    /// <summary>A number as a key that sorts like the number (non-negative only).</summary>
    public static string Number(long value) => value.ToString("D19");
}
