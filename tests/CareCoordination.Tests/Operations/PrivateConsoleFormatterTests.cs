using CareCoordination.Silo.Operations;
using CareCoordination.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace CareCoordination.Tests.Operations;

/// <summary>The console log as an operator reads it: Orleans' warnings kept, the ids of people taken out.</summary>
public sealed class PrivateConsoleFormatterTests
{
    private static string Written(LogLevel level, string category, int eventId, string message, Exception? exception = null,
        string? timestampFormat = null)
    {
        using var writer = new StringWriter();
        var options = new ConsoleFormatterOptions { TimestampFormat = timestampFormat, UseUtcTimestamp = true };
        new PrivateConsoleFormatter(new StaticOptions(options)).Write(
            new LogEntry<string>(level, category, new EventId(eventId), message, exception, (m, _) => m), null, writer);
        return writer.ToString();
    }

    [Fact]
    public void An_orleans_warning_naming_a_persons_grain_is_kept_without_the_persons_id()
    {
        var text = Written(LogLevel.Warning, "Orleans.Runtime.CallbackData", 100157,
            "Response did not arrive on time in '00:00:30' for message: 'Request [S127.0.0.1:11111:1 client/c-ana-1985]->" +
            "[S127.0.0.1:11111:1 program/housing-first] IProgramGrain.WithdrawReferralAsync'",
            new TimeoutException("Response did not arrive on time for client/c-ana-1985"));

        Assert.StartsWith("warn: Orleans.Runtime.CallbackData[100157]", text);
        Assert.DoesNotContain("c-ana-1985", text);
        Assert.Contains("client/(a person)", text);
        Assert.Contains("program/housing-first", text); // a program is no person
        Assert.Contains("TimeoutException", text);
        Assert.All(text.Split(Environment.NewLine).Skip(1).Where(l => l.Length > 0), l => Assert.StartsWith("      ", l));
    }

    [Fact]
    public void A_configured_timestamp_format_is_honoured_as_by_the_simple_formatter()
    {
        var text = Written(LogLevel.Information, "CareCoordination.Gateway", 0, "started", timestampFormat: "yyyy'-TS-' ");
        Assert.StartsWith($"{DateTimeOffset.UtcNow:yyyy}-TS- info: CareCoordination.Gateway[0]", text);
    }

    private sealed class StaticOptions(ConsoleFormatterOptions value) : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue => value;
        public ConsoleFormatterOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }

    [Fact]
    public async Task The_gateway_writes_its_console_log_through_it()
    {
        var gateway = await GatewayFixture.StartWithAsync(new());
        try
        {
            var options = gateway.App.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
            Assert.Equal(PrivateConsoleFormatter.FormatterName, options.FormatterName);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }
}
