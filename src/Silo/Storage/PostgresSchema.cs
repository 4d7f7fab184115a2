using System.Reflection;
using Npgsql;

namespace CareCoordination.Silo.Storage;

/// <summary>
/// Applies the project's PostgreSQL schema (deploy/postgres/NNN_*.sql, embedded in this assembly) in order, each
/// script once, in its own transaction, recorded in cc_schema_version. Safe to run from several silos at once:
/// an advisory lock lets one apply while the others wait and then find nothing left to do.
/// </summary>
public static class PostgresSchema
{
    private const long MigrationLock = 0x6361726563; // "carec"

    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("postgres/", StringComparison.Ordinal)
                && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n["postgres/".Length..];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (int.Parse(file[..3]), file, reader.ReadToEnd());
            })
            .OrderBy(s => s.Item1)
            .ToList();
    }

    /// <summary>Returns the versions applied by this call (empty when the database was already up to date).</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString,
        CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await Execute(connection, null, "SELECT pg_advisory_lock(" + MigrationLock + ")", cancellationToken);
        try
        {
            await Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS cc_schema_version (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM cc_schema_version", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));

            var done = new List<string>();
            foreach (var (version, name, sql) in Scripts())
            {
                if (applied.Contains(version)) continue;
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, tx, sql, cancellationToken);
                await using var record = new NpgsqlCommand(
                    "INSERT INTO cc_schema_version (version, name) VALUES (@v, @n)", connection, tx);
                record.Parameters.AddWithValue("v", version);
                record.Parameters.AddWithValue("n", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                done.Add(name);
            }
            return done;
        }
        finally
        {
            await Execute(connection, null, "SELECT pg_advisory_unlock(" + MigrationLock + ")", CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }
}
