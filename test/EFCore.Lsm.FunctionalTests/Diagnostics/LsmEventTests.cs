using System.Reflection;
using System.Transactions;
using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Diagnostics;

/// <summary>
/// Every event the provider logs has an id in <see cref="LsmEventId"/>, a level, and reaches simple logging (<c>LogTo</c>)
/// and an <see cref="ILoggerFactory"/> alike, with the same id and level. A new id without a scenario here fails the test.
/// </summary>
public sealed class LsmEventTests : IDisposable
{
    private static readonly Dictionary<string, (LogLevel Level, Action<TestContext> Raise)> Scenarios = new()
    {
        [nameof(LsmEventId.QueryPlanExecuting)] = (LogLevel.Information, context => context.Customers.Find(1)),
        [nameof(LsmEventId.TransactionEnlisted)] = (LogLevel.Debug, context =>
        {
            using var scope = new TransactionScope();
            context.Add(new Tag { Id = Guid.NewGuid().ToString() });
            context.SaveChanges();
        }),
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> EventNames()
    {
        var data = new TheoryData<string>();
        foreach (var field in EventFields())
        {
            data.Add(field.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EventNames))]
    public void The_event_reaches_LogTo_and_ILogger_with_its_id_and_level(string name)
    {
        var id = (EventId)EventFields().Single(f => f.Name == name).GetValue(null)!;
        Assert.True(Scenarios.TryGetValue(name, out var scenario), $"LsmEventId.{name} has no scenario in {nameof(LsmEventTests)}.");
        Assert.StartsWith("Microsoft.EntityFrameworkCore.", id.Name);
        Assert.InRange(id.Id, CoreEventId.ProviderBaseId, CoreEventId.ProviderDesignBaseId - 1);

        var simple = new List<EventData>();
        using (var context = TestContext.Create(_temp.Db(), b => b.LogTo((e, _) => e == id, simple.Add)))
        {
            scenario.Raise(context);
        }

        var logger = new CapturingLoggerProvider();
        using (var factory = LoggerFactory.Create(b => b.AddProvider(logger).SetMinimumLevel(LogLevel.Trace)))
        using (var context = TestContext.Create(_temp.Db(), b => b.UseLoggerFactory(factory)))
        {
            scenario.Raise(context);
        }

        var viaLogTo = Assert.Single(simple);
        Assert.Equal(scenario.Level, viaLogTo.LogLevel);
        var viaLogger = Assert.Single(logger.Entries, e => e.Id == id);
        Assert.Equal(scenario.Level, viaLogger.Level);
        Assert.False(string.IsNullOrWhiteSpace(viaLogTo.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(viaLogger.Message));
    }

    private static IEnumerable<FieldInfo> EventFields() =>
        typeof(LsmEventId).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(EventId));

    private sealed class CapturingLoggerProvider : ILoggerProvider, ILogger
    {
        public List<(EventId Id, LogLevel Level, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((eventId, logLevel, formatter(state, exception)));
            }
        }

        public void Dispose()
        {
        }
    }
}
