namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// The settings every engine is opened with, so that they do the same work: WAL on, no compression, one block cache
/// size, one write buffer size, a Bloom filter with the same bits per key, the same block size. The LSM shape settings
/// (L0 triggers, level sizes, file size) are passed to the engines that expose them (ours, RocksDB); LevelDB's C API
/// only takes the file size.
/// </summary>
internal sealed record StoreOptions
{
    public long WriteBufferSize { get; init; } = 16L << 20;

    public long BlockCacheSize { get; init; } = 32L << 20;

    public int BloomBitsPerKey { get; init; } = 10;

    public int BlockSize { get; init; } = 4096;

    public int MaxOpenFiles { get; init; } = 1000;

    /// <summary>Frozen memtables allowed to wait for flush (LevelDB always allows one).</summary>
    public int MaxImmutableMemtables { get; init; } = 2;

    public int Level0CompactionTrigger { get; init; } = 4;

    public int Level0SlowdownWritesTrigger { get; init; } = 12;

    public int Level0StopWritesTrigger { get; init; } = 20;

    public long MaxBytesForLevelBase { get; init; } = 64L << 20;

    public long TargetFileSize { get; init; } = 8L << 20;
}
