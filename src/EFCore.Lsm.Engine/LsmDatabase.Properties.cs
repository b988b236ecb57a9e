using System.Globalization;
using System.Text;
using EFCore.Lsm.Engine.Compaction;
using EFCore.Lsm.Engine.Diagnostics;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>Property names understood by <see cref="GetProperty"/>.</summary>
    public static class Properties
    {
        /// <summary>A readable table per level (files, size, score, compaction I/O) plus writes, stalls and caches.</summary>
        public const string Stats = "lsm.stats";

        /// <summary>Every live SST per level with its key range (like LevelDB's "leveldb.sstables").</summary>
        public const string SSTables = "lsm.sstables";

        /// <summary>Prefix: append a level number, e.g. "lsm.num-files-at-level0".</summary>
        public const string NumFilesAtLevelPrefix = "lsm.num-files-at-level";

        /// <summary>Total size in bytes of every live table file.</summary>
        public const string TotalSstBytes = "lsm.total-sst-bytes";
        /// <summary>Memtables frozen and waiting to be flushed.</summary>
        public const string NumImmutableMemTables = "lsm.num-immutable-mem-tables";
        /// <summary>Approximate bytes held by the memtable that takes writes.</summary>
        public const string ActiveMemTableBytes = "lsm.cur-size-active-mem-table";
        /// <summary>The sequence number of the last committed write.</summary>
        public const string LastSequence = "lsm.last-sequence";
        /// <summary>Snapshots currently held.</summary>
        public const string NumSnapshots = "lsm.num-snapshots";
        /// <summary>Bytes held by the block cache.</summary>
        public const string BlockCacheUsage = "lsm.block-cache-usage";
        /// <summary>Block reads served by the block cache.</summary>
        public const string BlockCacheHits = "lsm.block-cache-hits";
        /// <summary>Block reads that went to a table file.</summary>
        public const string BlockCacheMisses = "lsm.block-cache-misses";
        /// <summary>Data blocks read from table files.</summary>
        public const string DataBlockReads = "lsm.data-block-reads";
        /// <summary>Point lookups that consulted a table's Bloom filter.</summary>
        public const string BloomChecks = "lsm.bloom-checks";
        /// <summary>Bloom filter checks that skipped a table (the key was certainly absent).</summary>
        public const string BloomUseful = "lsm.bloom-useful";
        /// <summary>Memtables flushed to level-0 tables.</summary>
        public const string FlushCount = "lsm.flush-count";
        /// <summary>Compactions completed.</summary>
        public const string CompactionCount = "lsm.compaction-count";
        /// <summary>Bytes written by compactions.</summary>
        public const string CompactionBytesWritten = "lsm.compaction-bytes-written";
        /// <summary>Bytes of keys and values written by callers.</summary>
        public const string UserBytesWritten = "lsm.user-bytes-written";
        /// <summary>Bytes appended to write-ahead logs.</summary>
        public const string WalBytesWritten = "lsm.wal-bytes-written";

        /// <summary>Disk bytes written (WAL + flush + compaction) per user byte, as a decimal number.</summary>
        public const string WriteAmplification = "lsm.write-amplification";

        /// <summary>Microseconds writers spent slowed or stopped by flush and compaction backlog.</summary>
        public const string StallMicros = "lsm.stall-micros";
    }

    /// <summary>
    /// Returns a named property of the database (see <see cref="Properties"/>), or null for an unknown name. Numeric
    /// properties are returned as invariant-culture numbers.
    /// </summary>
    public string? GetProperty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfDisposed();
        var version = _versions.Current;
        static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

        if (name.StartsWith(Properties.NumFilesAtLevelPrefix, StringComparison.Ordinal))
        {
            return int.TryParse(name.AsSpan(Properties.NumFilesAtLevelPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var level)
                   && level < version.NumLevels
                ? N(version.FileCount(level))
                : null;
        }

        var s = _statistics;
        var t = _tableStatistics;
        return name switch
        {
            Properties.TotalSstBytes => N(Enumerable.Range(0, version.NumLevels).Sum(version.LevelBytes)),
            Properties.NumImmutableMemTables => N(Volatile.Read(ref _readState).Immutables.Length),
            Properties.ActiveMemTableBytes => N(Volatile.Read(ref _readState).Mem.ApproximateMemoryUsage),
            Properties.LastSequence => N((long)LastSequence),
            Properties.NumSnapshots => N(_snapshots.Count),
            Properties.BlockCacheUsage => N(_blockCache?.Usage ?? 0),
            Properties.BlockCacheHits => N(t.BlockCacheHits),
            Properties.BlockCacheMisses => N(t.BlockCacheMisses),
            Properties.DataBlockReads => N(t.DataBlockReads),
            Properties.BloomChecks => N(t.BloomChecks),
            Properties.BloomUseful => N(t.BloomUseful),
            Properties.FlushCount => N(Interlocked.Read(ref s.FlushCount)),
            Properties.CompactionCount => N(Enumerable.Range(0, version.NumLevels).Sum(level => s.Level(level).Count)),
            Properties.CompactionBytesWritten => N(s.CompactionBytesWritten),
            Properties.UserBytesWritten => N(Interlocked.Read(ref s.UserBytesWritten)),
            Properties.WalBytesWritten => N(Interlocked.Read(ref s.WalBytesWritten)),
            Properties.WriteAmplification => s.WriteAmplification.ToString("F3", CultureInfo.InvariantCulture),
            Properties.StallMicros => N((long)s.StallTime.TotalMicroseconds),
            Properties.SSTables => DescribeTables(version),
            Properties.Stats => DescribeStats(version),
            _ => null,
        };
    }

    private static string DescribeTables(Manifest.Version version)
    {
        var text = new StringBuilder();
        for (var level = 0; level < version.NumLevels; level++)
        {
            text.Append(CultureInfo.InvariantCulture, $"--- level {level} ---\n");
            foreach (var file in version.Files[level])
            {
                text.Append(CultureInfo.InvariantCulture,
                    $" {file.Number}:{file.Size}[{Format.InternalKey.Describe(file.Smallest)} .. {Format.InternalKey.Describe(file.Largest)}]\n");
            }
        }

        return text.ToString();
    }

    /// <summary>A per-level table in the spirit of RocksDB's "rocksdb.stats".</summary>
    private string DescribeStats(Manifest.Version version)
    {
        const double MiB = 1024 * 1024;
        var text = new StringBuilder();
        var scores = CompactionPicker.Scores(version, _options);
        text.Append("Level  Files  Size(MiB)  Score  Comp  Moves  Read(MiB)  Write(MiB)  Dropped\n");
        text.Append("-----  -----  ---------  -----  ----  -----  ---------  ----------  -------\n");
        long totalFiles = 0, totalBytes = 0;
        for (var level = 0; level < version.NumLevels; level++)
        {
            var c = _statistics.Level(level);
            var score = level < scores.Length ? scores[level].ToString("F2", CultureInfo.InvariantCulture) : "-";
            totalFiles += version.FileCount(level);
            totalBytes += version.LevelBytes(level);
            text.Append(CultureInfo.InvariantCulture,
                $"  L{level}  {version.FileCount(level),5}  {version.LevelBytes(level) / MiB,9:F2}  {score,5}  {c.Count,4}  {c.TrivialMoves,5}  {c.BytesRead / MiB,9:F1}  {c.BytesWritten / MiB,10:F1}  {c.EntriesDropped,7}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  Sum  {totalFiles,5}  {totalBytes / MiB,9:F2}\n\n");
        var s = _statistics;
        var t = _tableStatistics;
        var state = Volatile.Read(ref _readState);
        text.Append(CultureInfo.InvariantCulture,
            $"Since open: writes {Interlocked.Read(ref s.Writes)} batches, {Interlocked.Read(ref s.GroupedCommits)} group commits, {Interlocked.Read(ref s.ConditionFailures)} refused by a condition; user {Interlocked.Read(ref s.UserBytesWritten) / MiB:F1} MiB, WAL {Interlocked.Read(ref s.WalBytesWritten) / MiB:F1} MiB, flush {Interlocked.Read(ref s.FlushBytesWritten) / MiB:F1} MiB ({Interlocked.Read(ref s.FlushCount)} flushes), compaction {s.CompactionBytesWritten / MiB:F1} MiB; write amplification {s.WriteAmplification:F2}\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Stalls: {Interlocked.Read(ref s.SlowdownWrites)} slowed, {Interlocked.Read(ref s.StoppedWrites)} stopped, {s.StallTime.TotalSeconds:F3} s; " +
            $"{Interlocked.Read(ref s.MemtableSwitches)} memtable switches, {s.SwitchSyncTime.TotalSeconds:F3} s syncing their WALs\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Writer waits: L0 slowdown {EngineStatistics.Time(ref s.SlowdownTicks).TotalSeconds:F3} s; " +
            $"frozen memtables full {Interlocked.Read(ref s.MemtableStops)} waits {EngineStatistics.Time(ref s.MemtableStopTicks).TotalSeconds:F3} s; " +
            $"L0 stop {Interlocked.Read(ref s.Level0Stops)} waits {EngineStatistics.Time(ref s.Level0StopTicks).TotalSeconds:F3} s; " +
            $"commit queue {Interlocked.Read(ref s.CommitQueueWaits)} waits {EngineStatistics.Time(ref s.CommitQueueWaitTicks).TotalSeconds:F3} s; " +
            $"WAL syncs {Interlocked.Read(ref s.WalSyncs)}, {EngineStatistics.Time(ref s.WalSyncTicks).TotalSeconds:F3} s\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Background busy: flush {EngineStatistics.Time(ref s.FlushTicks).TotalSeconds:F3} s, compaction {EngineStatistics.Time(ref s.CompactionTicks).TotalSeconds:F3} s\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Memtables: active {state.Mem.ApproximateMemoryUsage} bytes, {state.Immutables.Length} immutable; last sequence {LastSequence}; live snapshots {_snapshots.Count}\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Block cache: {_blockCache?.Usage ?? 0} of {_blockCache?.Capacity ?? 0} bytes, {t.BlockCacheHits} hits, {t.BlockCacheMisses} misses\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Bloom filter: {t.BloomChecks} checks, {t.BloomUseful} useful; data blocks read from files: {t.DataBlockReads}\n");
        return text.ToString();
    }
}
