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
                        var loadTicks = Load(store, values);
                        content = DatabaseContent.AllKeys;
                        preparation = $"loaded by an unmeasured fillseq ({LatencyHistogram.TicksToMicroseconds(loadTicks) / 1e6:F1} s)";
                    }
                }

                var result = Measure(workload, new WorkloadContext(store, options, values)) with { Preparation = preparation };
                results.Add(result);
                content = workload.After(content);
                log.WriteLine(
                    $"  {engine,-8} {workload.Name,-13} {result.OpsPerSecond,14:N0} ops/s  p50 {result.P50Micros,9:F2} µs  " +
                    $"p99 {result.P99Micros,9:F2} µs  {result.Note}");
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

    private WorkloadResult Measure(Workload workload, WorkloadContext context)
        => WorkloadMeasurement.Measure(
            engine, workload.Name, workload.Group, () => ProcessStats.DirectorySize(_path), latencies => workload.Run(context, latencies));

    /// <summary>Writes every key in order in batches of 1000 (not measured).</summary>
    private long Load(IKeyValueStore store, ValueSource values)
    {
        var start = Stopwatch.GetTimestamp();
        Span<byte> key = stackalloc byte[KeyFormat.KeySize];
        using var batch = store.CreateBatch();
        for (long i = 0; i < options.Num; i++)
        {
            KeyFormat.Write(key, i);
            batch.Put(key, values.Get(i));
            if (batch.Count == 1000 || i == options.Num - 1)
            {
                store.Write(batch, sync: false);
                batch.Clear();
            }
        }

        return Stopwatch.GetTimestamp() - start;
    }

    private void DeleteDatabase()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }
}
