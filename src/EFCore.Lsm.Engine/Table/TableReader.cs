using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Lookup;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Reads one SSTable (docs/table_format.md). <see cref="Open"/> reads and verifies the footer, index, filter and
/// properties; data blocks are read on demand, checksum-verified, and shared through the <see cref="BlockCache"/>.
/// <para>
/// Thread-safety: after <see cref="Open"/> the reader is immutable; any number of threads may call
/// <c>TryGet</c>, <see cref="MayContain"/> and <c>NewIterator</c> concurrently (each iterator belongs to
/// one thread). Data blocks live in recycled buffers (<see cref="CachedBlock"/>): a lookup hands its caller a reference
/// to the block its value points into, and the value stays valid until that reference is released, even if the block
/// is evicted or the reader is disposed meanwhile.
/// </para>
/// <para>
/// A table whose file is memory-mapped (<see cref="IMappedFile"/>) has its uncompressed data blocks read in place: each
/// load verifies the block's checksum on the mapped bytes and parses it there, with no copy and no block-cache entry
/// (the page cache already holds those bytes; caching them again cost a copy, an insert and an eviction per miss). Such
/// a block holds a reference to the mapping (<see cref="CachedBlock.ForMapping"/>), so it stays valid after the reader
/// is disposed, until released. Compressed blocks are decompressed from the mapping into the block cache.
/// </para>
/// <para>Disposing the reader closes the file (a mapping once its last block is released); it must not be used
/// afterwards (the <see cref="TableCache"/> enforces this with leases).</para>
/// </summary>
internal sealed unsafe class TableReader : IDisposable
{
    private const int StackKeyLimit = 256;

    private readonly IRandomAccessFile _file;
    private readonly ulong _fileNumber;
    private readonly BlockCache? _cache;
    private readonly TableReadStatistics? _stats;
    private readonly Block _indexBlock;
    private readonly byte[]? _filter;
    private readonly long _footerOffset;
    private readonly uint _formatVersion;

    // The mapped file's memory and the reference count that keeps it mapped; null when the file is read with copies.
    private readonly byte* _mapped;
    private readonly CachedBlock? _mapping;
    private int _disposed;

    private TableReader(
        IRandomAccessFile file,
        string fileName,
        ulong fileNumber,
        BlockCache? cache,
        TableReadStatistics? stats,
        long footerOffset,
        Block indexBlock,
        byte[]? filter,
        TableProperties properties)
    {
        _file = file;
        FileName = fileName;
        _fileNumber = fileNumber;
        _cache = cache;
        _stats = stats;
        _footerOffset = footerOffset;
        _indexBlock = indexBlock;
        _filter = filter;
        Properties = properties;
        _formatVersion = properties.FormatVersion;
        if (file is IMappedFile mapped)
        {
            _mapped = mapped.Start;
            _mapping = CachedBlock.ForMapping(file);
        }
    }

    /// <summary>Whether data blocks are read in place from a memory mapping of the file.</summary>
    internal bool IsMapped => _mapping is not null;

    public string FileName { get; }

    public ulong FileNumber => _fileNumber;

    public TableProperties Properties { get; }

    /// <summary>Whether the table has a Bloom filter (tables written with BloomBitsPerKey = 0 do not).</summary>
    public bool HasFilter => _filter is not null;

    /// <summary>
    /// Opens a table, reading and verifying its footer, index, metaindex, properties and filter. Any damage raises
    /// <see cref="LsmCorruptionException"/> naming <paramref name="fileName"/>. On success the reader owns
    /// <paramref name="file"/> (disposing the reader closes it); on failure the caller still owns it.
    /// </summary>
    public static TableReader Open(IRandomAccessFile file, string fileName, ulong fileNumber, BlockCache? cache, TableReadStatistics? stats = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(fileName);
        var length = file.Length;
        if (length < TableFormat.FooterSize)
        {
            throw new LsmCorruptionException(fileName, 0, $"file of {length} bytes is too short to be a table");
        }

        var footerOffset = length - TableFormat.FooterSize;
        Span<byte> footerBytes = stackalloc byte[TableFormat.FooterSize];
        if (file.Read(footerOffset, footerBytes) != footerBytes.Length)
        {
            throw new LsmCorruptionException(fileName, footerOffset, "short read of table footer");
        }

        stats?.AddBytesRead(footerBytes.Length);
        var footer = Footer.Decode(footerBytes, fileName, footerOffset);

        var indexData = ReadBlock(file, fileName, footerOffset, footer.IndexHandle, footerOffset, stats, "index");
        var indexBlock = new Block(indexData, fileName, footer.IndexHandle.Offset);

        var metaindexData = ReadBlock(file, fileName, footerOffset, footer.MetaindexHandle, footerOffset, stats, "metaindex");
        var metaindex = new Block(metaindexData, fileName, footer.MetaindexHandle.Offset);
        BlockHandle? filterHandle = null;
        BlockHandle? propertiesHandle = null;
        long filterSource = 0;
        long propertiesSource = 0;
        ForEachRawEntry(metaindex, (name, value, entryOffset) =>
        {
            if (name.SequenceEqual(TableFormat.FilterBlockName) || name.SequenceEqual(TableFormat.PropertiesBlockName))
            {
                if (BlockHandle.TryDecode(value, out var handle) != value.Length)
                {
                    throw new LsmCorruptionException(fileName, entryOffset, "malformed block handle in metaindex");
                }

                if (name.SequenceEqual(TableFormat.FilterBlockName))
                {
                    filterHandle = handle;
                    filterSource = entryOffset;
                }
                else
                {
                    propertiesHandle = handle;
                    propertiesSource = entryOffset;
                }
            }
        });

        if (propertiesHandle is not { } ph)
        {
            throw new LsmCorruptionException(fileName, footer.MetaindexHandle.Offset, "metaindex has no properties entry");
        }

        var propertiesData = ReadBlock(file, fileName, footerOffset, ph, propertiesSource, stats, "properties");
        var properties = TableProperties.Decode(propertiesData, fileName, ph.Offset);
        if (properties.FormatVersion != footer.Version)
        {
            throw new LsmCorruptionException(fileName, ph.Offset,
                $"properties say format version {properties.FormatVersion} but the footer says {footer.Version}");
        }

        properties.FileSize = length;

        byte[]? filter = null;
        if (filterHandle is { } fh)
        {
            filter = ReadBlock(file, fileName, footerOffset, fh, filterSource, stats, "filter");
            if (!BloomFilter.IsWellFormed(filter))
            {
                throw new LsmCorruptionException(fileName, fh.Offset, "malformed Bloom filter block");
            }
        }

        return new TableReader(file, fileName, fileNumber, cache, stats, footerOffset, indexBlock, filter, properties);
    }

    /// <summary>False when the Bloom filter proves <paramref name="userKey"/> is not in the table.</summary>
    public bool MayContain(ReadOnlySpan<byte> userKey) => _filter is null || BloomFilter.MayContain(_filter, userKey);

    /// <summary>
    /// Finds the newest entry of <paramref name="userKey"/> with sequence &lt;= <paramref name="snapshotSequence"/>.
    /// Returns true with its kind and value (empty for <see cref="ValueKind.Delete"/>), or false when the table has
    /// no such entry. On true, <paramref name="pin"/> is the block the value points into, with a reference the caller
    /// releases once it has copied the value (null when there is nothing to release). Allocates nothing when the data
    /// block is cached (the filter, index and key scratch are on the stack or pooled) or a pooled buffer is free.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value, out CachedBlock? pin)
    {
        kind = default;
        value = default;
        pin = null;
        if (_filter is not null)
        {
            var mayContain = BloomFilter.MayContain(_filter, userKey);
            _stats?.AddBloomCheck(useful: !mayContain);
            if (!mayContain)
            {
                return false;
            }
        }

        var seekLength = userKey.Length + InternalKey.TrailerSize;
        byte[]? rented = null;
        var seekKey = seekLength <= StackKeyLimit
            ? stackalloc byte[StackKeyLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(seekLength));
        seekKey = seekKey[..InternalKey.Write(seekKey, userKey, Math.Min(snapshotSequence, InternalKey.MaxSequence), InternalKey.KindForSeek)];

        var cursor = new BlockCursor(_indexBlock);
        CachedBlock? data = null;
        try
        {
            cursor.Seek(seekKey);
            if (!cursor.Valid)
            {
                return false;
            }

            var handle = DecodeIndexValue(ref cursor);
            cursor.Reset(GetDataBlock(handle, cursor.CurrentFileOffset, fillCache: true, out data));
            cursor.Seek(seekKey);
            if (!cursor.Valid || !InternalKey.UserKey(cursor.Key).SequenceEqual(userKey))
            {
                return false;
            }

            kind = InternalKey.Kind(cursor.Key);
            if (kind != ValueKind.Delete)
            {
                value = cursor.Value;
                pin = data;
                data = null;
            }

            return true;
        }
        finally
        {
            data?.Release();
            cursor.ReleaseBuffer();
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Resolves the groups of <paramref name="batch"/> listed in <paramref name="run"/> (ascending keys, all within this
    /// table's key range) that have an entry here at <paramref name="snapshotSequence"/>, exactly as
    /// <see cref="TryGet(ReadOnlySpan{byte}, ulong, out ValueKind, out ReadOnlySpan{byte}, out CachedBlock?)"/> per key
    /// would, and moves the others to the front of <paramref name="run"/>, in order; returns how many those are.
    /// <para>
    /// Work is shared between consecutive keys: one Bloom probe per key, then the index cursor stays on its entry while
    /// keys stay at or below its separator (and tries the next entry before a new binary search), and the data block
    /// stays loaded and pinned while keys stay in it, so a block is read, checksum-verified and parsed once per run of
    /// keys rather than once per key; within a block each key's search goes on from the previous key's entry rather than
    /// from the block's first restart point. Values go to the batch's sink while their block is pinned. Allocates nothing
    /// when blocks are cached or mapped.
    /// </para>
    /// </summary>
    internal int MultiGet(ref MultiGetBatch batch, Span<int> run, ulong snapshotSequence)
    {
        var sequence = Math.Min(snapshotSequence, InternalKey.MaxSequence);
        var kept = new PendingWriter(run);
        Span<byte> stackKey = stackalloc byte[StackKeyLimit];
        byte[]? rented = null;
        var index = new BlockCursor(_indexBlock);
        var data = default(BlockCursor);
        CachedBlock? pin = null;
        var indexSought = false;
        var handle = default(BlockHandle);
        var loadedOffset = -1L;
        try
        {
            for (var r = 0; r < run.Length; r++)
            {
                var group = run[r];
                var userKey = batch.Key(group);
                if (_filter is not null)
                {
                    var mayContain = BloomFilter.MayContain(_filter, userKey);
                    _stats?.AddBloomCheck(useful: !mayContain);
                    if (!mayContain)
                    {
                        kept.Keep(group);
                        continue;
                    }
                }

                var seekLength = userKey.Length + InternalKey.TrailerSize;
                scoped Span<byte> seekKey;
                if (seekLength <= StackKeyLimit)
                {
                    seekKey = stackKey;
                }
                else
                {
                    if (rented is null || rented.Length < seekLength)
                    {
                        if (rented is not null)
                        {
                            ArrayPool<byte>.Shared.Return(rented);
                        }

                        rented = ArrayPool<byte>.Shared.Rent(seekLength);
                    }

                    seekKey = rented;
                }

                seekKey = seekKey[..InternalKey.Write(seekKey, userKey, sequence, InternalKey.KindForSeek)];

                // The index entry of the previous key covers every key up to its separator; past it, the next entry
                // usually does (keys close together), and only otherwise is the index searched again.
                if (!indexSought)
                {
                    index.Seek(seekKey);
                    indexSought = true;
                    handle = index.Valid ? DecodeIndexValue(ref index) : default;
                }
                else if (InternalKey.Compare(seekKey, index.Key) > 0)
                {
                    index.Next();
                    if (index.Valid && InternalKey.Compare(seekKey, index.Key) > 0)
                    {
                        index.SeekForward(seekKey);
                    }

                    handle = index.Valid ? DecodeIndexValue(ref index) : default;
                }

                if (!index.Valid)
                {
                    // Past the last block: so are all the keys after this one.
                    kept.Keep(run[r..]);
                    break;
                }

                if (handle.Offset != loadedOffset)
                {
                    pin?.Release();
                    pin = null;
                    loadedOffset = -1;
                    var block = GetDataBlock(handle, index.CurrentFileOffset, fillCache: true, out var loaded);
                    pin = loaded;
                    loadedOffset = handle.Offset;
                    if (data.HasBlock)
                    {
                        data.Reset(block);
                    }
                    else
                    {
                        data = new BlockCursor(block);
                    }
                }

                // Keys ascend, so within one block the search goes on from the previous key's entry (a new block starts afresh).
                data.SeekForward(seekKey);
                if (!data.Valid || !InternalKey.UserKey(data.Key).SequenceEqual(userKey))
                {
                    kept.Keep(group);
                    continue;
                }

                if (InternalKey.Kind(data.Key) != ValueKind.Delete)
                {
                    batch.Found(group, data.Value);
                }
            }

            return kept.Count;
        }
        finally
        {
            pin?.Release();
            index.ReleaseBuffer();
            data.ReleaseBuffer();
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// <see cref="TryGet(ReadOnlySpan{byte}, ulong, out ValueKind, out ReadOnlySpan{byte}, out CachedBlock?)"/> for tools
    /// and tests that keep values around: the block is never released, so its buffer is never recycled and the value
    /// stays valid indefinitely (the GC reclaims it). The engine's own lookups release their blocks instead.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value)
        => TryGet(userKey, snapshotSequence, out kind, out value, out _);

    /// <summary>A two-level iterator over the whole table. <paramref name="fillCache"/> = false keeps scans out of the block cache.</summary>
    public IInternalIterator NewIterator(bool fillCache = true) => new TableIterator(this, fillCache, default);

    internal TableIterator NewIterator(bool fillCache, TableLease lease) => new(this, fillCache, lease);

    internal Block IndexBlock => _indexBlock;

    /// <summary>
    /// Reads every block of the table from the file (bypassing the cache), verifying checksums and entry structure and
    /// that keys are in strictly increasing order across the table. For offline verification tools.
    /// </summary>
    public void VerifyAllBlocks()
    {
        var index = new BlockCursor(_indexBlock);
        var data = default(BlockCursor);
        byte[] previous = [];
        long entries = 0;
        try
        {
            for (index.SeekToFirst(); index.Valid; index.Next())
            {
                var handle = DecodeIndexValue(ref index);
                var loaded = ReadDataBlock(handle, index.CurrentFileOffset);
                var block = new Block(loaded.Contents.ToArray(), FileName, handle.Offset);
                loaded.Release();
                if (block.IsEmpty)
                {
                    throw new LsmCorruptionException(FileName, handle.Offset, "empty data block");
                }

                if (!data.HasBlock)
                {
                    data = new BlockCursor(block);
                }
                else
                {
                    data.Reset(block);
                }

                for (data.SeekToFirst(); data.Valid; data.Next())
                {
                    if (entries > 0 && InternalKey.Compare(previous, data.Key) >= 0)
                    {
                        throw new LsmCorruptionException(FileName, data.CurrentFileOffset, "keys out of order");
                    }

                    if (InternalKey.Compare(data.Key, index.Key) > 0)
                    {
                        throw new LsmCorruptionException(FileName, data.CurrentFileOffset, "key beyond its index separator");
                    }

                    previous = data.Key.ToArray();
                    entries++;
                }
            }
        }
        finally
        {
            index.ReleaseBuffer();
            data.ReleaseBuffer();
        }

        if (entries != Properties.EntryCount)
        {
            throw new LsmCorruptionException(FileName, _footerOffset, $"table has {entries} entries but its properties say {Properties.EntryCount}");
        }
    }

    /// <summary>
    /// The approximate file offset where entries &gt;= <paramref name="internalKey"/> start: the offset of the data block
    /// the key would be in, or the end of the data blocks when it is past the last key.
    /// </summary>
    public long ApproximateOffsetOf(ReadOnlySpan<byte> internalKey)
    {
        var cursor = new BlockCursor(_indexBlock);
        try
        {
            cursor.Seek(internalKey);
            return cursor.Valid ? DecodeIndexValue(ref cursor).Offset : Properties.DataSize;
        }
        finally
        {
            cursor.ReleaseBuffer();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // A mapping outlives the reader while blocks read in place from it are still in use.
        if (_mapping is not null)
        {
            _mapping.Release();
        }
        else
        {
            _file.Dispose();
        }
    }

    /// <summary>Decodes the block handle stored as the current index entry's value.</summary>
    internal BlockHandle DecodeIndexValue(ref BlockCursor index)
    {
        var value = index.Value;
        if (BlockHandle.TryDecode(value, out var handle) != value.Length)
        {
            throw new LsmCorruptionException(FileName, index.CurrentFileOffset, "malformed block handle in index");
        }

        return handle;
    }

    /// <summary>
    /// The data block at <paramref name="handle"/>, from the cache or the file (then cached if <paramref name="fillCache"/>,
    /// at low priority when <paramref name="scan"/>: an iterator's block must not push out what point reads keep).
    /// <paramref name="pin"/> holds a reference to the buffer the block lives in: release it when done reading the block.
    /// </summary>
    internal Block GetDataBlock(BlockHandle handle, long handleSource, bool fillCache, out CachedBlock pin, bool scan = false)
    {
        if (_mapping is not null && Properties.Compression == TableCompression.None)
        {
            // Every block is stored as it is: nothing to decode, so nothing worth caching.
            return GetMappedBlock(handle, handleSource, out pin);
        }

        if (_cache is not null)
        {
            if (_cache.TryGet(_fileNumber, handle.Offset, out var cached))
            {
                _stats?.AddBlockCacheHit();
                pin = cached;
                return new Block(cached.Buffer, cached.Length, FileName, handle.Offset);
            }

            _stats?.AddBlockCacheMiss();
        }

        CachedBlock data;
        if (_mapping is not null)
        {
            var stored = VerifyMappedBlock(handle, handleSource, out var type);
            if (type == TableFormat.BlockTypeUncompressed)
            {
                // Compression did not pay for this block: it is used in place like a block of an uncompressed table.
                return PinMapped(handle, stored, out pin);
            }

            data = Decompress(handle, new ReadOnlySpan<byte>(stored, (int)handle.Size), type);
        }
        else
        {
            data = ReadDataBlock(handle, handleSource);
            _stats?.AddDataBlockRead(data.Length + TableFormat.BlockTrailerSize);
        }

        try
        {
            // Parse before caching so that a block with a damaged restart array never enters the cache.
            var block = new Block(data.Buffer, data.Length, FileName, handle.Offset);
            if (fillCache)
            {
                _cache?.Insert(_fileNumber, handle.Offset, data, lowPriority: scan);
            }

            pin = data;
            return block;
        }
        catch
        {
            data.Release();
            throw;
        }
    }

    /// <summary>
    /// Asks the CPU to start loading the data block stored after the block at <paramref name="handle"/>, guessing it is
    /// as long, so that a forward scan finds it in cache when it gets there (blocks are written back to back,
    /// docs/table_format.md; a wrong guess costs only the hint). The checksum reads a block whole the moment it is
    /// loaded, and a block in memory but not in cache made that the slowest step of a scan; the hardware's own
    /// prefetcher does not run ahead across the page boundaries between blocks. Only for mapped tables on x86.
    /// </summary>
    internal void PrefetchFollowing(BlockHandle handle)
        => Prefetch(handle.Offset + handle.Size + TableFormat.BlockTrailerSize, handle.Size + TableFormat.BlockTrailerSize);

    /// <summary>Asks the CPU to start loading the data block at <paramref name="handle"/> (mapped tables on x86 only).</summary>
    internal void Prefetch(BlockHandle handle) => Prefetch(handle.Offset, handle.Size + TableFormat.BlockTrailerSize);

    private void Prefetch(long start, long length)
    {
        if (_mapping is null || !Sse.IsSupported || start < 0)
        {
            return;
        }

        var end = Math.Min(start + length, _footerOffset);
        for (var offset = start; offset < end; offset += 64)
        {
            Sse.Prefetch0(_mapped + offset);
        }
    }

    /// <summary>A data block of a mapped table read in place: verified on every load, never copied or cached.</summary>
    private Block GetMappedBlock(BlockHandle handle, long handleSource, out CachedBlock pin)
    {
        var stored = VerifyMappedBlock(handle, handleSource, out var type);
        if (type != TableFormat.BlockTypeUncompressed)
        {
            throw new LsmCorruptionException(FileName, handle.Offset + handle.Size, $"block type {type} in a table whose properties say it is uncompressed");
        }

        return PinMapped(handle, stored, out pin);
    }

    private Block PinMapped(BlockHandle handle, byte* contents, out CachedBlock pin)
    {
        // Parse before taking the reference, so that a damaged restart array leaves nothing to release.
        var block = new Block(contents, (int)handle.Size, FileName, handle.Offset);
        _mapping!.AddReference();
        pin = _mapping;
        return block;
    }

    /// <summary>Checks a data block's bounds, checksum and type on the mapped bytes; returns where its contents start.</summary>
    private byte* VerifyMappedBlock(BlockHandle handle, long handleSource, out byte type)
    {
        CheckHandle(FileName, _footerOffset, handle, handleSource, "data");
        var total = (int)handle.Size + TableFormat.BlockTrailerSize;
        var contents = _mapped + handle.Offset;
        type = CheckStoredBlock(FileName, handle, new ReadOnlySpan<byte>(contents, total), "data", _formatVersion);
        _stats?.AddDataBlockRead(total);
        return contents;
    }

    /// <summary>
    /// <see cref="ReadBlock"/> for a data block, straight into a pooled buffer (one read of contents and trailer, no
    /// copy): checks the bounds, the checksum and the block type. A compressed block (format version 2) is checked as
    /// stored, then decompressed into a second pooled buffer, which is what gets cached: the checksum is verified once
    /// per load, never per read of a cached block. One reference, the caller's.
    /// </summary>
    private CachedBlock ReadDataBlock(BlockHandle handle, long handleSource)
    {
        CheckHandle(FileName, _footerOffset, handle, handleSource, "data");
        var size = (int)handle.Size;
        var total = size + TableFormat.BlockTrailerSize;
        if (Properties.Compression == TableCompression.None)
        {
            // Every block is stored as it is: read it straight into the buffer it will be cached in.
            var block = CachedBlock.Rent(size, total);
            try
            {
                VerifyBlock(_file, FileName, handle, block.Buffer.AsSpan(0, total), "data", _formatVersion);
                return block;
            }
            catch
            {
                block.Release();
                throw;
            }
        }

        // The stored bytes go to scratch and only the decompressed contents into a cached buffer: one block object per
        // load, as for an uncompressed table.
        var stored = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var type = VerifyBlock(_file, FileName, handle, stored.AsSpan(0, total), "data", _formatVersion);
            var contents = stored.AsSpan(0, size);
            CachedBlock result;
            if (type == TableFormat.BlockTypeUncompressed)
            {
                result = CachedBlock.Rent(size, size);
                contents.CopyTo(result.Buffer);
                return result;
            }

            return Decompress(handle, contents, type);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(stored);
        }
    }

    /// <summary>Decompresses a verified block's stored contents into a pooled buffer; one reference, the caller's.</summary>
    private CachedBlock Decompress(BlockHandle handle, ReadOnlySpan<byte> contents, byte type)
    {
        var length = BlockCompression.UncompressedLength(contents, FileName, handle.Offset, out var header);
        var result = CachedBlock.Rent(length, length);
        try
        {
            BlockCompression.Decompress(type, contents[header..], result.Buffer.AsSpan(0, length), FileName, handle.Offset);
            return result;
        }
        catch
        {
            result.Release();
            throw;
        }
    }

    /// <summary>
    /// Reads a block and its trailer, checks the bounds (the block must end before the footer), the checksum and the
    /// block type, and returns the contents as a new exact-size array.
    /// </summary>
    private static byte[] ReadBlock(
        IRandomAccessFile file, string fileName, long footerOffset, BlockHandle handle, long handleSource, TableReadStatistics? stats, string what)
    {
        CheckHandle(fileName, footerOffset, handle, handleSource, what);
        var size = (int)handle.Size;
        var total = size + TableFormat.BlockTrailerSize;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            VerifyBlock(file, fileName, handle, buffer.AsSpan(0, total), what);
            stats?.AddBytesRead(total);
            return buffer.AsSpan(0, size).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The block must end before the footer; a bad handle is reported where it is stored (its offset may lie outside the file).</summary>
    private static void CheckHandle(string fileName, long footerOffset, BlockHandle handle, long handleSource, string what)
    {
        if (handle.Offset < 0 || handle.Size < 0 || handle.Offset > footerOffset
            || handle.Size > footerOffset - handle.Offset - TableFormat.BlockTrailerSize
            || handle.Size > Array.MaxLength - TableFormat.BlockTrailerSize)
        {
            throw new LsmCorruptionException(fileName, handleSource, $"{what} block handle (offset {handle.Offset}, size {handle.Size}) out of range");
        }
    }

    /// <summary>
    /// Reads a block and its trailer into <paramref name="buffer"/> (exactly their size), checks the checksum and that the
    /// block type is one the table's format version allows (compressed types only for data blocks of version 2 tables),
    /// and returns the type.
    /// </summary>
    private static byte VerifyBlock(
        IRandomAccessFile file, string fileName, BlockHandle handle, Span<byte> buffer, string what, uint formatVersion = TableFormat.VersionUncompressed)
    {
        var read = file.Read(handle.Offset, buffer);
        if (read != buffer.Length)
        {
            throw new LsmCorruptionException(fileName, handle.Offset, $"short read of {what} block: {read} of {buffer.Length} bytes");
        }

        return CheckStoredBlock(fileName, handle, buffer, what, formatVersion);
    }

    /// <summary>Checks the checksum and block type of a block as stored (<paramref name="buffer"/>: contents and trailer).</summary>
    private static byte CheckStoredBlock(
        string fileName, BlockHandle handle, ReadOnlySpan<byte> buffer, string what, uint formatVersion)
    {
        var size = buffer.Length - TableFormat.BlockTrailerSize;
        var contents = buffer[..size];
        var type = buffer[size];
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(size + 1, 4));
        if (stored != TableFormat.BlockChecksum(contents, type))
        {
            throw new LsmCorruptionException(fileName, handle.Offset, $"{what} block checksum mismatch");
        }

        var allowed = type == TableFormat.BlockTypeUncompressed
            || (formatVersion >= TableFormat.VersionCompressed && type is TableFormat.BlockTypeLz4 or TableFormat.BlockTypeZstd);
        if (!allowed)
        {
            throw new LsmCorruptionException(fileName, handle.Offset + size, $"unknown block type {type} for a {what} block of a version {formatVersion} table");
        }

        return type;
    }

    private delegate void RawEntryAction(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long fileOffset);

    /// <summary>
    /// Walks a block whose keys are not internal keys (the metaindex) from front to back, rebuilding prefix-compressed
    /// keys; the restart array is not needed for a full scan.
    /// </summary>
    private static void ForEachRawEntry(in Block block, RawEntryAction action)
    {
        var data = block.Contents;
        var key = new byte[64];
        var keyLength = 0;
        var pos = 0;
        while (pos < block.RestartsOffset)
        {
            var entryOffset = block.FileOffset + pos;
            var region = data.Slice(pos, block.RestartsOffset - pos);
            var n1 = Varint.TryRead32(region, out var shared);
            var n2 = Varint.TryRead32(region[n1..], out var nonShared);
            var n3 = Varint.TryRead32(region[(n1 + n2)..], out var valueLength);
            if (n1 == 0 || n2 == 0 || n3 == 0 || shared > keyLength
                || (ulong)n1 + (ulong)n2 + (ulong)n3 + nonShared + valueLength > (ulong)region.Length)
            {
                throw new LsmCorruptionException(block.FileName, entryOffset, "malformed metaindex entry");
            }

            var header = n1 + n2 + n3;
            var newLength = (int)(shared + nonShared);
            if (key.Length < newLength)
            {
                Array.Resize(ref key, newLength);
            }

            region.Slice(header, (int)nonShared).CopyTo(key.AsSpan((int)shared));
            keyLength = newLength;
            action(key.AsSpan(0, keyLength), region.Slice(header + (int)nonShared, (int)valueLength), entryOffset);
            pos += header + (int)nonShared + (int)valueLength;
        }
    }
}
