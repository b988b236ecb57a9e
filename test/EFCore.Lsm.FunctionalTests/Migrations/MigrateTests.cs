using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.Migrations.Orders;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// <c>Database.Migrate()</c> applies EF migrations (hand-written here, in the form <c>dotnet ef migrations add</c> writes) to an
/// EFCore.Lsm database: each operation does what docs/migrations.md says to keys and rows, the history records each one, and
/// going back through <c>Down</c> restores the rows' original bytes.
/// </summary>
public sealed class MigrateTests : IDisposable
{
    private const string Initial = "20250101000001_Initial";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Migrate_applies_every_operation_and_records_the_history()
    {
        var progress = new List<string>();
        using (var context = new OrdersContext(_temp.Db(), o => o.LogTo(
                   (id, _) => id == LsmEventId.MigrationOperationProgress, e => progress.Add(e.ToString()))))
        {
            Assert.Equal(5, context.Database.GetPendingMigrations().Count());
            context.Database.Migrate();
            Assert.Empty(context.Database.GetPendingMigrations());
            Assert.Equal(
                [Initial, "20250101000002_RenameNote", "20250101000003_WidenQuantity", "20250101000004_Rekey", "20250101000005_Backfill"],
                context.Database.GetAppliedMigrations());
        }

        // Progress is reported per operation and per batch of rows (two rows a batch here).
        Assert.Contains(progress, p => p.Contains("4/4 CreateIndex IX_Orders_Remark", StringComparison.Ordinal));
        Assert.Contains(progress, p => p.Contains("AddPrimaryKey (CustomerId, Number) on 'Orders': 6 rows", StringComparison.Ordinal));

        using (var context = new OrdersContext(_temp.Db()))
        {
            var orders = context.Orders.AsNoTracking().ToList();
            Assert.Equal(
                [(1, 1, 1, "updated", 10L, 3), (2, 1, 2, "n2", 14L, 3), (3, 2, 1, null, 2L, 3), (4, 2, 2, "n4", 4L, 3), (6, 3, 7, "n6", 8L, 3)],
                orders.Select(o => (o.Id, o.CustomerId, o.Number, o.Remark, o.Quantity, o.Priority)));

            // Re-keyed: rows are in (CustomerId, Number) order, and a key lookup is a point get.
            Assert.Equal("n4", context.Orders.Find(2, 2)!.Remark);
            Assert.Equal([2], context.Orders.Where(o => o.Remark == "n2").Select(o => o.Id));

            // The schema the migrations built is the model's: opening it registers nothing, and its indexes are complete.
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            var mapping = database.Store.GetMappingForWrite(context.Model.FindEntityType(typeof(Order))!, sync: false);
            using var view = database.OpenView();
            Assert.Empty(LsmIndexVerifier.Verify(view, mapping));
            context.Add(new Order { Id = 7, CustomerId = 9, Number = 1, Quantity = 1 });
            context.SaveChanges();
            Assert.Equal(3, context.Orders.Single(o => o.Id == 7).Priority);
        }
    }

    [Fact]
    public void Up_then_Down_restores_the_original_bytes_of_the_rows()
    {
        List<string> original;
        using (var context = new OrdersContext(_temp.Db()))
        {
            context.Database.Migrate(Initial);
            original = StoreDump.Rows(context);
            Assert.Equal(6, original.Count);
            Assert.Equal(4, context.Database.GetPendingMigrations().Count());

            context.Database.Migrate();
            Assert.NotEqual(original, StoreDump.Rows(context));

            context.Database.Migrate(Initial);
            Assert.Equal(original, StoreDump.Rows(context));
            Assert.Equal([Initial], context.Database.GetAppliedMigrations());

            // Back to nothing: the table and its history are gone, and nothing is left in the store but the catalog header.
            context.Database.Migrate(Migration0);
            Assert.Empty(context.Database.GetAppliedMigrations());
            Assert.Empty(StoreDump.Rows(context));
            Assert.Equal(1, StoreDump.KeyCount(StoreDump.Store(context)));

            // And forward again.
            context.Database.Migrate();
            Assert.Equal(5, context.Orders.Count());
        }
    }

    private const string Migration0 = Microsoft.EntityFrameworkCore.Migrations.Migration.InitialDatabase;
}
