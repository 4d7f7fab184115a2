using System.Text.Json;
using System.Text.Json.Serialization;
using CareCoordination.Alerts;

namespace CareCoordination.Silo.Storage;

/// <summary>Alerts are stored as JSON: readable by an auditor with plain SQL, and stable across refactors.</summary>
internal static class AlertJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write(Alert alert) => JsonSerializer.Serialize(alert, Options);

    public static Alert Read(string json) => JsonSerializer.Deserialize<Alert>(json, Options)
        ?? throw new InvalidDataException("an alert row holds no alert");
}
