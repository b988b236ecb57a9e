using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EFCore.Lsm.Engine.Diagnostics;

/// <summary>
/// The engine's instruments on one <see cref="Meter"/> named <see cref="MeterName"/>, for dotnet-counters,
/// OpenTelemetry or any <see cref="MeterListener"/>. Observable instruments report every open database, tagged with
/// its folder (<c>lsm.db</c>); the latency histograms record only while someone listens, so an unobserved database
/// pays one flag check per operation.
/// </summary>
public static class LsmMetrics
{
    /// <summary>The meter's name: <c>EFCore.Lsm.Engine</c>.</summary>
    public const string MeterName = "EFCore.Lsm.Engine";

    private static readonly ConcurrentDictionary<LsmDatabase, byte> OpenDatabases = new();
    private static readonly Meter Meter = new(MeterName, typeof(LsmMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Histogram<double> GetDuration = Meter.CreateHistogram<double>(
        "lsm.get.duration", "s", "Time of point lookups (Get/TryGet).");

    // One multi-get is one measurement, however many keys it names: its time is the batch's, not a per-key latency, so it
    // has its own histogram (mixed into lsm.get.duration it would skew the point lookups' percentiles), and the number of
    // keys it named goes beside it so that time per key can be derived.
    internal static readonly Histogram<double> MultiGetDuration = Meter.CreateHistogram<double>(
        "lsm.multiget.duration", "s", "Time of multi-gets (MultiGet), one measurement per call whatever its number of keys.");

    internal static readonly Histogram<long> MultiGetKeys = Meter.CreateHistogram<long>(
        "lsm.multiget.keys", "{key}", "Keys named by each multi-get (MultiGet), repeats included.");

    internal static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>(
        "lsm.write.duration", "s", "Time of writes (Put/Delete/Write), including commit-queue wait and fsync.");

    static LsmMetrics()
    {
        Meter.CreateObservableCounter("lsm.bytes.written", ObserveBytesWritten, "By",
            "Bytes written, by kind: user (keys and values in batches), wal, flush, compaction.");
        Meter.CreateObservableCounter("lsm.compaction.bytes.read", () => Each(s => s.Statistics.CompactionBytesRead), "By",
            "Bytes read by compactions.");
        Meter.CreateObservableGauge("lsm.write.amplification", () => Each(s => s.Statistics.WriteAmplification), null,
            "Bytes written to disk (WAL + flush + compaction) per user byte.");
        Meter.CreateObservableCounter("lsm.write.stall.time", () => Each(s => s.Statistics.StallTime.TotalSeconds), "s",
            "Time writers spent slowed down or stopped waiting for flush or compaction.");
        Meter.CreateObservableCounter("lsm.write.wait.time", ObserveWriteWaits, "s",
            "Time writers waited, by cause: slowdown (L0 near its limit), memtables (frozen memtables waiting for flush), " +
            "level0 (L0 at its stop limit), commit_queue (behind another writer), wal_sync (fdatasync of synced writes).");
        Meter.CreateObservableCounter("lsm.background.busy.time", ObserveBackgroundBusy, "s",
            "Time the background work was busy, by kind: flush, compaction.");
        Meter.CreateObservableCounter("lsm.writes", () => Each(s => Interlocked.Read(ref s.Statistics.Writes)), "{write}",
            "Write batches committed.");
        Meter.CreateObservableGauge("lsm.level.files", () => EachLevel((v, level) => (long)v.FileCount(level)), "{file}",
            "SST files per level.");
        Meter.CreateObservableGauge("lsm.level.bytes", () => EachLevel((v, level) => v.LevelBytes(level)), "By",
            "SST bytes per level.");
        Meter.CreateObservableCounter("lsm.block_cache.hits", () => Each(s => s.TableStatistics.BlockCacheHits),
            "{block}", "Data blocks found in the block cache.");
        Meter.CreateObservableCounter("lsm.block_cache.misses",
            () => Each(s => s.TableStatistics.BlockCacheMisses), "{block}", "Data blocks read from files.");
        Meter.CreateObservableCounter("lsm.bloom.checks", () => Each(s => s.TableStatistics.BloomChecks),
            "{check}", "Bloom filter probes on point lookups.");
        Meter.CreateObservableCounter("lsm.bloom.useful", () => Each(s => s.TableStatistics.BloomUseful),
            "{check}", "Bloom filter probes that ruled a table out (no data block read).");
    }

    internal static void Register(LsmDatabase database) => OpenDatabases.TryAdd(database, 0);

    internal static void Unregister(LsmDatabase database) => OpenDatabases.TryRemove(database, out _);

    /// <summary>Starts timing an operation when a listener wants the histogram; 0 otherwise.</summary>
    internal static long Start(Histogram<double> histogram) => histogram.Enabled ? Stopwatch.GetTimestamp() : 0;

    internal static void Stop(Histogram<double> histogram, long start, LsmDatabase database)
    {
        if (start != 0)
        {
            histogram.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, new KeyValuePair<string, object?>("lsm.db", database.Path));
        }
    }

    /// <summary>Records one multi-get of <paramref name="keys"/> keys started at <paramref name="start"/> (0: nobody listened then).</summary>
    internal static void StopMultiGet(long start, int keys, LsmDatabase database)
    {
        if (start != 0)
        {
            var tag = new KeyValuePair<string, object?>("lsm.db", database.Path);
            MultiGetDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tag);
            MultiGetKeys.Record(keys, tag);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveBytesWritten()
    {
        foreach (var db in OpenDatabases.Keys)
        {
            var tag = new KeyValuePair<string, object?>("lsm.db", db.Path);
            var s = db.Statistics;
            yield return new(Interlocked.Read(ref s.UserBytesWritten), tag, new("kind", "user"));
            yield return new(Interlocked.Read(ref s.WalBytesWritten), tag, new("kind", "wal"));
            yield return new(Interlocked.Read(ref s.FlushBytesWritten), tag, new("kind", "flush"));
            yield return new(s.CompactionBytesWritten, tag, new("kind", "compaction"));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveWriteWaits()
    {
        foreach (var db in OpenDatabases.Keys)
        {
            var tag = new KeyValuePair<string, object?>("lsm.db", db.Path);
            var s = db.Statistics;
            yield return new(EngineStatistics.Time(ref s.SlowdownTicks).TotalSeconds, tag, new("cause", "slowdown"));
            yield return new(EngineStatistics.Time(ref s.MemtableStopTicks).TotalSeconds, tag, new("cause", "memtables"));
            yield return new(EngineStatistics.Time(ref s.Level0StopTicks).TotalSeconds, tag, new("cause", "level0"));
            yield return new(EngineStatistics.Time(ref s.CommitQueueWaitTicks).TotalSeconds, tag, new("cause", "commit_queue"));
            yield return new(EngineStatistics.Time(ref s.WalSyncTicks).TotalSeconds, tag, new("cause", "wal_sync"));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveBackgroundBusy()
    {
        foreach (var db in OpenDatabases.Keys)
        {
            var tag = new KeyValuePair<string, object?>("lsm.db", db.Path);
            var s = db.Statistics;
            yield return new(EngineStatistics.Time(ref s.FlushTicks).TotalSeconds, tag, new("kind", "flush"));
            yield return new(EngineStatistics.Time(ref s.CompactionTicks).TotalSeconds, tag, new("kind", "compaction"));
        }
    }

    private static IEnumerable<Measurement<T>> Each<T>(Func<LsmDatabase, T> read)
        where T : struct
    {
        foreach (var db in OpenDatabases.Keys)
        {
            yield return new(read(db), new KeyValuePair<string, object?>("lsm.db", db.Path));
        }
    }

    private static IEnumerable<Measurement<long>> EachLevel(Func<Manifest.Version, int, long> read)
    {
        foreach (var db in OpenDatabases.Keys)
        {
            var version = db.CurrentVersion;
            for (var level = 0; level < version.NumLevels; level++)
            {
                yield return new(read(version, level), new("lsm.db", db.Path), new("level", level));
            }
        }
    }
}
