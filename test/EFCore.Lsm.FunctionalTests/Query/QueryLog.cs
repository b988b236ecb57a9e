using System.Collections.Concurrent;
using EFCore.Lsm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>Collects the messages of the provider's query plan events, for tests that assert on the chosen plan.</summary>
public sealed class QueryLog : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _plans = new();

    public IReadOnlyList<string> Plans => [.. _plans];

    public void Clear() => _plans.Clear();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == LsmEventId.QueryPlanExecuting.Id)
        {
            _plans.Enqueue(formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }
}
