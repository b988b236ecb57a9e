using System.Diagnostics;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Stores;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Running;

/// <summary>
/// Runs the requested workloads, in order, on one engine in this process. Like db_bench, the database carries over
/// from one workload to the next; a fill starts from a fresh database, and a workload that needs every key present
/// gets a database loaded by an unmeasured fillseq first when the previous workloads did not leave one.
/// </summary>
internal sealed class EngineRunner(string engine, BenchOptions options, TextWriter log)
{
    private readonly string _path = Path.Combine(Path.GetFullPath(options.DbDir), engine);

    /// <summary>Runs the workloads, adding each result to <paramref name="results"/> as it completes (kept if a later one fails).</summary>
    public void Run(List<WorkloadResult> results)
    {
        var workloads = options.EngineBenchmarks.Select(WorkloadCatalog.Create).ToList();
        var values = new ValueSource(options.ValueSize, options.Seed);
        DeleteDatabase();
        var store = StoreCatalog.Open(engine, _path, options.StoreOptions);
        var content = DatabaseContent.Empty;
        try
        {
            foreach (var workload in workloads)
            {
                string? preparation = null;
                if ((workload.Need == DatabaseNeed.Fresh && content != DatabaseContent.Empty)
                    || (workload.Need == DatabaseNeed.AllKeys && content != DatabaseContent.AllKeys))
                {
                    store.Dispose();
                    DeleteDatabase();
                    store = StoreCatalog.Open(engine, _path, options.StoreOptions);
                    content = DatabaseContent.Empty;
                    if (workload.Need == DatabaseNeed.AllKeys)
                    {
                        var loadTicks = Load(store, values, options.Num);
                        content = DatabaseContent.AllKeys;
                        preparation = $"loaded by an unmeasured fillseq ({LatencyHistogram.TicksToMicroseconds(loadTicks) / 1e6:F1} s)";
                    }
                }

                var warmup = WarmUp(workload, store, values);
                var result = Measure(workload, new WorkloadContext(store, options, values)) with { Preparation = preparation, Warmup = warmup };
                results.Add(result);
                content = workload.After(content);
                log.WriteLine(
                    $"  {engine,-8} {workload.Name,-13} {result.OpsPerSecond,14:N0} ops/s  p50 {result.P50Micros,9:F2} µs  " +
                    $"p99 {result.P99Micros,9:F2} µs  {result.Note}{(warmup is null ? "" : $"; {TieringWarmup.Describe(warmup)}")}");
                log.Flush();
            }
        }
        finally
        {
            store.Dispose();
            if (!options.KeepDb)
            {
                DeleteDatabase();
            }
        }
    }

    /// <summary>
    /// Unmeasured passes of <paramref name="workload"/> just before it is measured, until the JIT has settled
    /// (<see cref="TieringWarmup"/>; the small warm-up pass each child process starts with leaves a workload of a few
    /// hundred milliseconds, readseq above all, largely at tier 0): a read workload repeats at most 50,000 reads on the
    /// database it is measured on; a writing one repeats at the warm-up size on a scratch database of its own, recreated
    /// (and loaded, where it needs every key) for each pass. Skipped with --no-warmup.
    /// </summary>
    private WarmupSummary? WarmUp(Workload workload, IKeyValueStore store, ValueSource values)
    {
        if (!options.Warmup || options.WarmupMaxSeconds <= 0 || workload.Need == DatabaseNeed.OwnDatabase)
        {
            return null;
        }

        if (workload.ReadOnly)
        {
            var reads = Math.Min(options.EffectiveReads, 50_000);
            var context = new WorkloadContext(store, options with { Reads = reads }, values);
            return TieringWarmup.Run(() => workload.Run(context, new LatencyHistogram()), options.WarmupMaxSeconds)
                with { Scale = FormattableString.Invariant($"{reads:N0} reads") };
        }

        var small = options.ForWarmup();
        var path = _path + "-warmup";
        try
        {
            return TieringWarmup.Run(() =>
            {
                DeleteDatabase(path);
                using var scratch = StoreCatalog.Open(engine, path, small.StoreOptions);
                if (workload.Need == DatabaseNeed.AllKeys)
                {
                    Load(scratch, values, small.Num);
                }

                workload.Run(new WorkloadContext(scratch, small, values), new LatencyHistogram());
            }, options.WarmupMaxSeconds) with { Scale = FormattableString.Invariant($"{small.Num:N0} keys") };
        }
        finally
        {
            DeleteDatabase(path);
        }
    }

    private WorkloadResult Measure(Workload workload, WorkloadContext context)
        => WorkloadMeasurement.Measure(
            engine, workload.Name, workload.Group, () => ProcessStats.DirectorySize(_path), latencies => workload.Run(context, latencies));

    /// <summary>Writes every key in order in batches of 1000 (not measured).</summary>
    private static long Load(IKeyValueStore store, ValueSource values, long num)
    {
        var start = Stopwatch.GetTimestamp();
        Span<byte> key = stackalloc byte[KeyFormat.KeySize];
        using var batch = store.CreateBatch();
        for (long i = 0; i < num; i++)
        {
            KeyFormat.Write(key, i);
            batch.Put(key, values.Get(i));
            if (batch.Count == 1000 || i == num - 1)
            {
                store.Write(batch, sync: false);
                batch.Clear();
            }
        }

        return Stopwatch.GetTimestamp() - start;
    }

    private void DeleteDatabase() => DeleteDatabase(_path);

    private static void DeleteDatabase(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
