using EFCore.Lsm.Engine;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// Our engine, <see cref="LsmDatabase"/>, behind the benchmark interface: without compression (as every engine is compared),
/// or, as <see cref="StoreCatalog.OursCompressed"/>, with the engine's own defaults of LZ4 for upper levels and Zstd for
/// the bottommost level, the row that shows what compression costs in reads and saves on disk.
/// </summary>
internal sealed class LsmStore : IKeyValueStore
{
    private static readonly WriteOptions SyncWrite = new() { Sync = true };
    private static readonly WriteOptions NoSyncWrite = new() { Sync = false };

    private readonly LsmDatabase _db;

    private LsmStore(string name, LsmDatabase db)
    {
        Name = name;
        _db = db;
    }

    public string Name { get; }

    public static LsmStore Open(string path, StoreOptions options, bool compressed = false)
        => new(compressed ? StoreCatalog.OursCompressed : StoreCatalog.Ours, LsmDatabase.Open(path, new LsmOptions
        {
            Compression = compressed ? TableCompression.Lz4 : TableCompression.None,
            BottommostCompression = compressed ? TableCompression.Zstd : TableCompression.None,
            CreateIfMissing = true,
            WriteBufferSize = options.WriteBufferSize,
            BlockCacheSize = options.BlockCacheSize,
            BloomBitsPerKey = options.BloomBitsPerKey,
            BlockSize = options.BlockSize,
            MaxOpenFiles = options.MaxOpenFiles,
            MaxImmutableMemtables = options.MaxImmutableMemtables,
            Level0CompactionTrigger = options.Level0CompactionTrigger,
            Level0SlowdownWritesTrigger = options.Level0SlowdownWritesTrigger,
            Level0StopWritesTrigger = options.Level0StopWritesTrigger,
            MaxBytesForLevelBase = options.MaxBytesForLevelBase,
            TargetFileSize = options.TargetFileSize,
        }));

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync) => _db.Put(key, value, sync ? SyncWrite : NoSyncWrite);

    public void Delete(ReadOnlySpan<byte> key, bool sync) => _db.Delete(key, sync ? SyncWrite : NoSyncWrite);

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        if (!_db.TryGet(key, destination, out var length))
        {
            return -1;
        }

        if (length > destination.Length)
        {
            // The store contract copies the prefix that fits; rare, so the copying Get is fine here.
            _db.Get(key).AsSpan(0, destination.Length).CopyTo(destination);
        }

        return length;
    }

    public IKeyValueBatch CreateBatch() => new Batch();

    public void Write(IKeyValueBatch batch, bool sync) => _db.Write(((Batch)batch).Inner, sync ? SyncWrite : NoSyncWrite);

    public IKeyValueIterator NewIterator() => new Iterator(_db.NewIterator());

    public void Dispose()
    {
        // LSM_BENCH_STATS=FILE appends the engine's statistics (levels, stalls, where writers waited, background busy
        // time) when each database closes, to explain a figure without a profiler.
        if (Environment.GetEnvironmentVariable("LSM_BENCH_STATS") is { Length: > 0 } statsFile)
        {
            File.AppendAllText(statsFile, $"== {Name} {_db.Path} at {DateTime.UtcNow:O}\n{_db.GetProperty(LsmDatabase.Properties.Stats)}\n");
        }

        _db.Dispose();
    }

    private sealed class Batch : IKeyValueBatch
    {
        public WriteBatch Inner { get; } = new();

        public int Count => Inner.Count;

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Inner.Put(key, value);

        public void Delete(ReadOnlySpan<byte> key) => Inner.Delete(key);

        public void Clear() => Inner.Clear();

        public void Dispose()
        {
        }
    }

    private sealed class Iterator(LsmIterator inner) : IKeyValueIterator
    {
        public bool Valid => inner.Valid;

        public ReadOnlySpan<byte> Key => inner.Key;

        public ReadOnlySpan<byte> Value => inner.Value;

        public void SeekToFirst() => inner.SeekToFirst();

        public void Seek(ReadOnlySpan<byte> key) => inner.Seek(key);

        public void Next() => inner.Next();

        public void Dispose() => inner.Dispose();
    }
}
