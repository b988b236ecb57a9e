using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine;

/// <summary>How a database is opened and tuned. Defaults suit a general-purpose embedded store.</summary>
public sealed class LsmOptions
{
    /// <summary>The file system all I/O goes through; <see cref="LocalFileSystem"/> unless a test supplies another.</summary>
    public IFileSystem FileSystem { get; set; } = LocalFileSystem.Instance;

    /// <summary>Create the database folder and an empty database when none exists (default true).</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Fail when a database already exists at the path.</summary>
    public bool ErrorIfExists { get; set; }

    /// <summary>
    /// Open for reading only, as RocksDB's OpenForReadOnly: no file is created, written or deleted (not even LOCK), so it
    /// works on a read-only file system, on a full disk, and beside another process that has the database open for
    /// writing. Takes no lock: it reads CURRENT, the manifest, the tables and the WALs, holding every file open, and
    /// starts over from CURRENT when a concurrent writer retired a file meanwhile, so it sees one consistent state, as of
    /// the moment it opened (later writes of the other process are not seen; reopen for a newer state). The WALs are
    /// replayed into memory, never flushed. Writes, <see cref="LsmDatabase.Flush"/> and
    /// <see cref="LsmDatabase.CompactRange"/> throw <see cref="LsmException"/>. A missing database is an error
    /// (<see cref="CreateIfMissing"/> does not apply); <see cref="ErrorIfExists"/> cannot be combined with it.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>Bytes a memtable holds before it is frozen and flushed to an L0 SSTable (default 16 MiB).</summary>
    public long WriteBufferSize { get; set; } = 16L << 20;

    /// <summary>
    /// Frozen memtables allowed to wait for flush; writers stall (never fail) while this many are queued (default 2).
    /// </summary>
    public int MaxImmutableMemtables { get; set; } = 2;

    /// <summary>Target uncompressed size of an SST data block (default 4 KiB).</summary>
    public int BlockSize { get; set; } = 4096;

    /// <summary>Keys between restart points inside a data block (default 16).</summary>
    public int BlockRestartInterval { get; set; } = 16;

    /// <summary>Bloom filter bits per key; 0 disables filters (default 10, about 1% false positives).</summary>
    public int BloomBitsPerKey { get; set; } = 10;

    /// <summary>
    /// How SST data blocks are compressed (default <see cref="TableCompression.Lz4"/>): flushes and compactions into every
    /// level but the bottommost use it. Blocks that do not shrink by an eighth are stored uncompressed either way; tables
    /// without compression keep format version 1 (docs/table_format.md).
    /// </summary>
    public TableCompression Compression { get; set; } = TableCompression.Lz4;

    /// <summary>
    /// Compression of tables compaction writes to the bottommost level, where most of the data ends up (RocksDB's
    /// bottommost_compression); null means the same as <see cref="Compression"/>. <see cref="TableCompression.Zstd"/> trades
    /// some read and compaction CPU for smaller files.
    /// </summary>
    public TableCompression? BottommostCompression { get; set; }

    /// <summary>Zstandard level for <see cref="TableCompression.Zstd"/> tables, 1..22 (default 3).</summary>
    public int ZstdLevel { get; set; } = 3;

    /// <summary>Bytes of decoded blocks kept in the shared block cache (CLOCK, an approximation of LRU) (default 32 MiB).</summary>
    public long BlockCacheSize { get; set; } = 32L << 20;

    /// <summary>SST files kept open at once by the table cache (default 1000).</summary>
    public int MaxOpenFiles { get; set; } = 1000;

    /// <summary>
    /// When a WAL has a damaged record before its end, skip the damage and keep going instead of refusing to open
    /// (RocksDB's "skip any corrupted records"). A torn tail is always a clean end and needs no tolerance.
    /// </summary>
    public bool TolerateCorruptedWalRecords { get; set; }

    /// <summary>L0 file count that starts an L0 → L1 compaction (default 4).</summary>
    public int Level0CompactionTrigger { get; set; } = 4;

    /// <summary>L0 file count at which each write is delayed by about a millisecond so compaction can catch up (default 12).</summary>
    public int Level0SlowdownWritesTrigger { get; set; } = 12;

    /// <summary>L0 file count at which writers wait until compaction brings it down (default 20).</summary>
    public int Level0StopWritesTrigger { get; set; } = 20;

    /// <summary>Size target of L1; compaction into L2 starts above it (default 64 MiB).</summary>
    public long MaxBytesForLevelBase { get; set; } = 64L << 20;

    /// <summary>Each level below L1 may hold this many times the bytes of the one above (default 10).</summary>
    public int MaxBytesForLevelMultiplier { get; set; } = 10;

    /// <summary>Compaction output files are cut at about this size, never in the middle of one key's versions (default 8 MiB).</summary>
    public long TargetFileSize { get; set; } = 8L << 20;

    /// <summary>Turns off background compaction; <see cref="LsmDatabase.CompactRange"/> still works (default false).</summary>
    public bool DisableAutoCompactions { get; set; }

    /// <summary>
    /// Test seam: no background threads; pending flushes and compactions run on the calling thread at defined points
    /// (at the end of Open, after each write, in <see cref="LsmDatabase.Flush"/> and <see cref="LsmDatabase.WaitForCompactions"/>),
    /// so the order of file-system calls depends only on the operations issued. The fault sweep uses it so that a failing
    /// case replays exactly from its seed.
    /// </summary>
    internal bool InlineBackgroundWork { get; set; }

    internal LsmOptions Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Require(FileSystem is not null, "LsmOptions.FileSystem must not be null.");
        Require(!(ReadOnly && ErrorIfExists), "LsmOptions.ReadOnly and LsmOptions.ErrorIfExists cannot be combined.");
        Require(WriteBufferSize >= 64 * 1024, "LsmOptions.WriteBufferSize must be at least 64 KiB.");
        Require(MaxImmutableMemtables >= 1, "LsmOptions.MaxImmutableMemtables must be at least 1.");
        Require(BlockSize is >= 256 and <= 1 << 24, "LsmOptions.BlockSize must be between 256 bytes and 16 MiB.");
        Require(BlockRestartInterval >= 1, "LsmOptions.BlockRestartInterval must be at least 1.");
        Require(BloomBitsPerKey is >= 0 and <= 64, "LsmOptions.BloomBitsPerKey must be between 0 and 64.");
        Require(BlockCacheSize >= 0, "LsmOptions.BlockCacheSize must not be negative.");
        Require(Enum.IsDefined(Compression), $"LsmOptions.Compression must be None, Lz4 or Zstd, not {Compression}.");
        Require(BottommostCompression is null || Enum.IsDefined(BottommostCompression.Value),
            $"LsmOptions.BottommostCompression must be None, Lz4, Zstd or null, not {BottommostCompression}.");
        Require(ZstdLevel is >= 1 and <= 22, "LsmOptions.ZstdLevel must be between 1 and 22.");
        Require(MaxOpenFiles >= 16, "LsmOptions.MaxOpenFiles must be at least 16.");
        Require(Level0CompactionTrigger >= 1, "LsmOptions.Level0CompactionTrigger must be at least 1.");
        Require(Level0SlowdownWritesTrigger >= Level0CompactionTrigger,
            "LsmOptions.Level0SlowdownWritesTrigger must be at least Level0CompactionTrigger.");
        Require(Level0StopWritesTrigger >= Level0SlowdownWritesTrigger,
            "LsmOptions.Level0StopWritesTrigger must be at least Level0SlowdownWritesTrigger.");
        Require(MaxBytesForLevelBase >= 64 * 1024, "LsmOptions.MaxBytesForLevelBase must be at least 64 KiB.");
        Require(MaxBytesForLevelMultiplier >= 2, "LsmOptions.MaxBytesForLevelMultiplier must be at least 2.");
        Require(TargetFileSize >= 16 * 1024, "LsmOptions.TargetFileSize must be at least 16 KiB.");
        return this;
    }
}

/// <summary>Options for one write.</summary>
public sealed class WriteOptions
{
    internal static readonly WriteOptions Default = new();

    /// <summary>
    /// fsync the WAL before the write returns, so an acknowledged write survives power loss. Concurrent synced writers
    /// share one fsync (group commit). Without it a write survives a process crash but not a power loss.
    /// </summary>
    public bool Sync { get; set; }
}

/// <summary>Options for one read or iterator.</summary>
public sealed class ReadOptions
{
    internal static readonly ReadOptions Default = new();

    /// <summary>Read as of this snapshot; null reads the latest committed state (fixed when the read starts).</summary>
    public Snapshot? Snapshot { get; set; }

    /// <summary>Iterators see only keys &gt;= this (inclusive); null for no lower bound.</summary>
    public byte[]? LowerBound { get; set; }

    /// <summary>Iterators see only keys &lt; this (exclusive); null for no upper bound.</summary>
    public byte[]? UpperBound { get; set; }

    /// <summary>
    /// Whether blocks read for this operation are added to the block cache (default true). An iterator adds them at low
    /// priority, where eviction looks first, so a scan larger than the cache does not push out the blocks point reads use.
    /// </summary>
    public bool FillCache { get; set; } = true;
}
