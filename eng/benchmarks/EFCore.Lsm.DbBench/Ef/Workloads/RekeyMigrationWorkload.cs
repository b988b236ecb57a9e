using System.Diagnostics;
using System.Runtime;
using EFCore.Lsm.DbBench.Ef.Model.Rekey;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.DbBench.Ef.Workloads;

/// <summary>
/// ef-rekey: an EF migration that changes the primary key of --ef-num rows from Id to (TenantId, Id), its index rebuilt,
/// run through EF's own migrations (<see cref="IMigrator"/>) on a database of its own. The set-up (unmeasured) applies the
/// first migration, loads the rows through a context of that model, closes every context and returns the freed heap to
/// the system; the measured operation is <c>Migrate</c> to the second migration, in a new context. Ops are rows moved, so
/// ops/s is rows per second; the peak RSS is the workload's (reset just before it), and the note gives the RSS it started
/// from. Runs where the provider runs EF migrations (lsm, sqlite); elsewhere it fails naming the provider.
/// </summary>
internal sealed class RekeyMigrationWorkload : EfWorkload
{
    private const string Database = "rekey";

    public override string Name => EfWorkloads.Rekey;

    public override string Description =>
        "EF migration changing the primary key of --ef-num rows from Id to (TenantId, Id), index rebuilt (SQLite: EF's table "
        + "rebuild; EFCore.Lsm: re-key into a new keyspace in batches of --migration-batch-rows); ops are rows";

    public override DatabaseNeed Need => DatabaseNeed.OwnDatabase;

    public override DatabaseContent After(DatabaseContent before) => before;

    public override string? Prepare(EfWorkloadContext context)
    {
        var start = Stopwatch.GetTimestamp();
        // Each context its own connection where the provider's contexts own one: none stays open on a deleted file.
        using (var db = new RekeyDbContext(Options<RekeyDbContext>(context)))
        {
            db.Database.EnsureDeleted();
        }

        using (var db = new RekeyDbContext(Options<RekeyDbContext>(context)))
        {
            db.GetService<IMigrator>().Migrate(RekeyMigrations.Initial);
        }

        using (var db = new RekeyLoadDbContext(Options<RekeyLoadDbContext>(context)))
        {
            var batch = new List<RekeyOrder>(EfWorkloads.BulkBatchSize);
            for (var first = 0; first < context.Num; first += EfWorkloads.BulkBatchSize)
            {
                batch.Clear();
                for (var id = first; id < Math.Min(context.Num, first + EfWorkloads.BulkBatchSize); id++)
                {
                    batch.Add(RekeyOrder.From(context.Data.Customer(id)));
                }

                db.Orders.AddRange(batch);
                db.SaveChanges();
                db.ChangeTracker.Clear();
            }
        }

        // What the load left on the heap is garbage now: give it back, so the peak measured next is the migration's.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return $"{context.Num} rows loaded keyed by Id by an unmeasured migration and SaveChanges per {EfWorkloads.BulkBatchSize} "
            + $"({LatencyHistogram.TicksToMicroseconds(Stopwatch.GetTimestamp() - start) / 1e6:F1} s)";
    }

    public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
    {
        var (anonymous, file) = ProcessStats.ReadRssSplit();
        var rssBefore = anonymous + file;
        var sampler = new MemorySampler(TimeSpan.FromMilliseconds(20));
        var gen2Before = GC.CollectionCount(2);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var threadAllocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var t0 = Stopwatch.GetTimestamp();
        long elapsed;
        long liveHeap;
        int gen2;
        long allocated;
        long threadAllocated;
        using (var db = new RekeyDbContext(Options<RekeyDbContext>(context)))
        {
            db.GetService<IMigrator>().Migrate(RekeyMigrations.RekeyByTenant);
            elapsed = Stopwatch.GetTimestamp() - t0;
            sampler.Dispose();
            threadAllocated = GC.GetAllocatedBytesForCurrentThread() - threadAllocatedBefore;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            gen2 = GC.CollectionCount(2) - gen2Before;

            // Unmeasured: what of the GC heap is live once the migration is done (the store still open, as the context's
            // pool keeps it), against the peak heap, which also holds garbage not yet collected.
            liveHeap = GC.GetTotalMemory(forceFullCollection: true);
        }

        latencies.Record(elapsed);
        var batchRows = context.Provider.Name == Providers.EfProviderCatalog.Lsm
            ? $", batches of {context.Options.MigrationBatchRows?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "1024 (default)"} rows"
              + $" or {context.Options.MigrationBatchBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "4 MiB (default)"} bytes"
            : "";
        return new WorkloadOutcome(context.Num, elapsed,
            $"{context.Num} rows re-keyed to (TenantId, Id){batchRows}, index rebuilt (checked after: count, a lookup by the new "
            + $"key, the index); RSS before {(rssBefore ?? 0) / (1024.0 * 1024.0):F0} MiB; {sampler.Describe()}; "
            + $"live GC heap after {liveHeap / (1024.0 * 1024.0):F0} MiB, {gen2} gen2 GCs during it; allocated "
            + $"{allocated / Math.Max(1, context.Num)} B/row ({threadAllocated / Math.Max(1, context.Num)} B/row on the migrating thread"
            + (context.Provider.Name == Providers.EfProviderCatalog.Lsm ? ", the rest on the engine's flush and compaction threads)" : ")"));
    }

    /// <summary>Checks, outside the measurement, that every row is under its new key and the index answers; then removes the database.</summary>
    public override void Finish(EfWorkloadContext context)
    {
        using (var db = new RekeyDbContext(Options<RekeyDbContext>(context)))
        {
            var rows = db.Orders.Count();
            var region = context.Data.Customer(7).Region;
            var inRegion = db.Orders.AsNoTracking().Count(o => o.Region == region);
            var expectedInRegion = Enumerable.Range(0, context.Num).Count(i => context.Data.Customer(i).Region == region);
            var found = db.Orders.Find(7 % RekeyOrder.Tenants, 7);
            if (rows != context.Num || inRegion != expectedInRegion || found is null || found.Id != 7)
            {
                throw new InvalidOperationException(
                    $"{Name} on {context.Provider.Name}: after the migration the table holds {rows} rows of {context.Num}, the "
                    + $"index finds {inRegion} of {expectedInRegion} rows of region {region}, and row (7, 7) was "
                    + $"{(found is null ? "not found" : "found")}.");
            }
        }

        if (!context.Options.KeepDb)
        {
            using var db = new RekeyDbContext(Options<RekeyDbContext>(context));
            db.Database.EnsureDeleted();
        }
    }

    private static DbContextOptions<TContext> Options<TContext>(EfWorkloadContext context)
        where TContext : DbContext
        => context.Provider.CreateMigrationOptions<TContext>(Database) ?? throw new NotSupportedException(
            $"{EfWorkloads.Rekey} runs EF migrations, which the harness runs on {Providers.EfProviderCatalog.Lsm} and "
            + $"{Providers.EfProviderCatalog.Sqlite} only, not on {context.Provider.Name}.");
}
