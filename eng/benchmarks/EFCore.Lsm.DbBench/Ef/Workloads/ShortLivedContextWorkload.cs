using System.Diagnostics;
using System.Globalization;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Ef.Workloads;

/// <summary>
/// Durable single-entity inserts, each in a context of its own that is disposed after its SaveChanges: the shape of a web
/// request. Against ef-insertsync (the same saves through one long-lived context) it shows what opening a context costs;
/// a provider that reopened its database per context (a recovery, a new table and fsyncs each time) would fall far behind.
/// Creating and disposing each context is inside the measured time.
/// </summary>
internal sealed class ShortLivedContextWorkload : EfWorkload
{
    public override string Name => EfWorkloads.ShortLived;

    public override string Description => "one synced SaveChanges of one new customer per new context, --ef-sync-ops of them";

    public override DatabaseNeed Need => DatabaseNeed.AllKeys;

    public override DatabaseContent After(DatabaseContent before) => before;

    public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
    {
        var saves = context.Options.EfSyncOps;
        var saved = 0;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < saves; i++)
        {
            var customer = context.Data.Customer(context.NextNewId());
            var t0 = Stopwatch.GetTimestamp();
            using (var db = context.Provider.CreateContext(durable: true))
            {
                db.Customers.Add(customer);
                saved += db.SaveChanges();
            }

            latencies.Record(Stopwatch.GetTimestamp() - t0);
        }

        var elapsed = Stopwatch.GetTimestamp() - start;
        return new WorkloadOutcome(saves, elapsed,
            string.Create(CultureInfo.InvariantCulture, $"{saves} contexts x 1 synced save, {saved} rows saved"));
    }
}
