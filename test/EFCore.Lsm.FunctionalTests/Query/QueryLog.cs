using System.Collections.Concurrent;
using EFCore.Lsm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// Collects the messages of one event, for tests that assert on the chosen plan: by default the provider's access plans
/// (<see cref="LsmEventId.QueryPlanExecuting"/>); EF's <c>CoreEventId.QueryExecutionPlanned</c> gives the compiled query.
/// </summary>
public sealed class QueryLog(int eventId) : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly int _eventId = eventId;

    private readonly ConcurrentQueue<string> _plans = new();

    public QueryLog()
        : this(LsmEventId.QueryPlanExecuting.Id)
    {
    }

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
        if (eventId.Id == _eventId)
        {
            _plans.Enqueue(formatter(state, exception));
        }
    }

    public void Dispose()
    {
    }
}
