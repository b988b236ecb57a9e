using ZoneTree;
using ZoneTree.Comparers;
using ZoneTree.Options;
using ZoneTree.Serializers;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// ZoneTree (a managed LSM engine) through its own API over <see cref="Memory{T}"/> keys and values, compared bytewise.
/// Settings matched to <see cref="StoreOptions"/> where ZoneTree has them: a synchronous WAL (every write reaches its log
/// before it returns; <c>sync</c> writes also call <c>SyncWALAsync</c>, ZoneTree's only way to force the log to disk),
/// no compression of the WAL or the disk segments, and a mutable segment of about the write buffer's size (ZoneTree sizes
/// it in entries, not bytes). ZoneTree has no bytes-bounded block cache, Bloom filter setting or block size, and no
/// atomic multi-key batch outside its transactional tree: a batch is applied entry by entry. ZoneTree marks deletions in
/// the value, so a stored value is one marker byte (1) followed by the value and a deletion is the empty value; the one
/// extra byte per entry is the price of empty values staying distinct from deletions. A maintainer merges segments in
/// the background, as the other engines compact.
/// </summary>
internal sealed class ZoneTreeStore : IKeyValueStore
{
    private readonly IZoneTree<Memory<byte>, Memory<byte>> _tree;
    private readonly IMaintainer _maintainer;
    private int _disposed;

    private ZoneTreeStore(string path, StoreOptions options)
    {
        try
        {
            _tree = Create(path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PeerStoreException($"ZoneTree open of '{path}' failed: {e.Message}");
        }

        _maintainer = _tree.CreateMaintainer();
    }

    private static IZoneTree<Memory<byte>, Memory<byte>> Create(string path, StoreOptions options)
    {
        // 16-byte keys and 100-byte values plus ZoneTree's per-entry bookkeeping (two Memory<byte> and their arrays).
        var entriesPerBuffer = (int)Math.Clamp(options.WriteBufferSize / 160, 10_000, 10_000_000);
        return new ZoneTreeFactory<Memory<byte>, Memory<byte>>()
            .SetDataDirectory(Path.Combine(path, "data"))
            .SetWriteAheadLogDirectory(Path.Combine(path, "wal"))
            .SetComparer(new ByteArrayLexicographicComparerAscending())
            .SetKeySerializer(new ByteArraySerializer())
            .SetValueSerializer(new ByteArraySerializer())
            .SetMutableSegmentMaxItemCount(entriesPerBuffer)
            .SetIsDeletedDelegate((in Memory<byte> _, in Memory<byte> value) => value.IsEmpty)
            .SetMarkValueDeletedDelegate((ref Memory<byte> value) => value = Memory<byte>.Empty)
            .ConfigureWriteAheadLogOptions(wal =>
            {
                wal.WriteAheadLogMode = WriteAheadLogMode.Sync;
                wal.CompressionMethod = CompressionMethod.None;
            })
            .ConfigureDiskSegmentOptions(disk => disk.CompressionMethod = CompressionMethod.None)
            .OpenOrCreate();
    }

    public string Name => StoreCatalog.ZoneTree;

    public static ZoneTreeStore Open(string path, StoreOptions options) => new(path, options);

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync)
    {
        // ZoneTree keeps the arrays it is given: each entry needs its own.
        Memory<byte> k = key.ToArray();
        Memory<byte> v = Stored(value);
        _tree.Upsert(in k, in v);
        if (sync)
        {
            _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync)
    {
        Memory<byte> k = key.ToArray();
        _tree.ForceDelete(in k);
        if (sync)
        {
            _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        Memory<byte> k = key.ToArray();
        if (!_tree.TryGet(in k, out var value))
        {
            return -1;
        }

        var span = value.Span[1..];
        span[..Math.Min(span.Length, destination.Length)].CopyTo(destination);
        return span.Length;
    }

    public IKeyValueBatch CreateBatch() => new Batch();

    public void Write(IKeyValueBatch batch, bool sync)
    {
        foreach (var (key, value) in ((Batch)batch).Entries)
        {
            Memory<byte> k = key;
            if (value is null)
            {
                _tree.ForceDelete(in k);
            }
            else
            {
                Memory<byte> v = Stored(value);
                _tree.Upsert(in k, in v);
            }
        }

        if (sync)
        {
            _tree.SyncWALAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public IKeyValueIterator NewIterator() => new Iterator(_tree.CreateIterator(IteratorType.NoRefresh, includeDeletedRecords: false));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _maintainer.WaitForBackgroundThreads();
            _maintainer.Dispose();
            _tree.Dispose();
        }
    }

    /// <summary>The value as stored: the marker byte that tells it from a deletion, then the value.</summary>
    private static byte[] Stored(ReadOnlySpan<byte> value)
    {
        var stored = new byte[value.Length + 1];
        stored[0] = 1;
        value.CopyTo(stored.AsSpan(1));
        return stored;
    }

    private sealed class Batch : IKeyValueBatch
    {
        public List<(byte[] Key, byte[]? Value)> Entries { get; } = [];

        public int Count => Entries.Count;

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Entries.Add((key.ToArray(), value.ToArray()));

        public void Delete(ReadOnlySpan<byte> key) => Entries.Add((key.ToArray(), null));

        public void Clear() => Entries.Clear();

        public void Dispose()
        {
        }
    }

    private sealed class Iterator(IZoneTreeIterator<Memory<byte>, Memory<byte>> inner) : IKeyValueIterator
    {
        private bool _valid;

        public bool Valid => _valid;

        public ReadOnlySpan<byte> Key => inner.CurrentKey.Span;

        public ReadOnlySpan<byte> Value => inner.CurrentValue.Span[1..];

        // ZoneTree's iterators are positioned by the Next after a seek.
        public void SeekToFirst()
        {
            inner.SeekFirst();
            _valid = inner.Next();
        }

        public void Seek(ReadOnlySpan<byte> key)
        {
            Memory<byte> k = key.ToArray();
            inner.Seek(in k);
            _valid = inner.Next();
        }

        public void Next() => _valid = inner.Next();

        public void Dispose() => inner.Dispose();
    }
}
