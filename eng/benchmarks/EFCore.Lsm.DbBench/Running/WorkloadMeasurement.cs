using System.Diagnostics;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Running;

/// <summary>Runs one workload and takes the figures every group reports: time, latencies, disk growth, bytes written, peak RSS.</summary>
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

        var latencies = new LatencyHistogram();
        var outcome = run(latencies);

        var writeBytesAfter = ProcessStats.ReadWriteBytes();
        var peakRss = ProcessStats.ReadPeakRss();
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
            Note = outcome.Note,
        };
    }
}
