using System.Diagnostics;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Running;

/// <summary>
/// Runs one workload and takes the figures every group reports: time, latencies, CPU time of the process (all threads),
/// disk growth, bytes written, peak RSS, methods the JIT compiled meanwhile, and the machine's load average before and after.
/// </summary>
internal static class WorkloadMeasurement
{
    public static WorkloadResult Measure(
        string engine, string workload, string group, Func<long> diskBytes, Func<LatencyHistogram, WorkloadOutcome> run)
    {
        // Leftovers of earlier workloads (ours is managed) should not count towards this one's memory peak.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var diskBefore = diskBytes();
        var rssIsPerWorkload = ProcessStats.TryResetPeakRss();
        var writeBytesBefore = ProcessStats.ReadWriteBytes();
        var loadBefore = ProcessStats.LoadAverage();
        var cpuBefore = ProcessStats.CpuSeconds();
        var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();

        var latencies = new LatencyHistogram();
        var outcome = run(latencies);

        var cpu = ProcessStats.CpuSeconds() - cpuBefore;
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore;
        var loadAfter = ProcessStats.LoadAverage();
        var writeBytesAfter = ProcessStats.ReadWriteBytes();
        var peakRss = ProcessStats.ReadPeakRss();
        var (rssAnonymous, rssFile) = ProcessStats.ReadRssSplit();
        var diskAfter = diskBytes();
        var seconds = outcome.ElapsedTicks / (double)Stopwatch.Frequency;
        return new WorkloadResult
        {
            Engine = engine,
            Workload = workload,
            Group = group,
            Operations = outcome.Operations,
            Seconds = seconds,
            OpsPerSecond = seconds > 0 ? outcome.Operations / seconds : 0,
            P50Micros = latencies.PercentileMicroseconds(50),
            P99Micros = latencies.PercentileMicroseconds(99),
            MaxMicros = LatencyHistogram.TicksToMicroseconds(latencies.MaxTicks),
            DiskDeltaBytes = diskAfter - diskBefore,
            DiskBytesAfter = diskAfter,
            WriteBytes = writeBytesBefore is { } before && writeBytesAfter is { } after ? after - before : null,
            PeakRssBytes = peakRss,
            PeakRssScope = rssIsPerWorkload ? "workload" : "process",
            RssAnonymousBytes = rssAnonymous,
            RssFileBytes = rssFile,
            CpuSeconds = cpu,
            CpuSecondsPerOp = outcome.Operations > 0 ? cpu / outcome.Operations : 0,
            LoadAverageStart = loadBefore,
            LoadAverageEnd = loadAfter,
            Note = outcome.Note,
            Passes = outcome.Passes,
            JitCompilations = compiled,
        };
    }
}
