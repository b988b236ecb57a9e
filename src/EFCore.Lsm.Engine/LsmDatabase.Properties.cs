using System.Globalization;
using System.Text;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>Property names understood by <see cref="GetProperty"/>.</summary>
    public static class Properties
    {
        /// <summary>A readable table of files and bytes per level, memtables, caches and counters.</summary>
        public const string Stats = "lsm.stats";

        /// <summary>Every live SST per level with its key range (like LevelDB's "leveldb.sstables").</summary>
        public const string SSTables = "lsm.sstables";

        /// <summary>Prefix: append a level number, e.g. "lsm.num-files-at-level0".</summary>
        public const string NumFilesAtLevelPrefix = "lsm.num-files-at-level";

        public const string TotalSstBytes = "lsm.total-sst-bytes";
        public const string NumImmutableMemTables = "lsm.num-immutable-mem-tables";
        public const string ActiveMemTableBytes = "lsm.cur-size-active-mem-table";
        public const string LastSequence = "lsm.last-sequence";
        public const string NumSnapshots = "lsm.num-snapshots";
        public const string BlockCacheUsage = "lsm.block-cache-usage";
    }

    /// <summary>
    /// Returns a named property of the database (see <see cref="Properties"/>), or null for an unknown name. Numeric
    /// properties are returned as invariant-culture integers.
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

        switch (name)
        {
            case Properties.TotalSstBytes:
                return N(Enumerable.Range(0, version.NumLevels).Sum(version.LevelBytes));
            case Properties.NumImmutableMemTables:
                lock (_stateLock)
                {
                    return N(_immutables.Count);
                }

            case Properties.ActiveMemTableBytes:
                return N(Volatile.Read(ref _readState).Mem.ApproximateMemoryUsage);
            case Properties.LastSequence:
                return N((long)LastSequence);
            case Properties.NumSnapshots:
                return N(_snapshots.Count);
            case Properties.BlockCacheUsage:
                return N(_blockCache?.Usage ?? 0);
            case Properties.SSTables:
                return DescribeTables(version);
            case Properties.Stats:
                return DescribeStats(version);
            default:
                return null;
        }
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

    private string DescribeStats(Manifest.Version version)
    {
        var text = new StringBuilder();
        text.Append("Level  Files   Size(MiB)\n");
        text.Append("-----  -----  ----------\n");
        for (var level = 0; level < version.NumLevels; level++)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  L{level}  {version.FileCount(level),5}  {version.LevelBytes(level) / 1048576.0,10:F2}\n");
        }

        int immutables;
        lock (_stateLock)
        {
            immutables = _immutables.Count;
        }

        var stats = _tableStatistics;
        text.Append(CultureInfo.InvariantCulture, $"Memtables: active {Volatile.Read(ref _readState).Mem.ApproximateMemoryUsage} bytes, {immutables} immutable\n");
        text.Append(CultureInfo.InvariantCulture, $"Last sequence: {LastSequence}; live snapshots: {_snapshots.Count}\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Block cache: {_blockCache?.Usage ?? 0} of {_blockCache?.Capacity ?? 0} bytes, {stats.BlockCacheHits} hits, {stats.BlockCacheMisses} misses\n");
        text.Append(CultureInfo.InvariantCulture,
            $"Bloom filter: {stats.BloomChecks} checks, {stats.BloomUseful} useful; data blocks read from files: {stats.DataBlockReads}\n");
        return text.ToString();
    }
}
