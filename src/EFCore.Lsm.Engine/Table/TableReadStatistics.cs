namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Read-path counters shared by table readers (and usually by the whole database). Updated with
/// <see cref="Interlocked"/>, so one instance may be shared by all threads; reads of the properties are racy snapshots.
/// </summary>
internal sealed class TableReadStatistics
{
    private long _bloomChecks;
    private long _bloomUseful;
    private long _dataBlockReads;
    private long _blockCacheHits;
    private long _blockCacheMisses;
    private long _bytesRead;

    /// <summary>Point lookups that consulted a Bloom filter.</summary>
    public long BloomChecks => Volatile.Read(ref _bloomChecks);

    /// <summary>Point lookups the Bloom filter answered "absent", saving a block read.</summary>
    public long BloomUseful => Volatile.Read(ref _bloomUseful);

    /// <summary>Data blocks read from a file (cache misses, or reads without a cache).</summary>
    public long DataBlockReads => Volatile.Read(ref _dataBlockReads);

    public long BlockCacheHits => Volatile.Read(ref _blockCacheHits);

    public long BlockCacheMisses => Volatile.Read(ref _blockCacheMisses);

    /// <summary>Bytes read from table files, including block trailers and the metadata read at open.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    internal void AddBloomCheck(bool useful)
    {
        Interlocked.Increment(ref _bloomChecks);
        if (useful)
        {
            Interlocked.Increment(ref _bloomUseful);
        }
    }

    internal void AddDataBlockRead(long bytes)
    {
        Interlocked.Increment(ref _dataBlockReads);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    internal void AddBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    internal void AddBlockCacheHit() => Interlocked.Increment(ref _blockCacheHits);

    internal void AddBlockCacheMiss() => Interlocked.Increment(ref _blockCacheMisses);
}
