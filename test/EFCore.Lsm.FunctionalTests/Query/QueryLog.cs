using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using EFCore.Lsm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// Collects the messages of one event, for tests that assert on the chosen plan: by default the provider's access plans
/// (<see cref="LsmEventId.QueryPlanExecuting"/>); EF's <c>CoreEventId.QueryExecutionPlanned</c> gives the compiled query.
/// </summary>
public sealed partial class QueryLog(int eventId) : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly int _eventId = eventId;

    private readonly ConcurrentQueue<string> _plans = new();

    public QueryLog()
        : this(LsmEventId.QueryPlanExecuting.Id)
    {
    }

    /// <summary>
    /// The messages without the range estimates a plan chosen among several ranges carries (" (estimated rows: …)"), so that
    /// expectations name the path alone; <see cref="PlansWithEstimates"/> keeps them.
    /// </summary>
    public IReadOnlyList<string> Plans => [.. _plans.Select(p => Estimates().Replace(p, ""))];

    /// <summary>The messages as logged.</summary>
    public IReadOnlyList<string> PlansWithEstimates => [.. _plans];

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

    [GeneratedRegex(@" \(estimated rows: [^)]*\)")]
    private static partial Regex Estimates();
}
