using System.Globalization;
using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.CrashWorker;
using EFCore.Lsm.FunctionalTests.CrashWorker.Migrations;
using Microsoft.EntityFrameworkCore;

// Usage: EFCore.Lsm.FunctionalTests.CrashWorker migrate|migrate-shipments <db-path> [target-migration]
// Runs Database.Migrate() on ThingsContext (ShipmentsContext), printing each migration progress event as a line ("P ..."),
// then "DONE". The parent SIGKILLs this process at its k-th progress line and checks the database is as before or after a
// migration.
if (args[0] is "migrate" or "migrate-shipments")
{
    Action<DbContextOptionsBuilder> log = o => o.LogTo(
        (id, _) => id == LsmEventId.MigrationOperationProgress,
        e =>
        {
            Console.Out.WriteLine("P " + e);
            Console.Out.Flush();
        });
    using DbContext migrating = args[0] == "migrate" ? new ThingsContext(args[1], log) : new ShipmentsContext(args[1], log);
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    migrating.Database.Migrate(args.Length > 2 ? args[2] : null);
    Console.Out.WriteLine("DONE");
    Console.Out.Flush();
    return;
}

// Usage: EFCore.Lsm.FunctionalTests.CrashWorker <db-path> <first-save-number> <rows-per-save>
// Each SaveChanges inserts <rows-per-save> rows of one save number and updates the shared counter row (a concurrency
// token is checked on it); "ACK n" is printed after SaveChanges returns. The parent SIGKILLs this process and checks
// that every acknowledged save is there whole and no save is partially visible.
//
// Or: EFCore.Lsm.FunctionalTests.CrashWorker cascade <db-path> <first-save-number>
// Runs CascadeContext.Save(n) for n = first, first + 1, ... (inserts, updates of indexed and unique columns, a delete
// that cascades and sets null, in one SaveChanges each), printing "ACK n" after each.
if (args[0] == "cascade")
{
    using (var setup = new CascadeContext(args[1]))
    {
        setup.Database.EnsureCreated();
    }

    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    using var cascade = new CascadeContext(args[1]);
    for (var n = int.Parse(args[2], CultureInfo.InvariantCulture); ; n++)
    {
        cascade.Save(n);
        Console.Out.WriteLine("ACK " + n.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
    }
}

var path = args[0];
var next = int.Parse(args[1], CultureInfo.InvariantCulture);
var rows = int.Parse(args[2], CultureInfo.InvariantCulture);
var filler = new string('r', 200);

using (var setup = new LedgerContext(path))
{
    setup.Database.EnsureCreated();
}

Console.Out.WriteLine("READY");
Console.Out.Flush();
using var context = new LedgerContext(path);
var counter = context.Counters.Find(1);
if (counter is null)
{
    counter = new Counter { Id = 1, LastSave = -1 };
    context.Counters.Add(counter);
}

for (; ; next++)
{
    for (var i = 0; i < rows; i++)
    {
        context.Entries.Add(new LedgerEntry { Save = next, Index = i, Payload = $"{next}:{i}:{filler}" });
    }

    counter.LastSave = next;
    context.SaveChanges();
    Console.Out.WriteLine("ACK " + next.ToString(CultureInfo.InvariantCulture));
    Console.Out.Flush();
    context.ChangeTracker.Clear();
    context.Attach(counter);
}
