using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CareCoordination.Tests;

/// <summary>Keeps every log line a host writes (category, level, message and exception), to assert on what operators see.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public sealed record Line(string Category, LogLevel Level, string Text);

    public ConcurrentQueue<Line> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            capture.Lines.Enqueue(new Line(category, logLevel, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
    }
}
