using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace CareCoordination.Silo.Operations;

/// <summary>
/// The console log of every process, in the shape of .NET's simple formatter ("warn: Category[id]" and the message
/// indented below), with the ids of people taken out. The service's own messages never carry them, but Orleans names
/// the grains in its warnings ("Response did not arrive on time ... client/c-1001", "Dropping expired message") and
/// in the exceptions it logs, and a person's grain is keyed by their id. Logging filters can drop a line, not mend
/// one; this is the one place every line passes. Teams, programs and regions are not people: their ids stay.
/// </summary>
public sealed partial class PrivateConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
    : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "care-private";

    // A person's grain as Orleans prints it: the grain type "client", a slash and the key.
    [GeneratedRegex(@"\bclient/[A-Za-z0-9._-]+")]
    private static partial Regex PersonGrain();

    public static string Redact(string text) => PersonGrain().Replace(text, "client/(a person)");

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider,
        TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        // "Logging:Console:FormatterOptions:TimestampFormat" (and UseUtcTimestamp), as the simple formatter reads it.
        if (options.CurrentValue is { TimestampFormat: { } format } o)
            textWriter.Write((o.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now).ToString(format));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.WriteLine(']');
        var body = logEntry.Exception is null ? message : $"{message}{Environment.NewLine}{logEntry.Exception}";
        foreach (var line in Redact(body).Split('\n'))
        {
            textWriter.Write("      ");
            textWriter.WriteLine(line.TrimEnd('\r'));
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => level.ToString().ToLowerInvariant(),
    };
}

public static class PrivateConsoleLogging
{
    /// <summary>The console log through <see cref="PrivateConsoleFormatter"/>, for the silo and the gateway.</summary>
    public static ILoggingBuilder AddPrivateConsole(this ILoggingBuilder logging) =>
        logging.AddConsole(o => o.FormatterName = PrivateConsoleFormatter.FormatterName)
            .AddConsoleFormatter<PrivateConsoleFormatter, ConsoleFormatterOptions>();
}
