namespace CareCoordination.Silo.Storage;

public enum StorageProvider
{
    /// <summary>Process memory: tests only. A restart starts empty.</summary>
    Memory,
    /// <summary>A local SQLite file: the embedded default, one node, nothing to install, survives restarts.</summary>
    Sqlite,
    /// <summary>PostgreSQL: the system of record of a cluster (membership, grain state, reminders, alert
    /// feeds).</summary>
    Postgres,
    /// <summary>Azure Table storage alone: a cluster hosted on Azure, without PostgreSQL (the same tables as on
    /// Postgres).</summary>
    AzureStorage,
}

/// <summary>Configuration section "Storage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>The embedded database file; its folder is created if missing.</summary>
    public string SqlitePath { get; set; } = "data/care-coordination.db";

    /// <summary>Npgsql connection string, e.g. "Host=127.0.0.1;Port=5432;Database=care;Username=care".</summary>
    public string PostgresConnectionString { get; set; } = "";

    /// <summary>
    /// Azure Storage connection string (Azurite: "UseDevelopmentStorage=true", or with its TableEndpoint). Either
    /// this or <see cref="AzureTableServiceUri"/>.
    /// </summary>
    public string AzureConnectionString { get; set; } = "";

    /// <summary>
    /// The account's table endpoint, e.g. "https://careregion.table.core.windows.net", reached with
    /// DefaultAzureCredential (a managed identity in production; no secret in configuration).
    /// </summary>
    public string AzureTableServiceUri { get; set; } = "";
}
