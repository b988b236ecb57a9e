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
                var warmup = WarmUp(workload, context, target);
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
    /// Unmeasured passes of <paramref name="workload"/> just before it is measured, until the JIT has settled
    /// (<see cref="TieringWarmup"/>): the warm-up pass at a small size that each child process starts with runs every
    /// workload once, which leaves much of a measurement of a few seconds at tier 0. A repeatable workload (a query or an
    /// update) repeats on the database it is measured on; any other (inserts, deletes) repeats at the warm-up size on a
    /// database recreated for each pass, and the database is then recreated as the measurement needs it. Skipped without
    /// warm-up, without a minimum time (then the figures are about answers, not speed), and for a workload with a
    /// database of its own.
    /// </summary>
    private WarmupSummary? WarmUp(EfWorkload workload, EfWorkloadContext context, IEfProvider target)
    {
        if (!options.Warmup || options.WarmupMaxSeconds <= 0 || options.EfMinSeconds <= 0 || workload.Need == DatabaseNeed.OwnDatabase)
        {
            return null;
        }

        if (workload.Repeatable)
        {
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

        var small = new EfWorkloadContext(target, options.ForWarmup(), context.Data);
        var summary = TieringWarmup.Run(() =>
        {
            Recreate(target, small);
            if (workload.Need == DatabaseNeed.AllKeys)
            {
                EfWorkloads.InsertSeededRows(small, small.Num, latencies: null);
            }

            workload.Run(small, new LatencyHistogram());
            workload.Finish(small);
        }, options.WarmupMaxSeconds) with { Scale = FormattableString.Invariant($"{small.Num:N0} customers") };
        Recreate(target, context);
        if (workload.Need == DatabaseNeed.AllKeys)
        {
            EfWorkloads.InsertSeededRows(context, options.EfNum, latencies: null);
        }

        return summary;
    }

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
