using System.Text.Json;
using System.Text.Json.Nodes;
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

    public static Alert Read(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("an alert row holds no alert");
        if (node["gap"] is null) node["gap"] = LegacyGap(node);
        return node.Deserialize<Alert>(Options) ?? throw new InvalidDataException("an alert row holds no alert");
    }

    /// <summary>
    /// Rows written before alerts carried the whole gap held its fields flat, without its opening time: the event's
    /// time stands in for it (exact for the opening event itself).
    /// </summary>
    private static JsonObject LegacyGap(JsonObject alert)
    {
        var gap = new JsonObject
            { ["openedAt"] = alert["occurredAt"]?.DeepClone(), ["feedId"] = alert["feedId"]?.DeepClone() };
        foreach (var field in new[] { "gapId", "rule", "subject", "dueAt", "severity", "action" })
            gap[field] = alert[field]?.DeepClone();
        return gap;
    }
}
