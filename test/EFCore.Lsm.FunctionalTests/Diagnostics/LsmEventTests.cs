using System.Reflection;
using System.Transactions;
using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.Migrations.Orders;
using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Migrations.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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
        [nameof(LsmEventId.EntityTypeNotInModel)] = (LogLevel.Warning, context => Drift(
            context, b => b.Entity<Gauge>().Property(g => g.Id).ValueGeneratedNever(), "with-probe", b =>
            {
                b.Entity<Gauge>().Property(g => g.Id).ValueGeneratedNever();
                b.Entity<Probe>().Property(p => p.Id).ValueGeneratedNever();
            })),
        [nameof(LsmEventId.PropertyNotInModel)] = (LogLevel.Warning, context => Drift(
            context, b => b.Entity<Probe>(e =>
            {
                e.Property(p => p.Id).ValueGeneratedNever();
                e.Ignore(p => p.Note);
            }))),
        [nameof(LsmEventId.PropertyTypeConverted)] = (LogLevel.Warning, context => Drift(
            context, b => b.Entity<Probe>(e =>
            {
                e.Property(p => p.Id).ValueGeneratedNever();
                e.Property(p => p.Level).HasConversion<long>();
            }))),
        [nameof(LsmEventId.MigrationApplying)] = (LogLevel.Information, context => Orders(context, m => m.Migrate("20250101000001_Initial"))),
        [nameof(LsmEventId.MigrationCommitted)] = (LogLevel.Information, context => Orders(context, m => m.Migrate("20250101000001_Initial"))),
        [nameof(LsmEventId.MigrationOperationProgress)] = (LogLevel.Information, context => Orders(context, m => m.Migrate("20250101000001_Initial"))),
        [nameof(LsmEventId.MigrationBatchWritten)] = (LogLevel.Debug, context => Orders(context, m => m.Migrate("20250101000001_Initial"))),
        [nameof(LsmEventId.MigrationReverting)] = (LogLevel.Information, context => Orders(context, m =>
        {
            m.Migrate("20250101000001_Initial");
            m.Migrate("0");
        })),
        [nameof(LsmEventId.MigrationInterrupted)] = (LogLevel.Warning, context => Orders(context, (m, orders) =>
        {
            m.Migrate("20250101000001_Initial");

            // What a crash inside the next migration's build leaves: its state record, nothing switched.
            var batch = new LsmConditionalBatch();
            batch.Put(CatalogKeys.MigrationState(), new MigrationState("20250101000002_RenameNote", false, MigrationPhase.Building, [], []).Encode());
            orders.GetService<LsmStoreConnection>().Store.KeyValueStore.Commit(batch, sync: true);
            m.Migrate("20250101000001_Initial");
        })),
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

        // Progress is logged per operation and per batch of rows, a written batch per batch; every other scenario raises its event once.
        var viaLoggerAll = logger.Entries.Where(e => e.Id == id).ToList();
        Assert.Equal(
            name is nameof(LsmEventId.MigrationOperationProgress) or nameof(LsmEventId.MigrationBatchWritten) ? simple.Count : 1, simple.Count);
        Assert.NotEmpty(simple);
        Assert.Equal(simple.Count, viaLoggerAll.Count);
        var viaLogTo = simple[0];
        Assert.Equal(scenario.Level, viaLogTo.LogLevel);
        var viaLogger = viaLoggerAll[0];
        Assert.All(simple, e => Assert.Equal(scenario.Level, e.LogLevel));
        Assert.All(viaLoggerAll, e => Assert.Equal(scenario.Level, e.Level));
        Assert.False(string.IsNullOrWhiteSpace(viaLogTo.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(viaLogger.Message));
    }

    /// <summary>
    /// Writes a <see cref="Probe"/> row through a full model in a database of its own beside the context's, then reads through
    /// <paramref name="drifted"/> with the context's logging: what a deployment whose model changed without a migration does.
    /// </summary>
    private static void Drift(TestContext context, Action<ModelBuilder> drifted, string writer = "full-probe", Action<ModelBuilder>? full = null)
    {
        var path = Beside(context);
        var variant = Guid.NewGuid().ToString("N");
        using (var db = ModelVariantContext.Create(path, "events-" + writer, full ?? (b => b.Entity<Probe>().Property(p => p.Id).ValueGeneratedNever())))
        {
            db.Add(new Probe { Id = 1, Note = "n", Level = 7 });
            if (full is not null)
            {
                db.Add(new Gauge { Id = 1 });
            }

            db.SaveChanges();
        }

        using var read = ModelVariantContext.Create(path, "events-drifted-" + variant, drifted, WithLoggingOf(context));
        _ = read.Model.FindEntityType(typeof(Probe)) is null ? read.Set<Gauge>().Count() : read.Set<Probe>().Count();
    }

    /// <summary>Runs <paramref name="migrate"/> on a new database of the Orders migrations beside the context's, with its logging.</summary>
    private static void Orders(TestContext context, Action<IMigrator> migrate) => Orders(context, (m, _) => migrate(m));

    private static void Orders(TestContext context, Action<IMigrator, OrdersContext> migrate)
    {
        using var orders = new OrdersContext(Beside(context), WithLoggingOf(context));
        migrate(orders.GetService<IMigrator>(), orders);
    }

    private static string Beside(TestContext context) =>
        context.GetService<IDbContextOptions>().FindExtension<LsmOptionsExtension>()!.Path + "-" + Guid.NewGuid().ToString("N")[..8];

    private static Action<DbContextOptionsBuilder> WithLoggingOf(TestContext context)
    {
        // Only the loggers: the rest of the options (a replaced model cache key, say) stay the other context's.
        var core = context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()!;
        return b =>
        {
            var mine = b.Options.FindExtension<CoreOptionsExtension>() ?? new CoreOptionsExtension();
            mine = mine.WithLoggerFactory(core.LoggerFactory!);
            if (core.DbContextLogger is { } logger)
            {
                mine = mine.WithDbContextLogger(logger);
            }

            ((IDbContextOptionsBuilderInfrastructure)b).AddOrUpdateExtension(mine);
        };
    }

    public sealed class Probe
    {
        public int Id { get; set; }

        public string? Note { get; set; }

        public int Level { get; set; }
    }

    public sealed class Gauge
    {
        public int Id { get; set; }
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
