using System.Diagnostics;
using EFCore.Lsm.DbBench.Ef.Model;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Workloads;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Running;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Ef.Running;

/// <summary>
/// Runs the requested EF workloads, in order, on one provider in this process, as <see cref="EngineRunner"/> does for the
/// engines: the database carries over between workloads; the bulk insert starts from an empty table, and a workload
/// that needs every seeded customer gets them from an unmeasured bulk insert when the previous workloads left none.
/// </summary>
internal sealed class EfRunner(string provider, BenchOptions options, TextWriter log)
{
    private readonly string _path = Path.Combine(Path.GetFullPath(options.DbDir), "ef-" + provider);

    /// <summary>Runs the workloads, adding each result to <paramref name="results"/> as it completes (kept if a later one fails).</summary>
    public void Run(List<WorkloadResult> results)
    {
        var workloads = options.EfBenchmarks.Select(EfWorkloadCatalog.Create).ToList();
        using var target = EfProviderCatalog.Open(provider, _path, options);
        var context = new EfWorkloadContext(target, options, new BenchData(options.Seed));
        try
        {
            Recreate(target, context);
            var content = DatabaseContent.Empty;
            foreach (var workload in workloads)
            {
                string? preparation = null;

                // An insert or delete warms up on databases of its own size first; what they leave is then replaced
                // below by the database the measurement needs (loaded once).
                var warmup = WarmUpAtWarmupSize(workload, target, context.Data);
                if (warmup is not null)
                {
                    content = DatabaseContent.SomeKeys;
                }

                if ((workload.Need == DatabaseNeed.Fresh && content != DatabaseContent.Empty)
                    || (workload.Need == DatabaseNeed.AllKeys && content != DatabaseContent.AllKeys))
                {
                    Recreate(target, context);
                    content = DatabaseContent.Empty;
                    if (workload.Need == DatabaseNeed.AllKeys)
                    {
                        var start = Stopwatch.GetTimestamp();
                        EfWorkloads.InsertSeededRows(context, options.EfNum, latencies: null);
                        content = DatabaseContent.AllKeys;
                        preparation = $"loaded by an unmeasured {EfWorkloads.BulkInsert} " +
                            $"({LatencyHistogram.TicksToMicroseconds(Stopwatch.GetTimestamp() - start) / 1e6:F1} s)";
                    }
                }

                preparation ??= workload.Prepare(context);
                if (workload.Repeatable && workload.Need == DatabaseNeed.AllKeys)
                {
                    // Queries and updates read the database at rest (tables, not the memtable the load filled): see
                    // IEfProvider.SettleForReads.
                    target.SettleForReads();
                }

                warmup ??= WarmUpOnMeasuredDatabase(workload, context);
                var result = WorkloadMeasurement.Measure(
                    provider, workload.Name, workload.Group, target.DatabaseBytes, latencies => workload.Run(context, latencies))
                    with { Preparation = preparation, Warmup = warmup };
                workload.Finish(context);
                results.Add(result);
                content = workload.After(content);
                log.WriteLine(
                    $"  {provider,-8} {workload.Name,-16} {result.OpsPerSecond,12:N0} ops/s  p50 {result.P50Micros,9:F2} µs  " +
                    $"p99 {result.P99Micros,10:F2} µs  {result.Note}{(warmup is null ? "" : $"; {TieringWarmup.Describe(warmup)}")}");
                log.Flush();
            }
        }
        finally
        {
            if (!options.KeepDb)
            {
                target.Dispose();
                DeleteFolder();
            }
        }
    }

    /// <summary>
    /// Unmeasured passes of <paramref name="workload"/> before it is measured, until the JIT has settled
    /// (<see cref="TieringWarmup"/>): the warm-up pass at a small size that each child process starts with runs every
    /// workload once, which leaves much of a measurement of a few seconds at tier 0. This one is for a workload that is
    /// not repeatable (inserts, deletes): it repeats at the warm-up size on a database recreated (and seeded, where it
    /// needs every key) for each pass; the runner then builds the measured database. Null when skipped (see
    /// <see cref="WarmsUp"/>) or for a repeatable workload.
    /// </summary>
    private WarmupSummary? WarmUpAtWarmupSize(EfWorkload workload, IEfProvider target, BenchData data)
    {
        if (workload.Repeatable || !WarmsUp(workload))
        {
            return null;
        }

        var small = new EfWorkloadContext(target, options.ForWarmup(), data);
        return TieringWarmup.Run(() =>
        {
            Recreate(target, small);
            if (workload.Need == DatabaseNeed.AllKeys)
            {
                EfWorkloads.InsertSeededRows(small, small.Num, latencies: null);
            }

            workload.Run(small, new LatencyHistogram());
            workload.Finish(small);
        }, options.WarmupMaxSeconds) with { Scale = FormattableString.Invariant($"{small.Num:N0} customers") };
    }

    /// <summary>
    /// As <see cref="WarmUpAtWarmupSize"/> for a repeatable workload (a query or an update): its passes, each a fiftieth
    /// of a measured one, run on the database it is measured on, just before it is measured.
    /// </summary>
    private WarmupSummary? WarmUpOnMeasuredDatabase(EfWorkload workload, EfWorkloadContext context)
    {
        if (!workload.Repeatable || !WarmsUp(workload))
        {
            return null;
        }

        context.SinglePass = true;
        try
        {
            return TieringWarmup.Run(() => workload.Run(context, new LatencyHistogram()), options.WarmupMaxSeconds);
        }
        finally
        {
            context.SinglePass = false;
        }
    }

    /// <summary>
    /// Whether workloads warm up before they are measured: not with --no-warmup or --warmup-max-seconds 0, not without a
    /// minimum time (then the figures are about answers, not speed), and not for a workload with a database of its own.
    /// </summary>
    private bool WarmsUp(EfWorkload workload)
        => options.Warmup && options.WarmupMaxSeconds > 0 && options.EfMinSeconds > 0 && workload.Need != DatabaseNeed.OwnDatabase;

    private void Recreate(IEfProvider target, EfWorkloadContext context)
    {
        target.Recreate();
        context.ResetNewIds();
    }

    private void DeleteFolder()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }
}
