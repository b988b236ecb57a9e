using System.Collections.Concurrent;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Keeps at most <c>maxOpenFiles</c> <see cref="TableReader"/>s open, least recently used first out. Readers are
/// reference counted: the cache holds one reference while a reader is cached and every <see cref="TableLease"/> holds
/// one, so a reader evicted (by the bound, or by <see cref="Evict"/> after its file was deleted) while an iterator
/// still uses it stays open until the last lease is released. Acquiring a cached reader allocates nothing and takes no
/// lock: a lookup in a concurrent map, a reference count increment that fails only on a reader already retired, and a
/// use stamp; opening, inserting and evicting (the rare path) take the lock, and eviction picks the entry with the oldest
/// stamp. Point lookups acquire a lease per candidate table, so a lock here was one per table per read.
/// Thread-safe.
/// </summary>
internal sealed class TableCache : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly int _maxOpenFiles;
    private readonly BlockCache? _blockCache;
    private readonly TableReadStatistics? _stats;
    // Serialises opens, inserts and evictions; lookups do not take it.
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<ulong, Entry> _entries = new();

    // Source of use stamps: the least recently used entry has the smallest.
    private long _clock;

    public TableCache(IFileSystem fs, string dbPath, int maxOpenFiles, BlockCache? blockCache, TableReadStatistics? stats)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentNullException.ThrowIfNull(dbPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOpenFiles, 1);
        _fs = fs;
        _dbPath = dbPath;
        _maxOpenFiles = maxOpenFiles;
        _blockCache = blockCache;
        _stats = stats;
    }

    /// <summary>Readers currently cached (leased readers that were evicted are not counted).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Returns a lease on the reader of table <paramref name="fileNumber"/>, opening it if needed. Dispose the lease
    /// exactly once. <paramref name="fileSize"/> is the size recorded in the manifest; a file of another size is
    /// reported as corruption (pass a negative value to skip the check). Opening errors propagate and nothing is cached.
    /// </summary>
    public TableLease Acquire(ulong fileNumber, long fileSize)
    {
        if (_entries.TryGetValue(fileNumber, out var cached) && cached.TryAddReference())
        {
            cached.Touch(Interlocked.Increment(ref _clock));
            return new TableLease(cached);
        }

        // Open outside the lock so that I/O on one table does not stall lookups of others.
        var reader = OpenReader(fileNumber, fileSize);
        Entry? evicted = null;
        Entry entry;
        lock (_gate)
        {
            if (_entries.TryGetValue(fileNumber, out var raced) && raced.TryAddReference())
            {
                // Another thread opened it first: use theirs.
                entry = raced;
            }
            else
            {
                entry = new Entry(reader, fileNumber);
                entry.TryAddReference();
                _entries[fileNumber] = entry;
                reader = null;
                if (_entries.Count > _maxOpenFiles)
                {
                    evicted = LeastRecentlyUsed(except: entry);
                    _entries.TryRemove(new KeyValuePair<ulong, Entry>(evicted.FileNumber, evicted));
                }
            }

            entry.Touch(Interlocked.Increment(ref _clock));
        }

        reader?.Dispose();
        evicted?.Release();
        return new TableLease(entry);
    }

    /// <summary>
    /// Point lookup in one table; see <see cref="TableReader.TryGet(ReadOnlySpan{byte}, ulong, out ValueKind, out ReadOnlySpan{byte}, out CachedBlock?)"/>.
    /// The value stays valid after the lease ends, until <paramref name="pin"/> is released.
    /// </summary>
    public bool TryGet(
        ulong fileNumber, long fileSize, ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value, out CachedBlock? pin)
    {
        using var lease = Acquire(fileNumber, fileSize);
        return lease.Reader.TryGet(userKey, snapshotSequence, out kind, out value, out pin);
    }

    /// <summary>
    /// Point lookup for tests and tools that keep the value: its block is never released, so it is never recycled
    /// (see <see cref="TableReader.TryGet(ReadOnlySpan{byte}, ulong, out ValueKind, out ReadOnlySpan{byte})"/>).
    /// </summary>
    public bool TryGet(ulong fileNumber, long fileSize, ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value)
        => TryGet(fileNumber, fileSize, userKey, snapshotSequence, out kind, out value, out _);

    /// <summary>An iterator over one table that keeps the table open until the iterator is disposed.</summary>
    public IInternalIterator NewIterator(ulong fileNumber, long fileSize, bool fillCache)
    {
        var lease = Acquire(fileNumber, fileSize);
        try
        {
            return lease.Reader.NewIterator(fillCache, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="NewIterator(ulong, long, bool)"/> that may re-target <paramref name="reuse"/> (an iterator this cache
    /// made, no longer needed) instead of allocating. Takes ownership of <paramref name="reuse"/>: it is returned or
    /// disposed, also on failure.
    /// </summary>
    public IInternalIterator NewIterator(ulong fileNumber, long fileSize, bool fillCache, IInternalIterator? reuse)
    {
        TableLease lease;
        try
        {
            lease = Acquire(fileNumber, fileSize);
        }
        catch
        {
            reuse?.Dispose();
            throw;
        }

        if (reuse is TableIterator table && table.FillCache == fillCache)
        {
            table.Retarget(lease.Reader, lease);
            return table;
        }

        reuse?.Dispose();
        try
        {
            return lease.Reader.NewIterator(fillCache, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Drops the reader of a table (its file is being deleted); it closes once its leases are released. Also drops
    /// the table's blocks from the block cache.
    /// </summary>
    public void Evict(ulong fileNumber)
    {
        Entry? entry;
        lock (_gate)
        {
            _entries.TryRemove(fileNumber, out entry);
        }

        entry?.Release();
        _blockCache?.EraseFile(fileNumber);
    }

    /// <summary>Drops every cached reader; leased readers close when their leases are released.</summary>
    public void Dispose()
    {
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
            _entries.Clear();
        }

        foreach (var entry in all)
        {
            entry.Release();
        }
    }

    private TableReader OpenReader(ulong fileNumber, long fileSize)
    {
        var path = FileNames.TableFile(_dbPath, fileNumber);
        // Tables never change once written: read them through a mapping where the file system has one.
        var file = _fs.OpenMappedRandomAccess(path);
        try
        {
            if (fileSize >= 0 && file.Length != fileSize)
            {
                throw new LsmCorruptionException(path, file.Length, $"table file is {file.Length} bytes but the manifest says {fileSize}");
            }

            return TableReader.Open(file, path, fileNumber, _blockCache, _stats);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The cached entry with the oldest use stamp, other than <paramref name="except"/>; called under the lock.</summary>
    private Entry LeastRecentlyUsed(Entry except)
    {
        Entry? oldest = null;
        foreach (var (_, entry) in _entries)
        {
            if (entry != except && (oldest is null || entry.LastUsed < oldest.LastUsed))
            {
                oldest = entry;
            }
        }

        return oldest ?? except;
    }

    /// <summary>A cached reader, its reference count (1 for the cache while cached, plus 1 per lease) and its last use.</summary>
    internal sealed class Entry(TableReader reader, ulong fileNumber)
    {
        private int _references = 1;
        private long _lastUsed;

        public TableReader Reader { get; } = reader;

        public ulong FileNumber { get; } = fileNumber;

        public long LastUsed => Volatile.Read(ref _lastUsed);

        public void Touch(long stamp) => Volatile.Write(ref _lastUsed, stamp);

        /// <summary>Adds a lease's reference unless the reader was already retired (the count reached 0).</summary>
        public bool TryAddReference() => Util.RefCount.TryIncrement(ref _references);

        public void Release()
        {
            var remaining = Interlocked.Decrement(ref _references);
            if (remaining == 0)
            {
                Reader.Dispose();
            }
            else if (remaining < 0)
            {
                throw new InvalidOperationException("A table lease was released more than once.");
            }
        }
    }
}

/// <summary>
/// A counted reference to a cached <see cref="TableReader"/>: the reader stays open until this is disposed. Dispose
/// exactly once (it is a struct: copies share the one reference). <c>default</c> is an empty lease whose Dispose does nothing.
/// </summary>
internal readonly struct TableLease : IDisposable
{
    private readonly TableCache.Entry? _entry;

    internal TableLease(TableCache.Entry entry) => _entry = entry;

    public TableReader Reader => _entry?.Reader ?? throw new InvalidOperationException("Empty table lease.");

    public void Dispose() => _entry?.Release();
}
