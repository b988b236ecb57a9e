using System.Buffers;
using System.Buffers.Binary;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Writes one SSTable front to back (docs/table_format.md): data blocks as keys arrive, then at <see cref="Finish"/>
/// the Bloom filter, index, properties and metaindex blocks and the footer. Keys are internal keys in strictly
/// increasing <see cref="InternalKey.Compare"/> order. Buffers are reused, so <see cref="Add"/> allocates only when a
/// buffer must grow. Not thread-safe. The builder never syncs or disposes the file: the caller does.
/// </summary>
internal sealed class TableBuilder
{
    private readonly IWritableFile _file;
    private readonly TableOptions _options;
    private readonly BlockBuilder _dataBlock;
    private readonly BlockBuilder _indexBlock;
    private readonly TableProperties _properties = new();

    private long _offset;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private bool _hasLastKey;

    // The index entry of the last data block waits for the next block's first key so its separator can be short.
    private bool _pendingIndexEntry;
    private BlockHandle _pendingHandle;
    private byte[] _separator = new byte[64];

    // One hash per distinct user key; the filter is built from them at Finish. Rented: a table of a few hundred thousand keys
    // needs megabytes of hashes, and a new array per table (grown by doubling) left that much large-object garbage for every
    // flush and compaction output.
    private uint[] _keyHashes = ArrayPool<uint>.Shared.Rent(256);
    private int _keyHashCount;

    private bool _finished;

    // Scratch for compressed data blocks; grown to the codec's bound for the largest block seen.
    private byte[] _compressed = [];

    public TableBuilder(IWritableFile file, TableOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (file.Length != 0)
        {
            throw new ArgumentException("A table must be written into an empty file.", nameof(file));
        }

        _file = file;
        _options = options;
        _dataBlock = new BlockBuilder(options.RestartInterval);
        _indexBlock = new BlockBuilder(1);
        _properties.FormatVersion = TableFormat.VersionFor(options.Compression);
        _properties.Compression = options.Compression;
    }

    public long EntryCount => _properties.EntryCount;

    /// <summary>Bytes written so far plus the data block being filled; what the file would take if finished now, roughly.</summary>
    public long EstimatedFileSize => _offset + (_dataBlock.IsEmpty ? 0 : _dataBlock.CurrentSizeEstimate);

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        if (_finished)
        {
            throw new InvalidOperationException("The table is finished.");
        }

        if (!InternalKey.IsWellFormed(internalKey))
        {
            throw new ArgumentException("Not an internal key (user key + 8-byte trailer with a valid kind).", nameof(internalKey));
        }

        var lastKey = _lastKey.AsSpan(0, _lastKeyLength);
        if (_hasLastKey && InternalKey.Compare(internalKey, lastKey) <= 0)
        {
            throw new InvalidOperationException(
                $"Keys must be added in strictly increasing order: {InternalKey.Describe(internalKey)} after {InternalKey.Describe(lastKey)}.");
        }

        if (_pendingIndexEntry)
        {
            var separatorLength = ShortestSeparator(lastKey, internalKey);
            AddIndexEntry(_separator.AsSpan(0, separatorLength), _pendingHandle);
            _pendingIndexEntry = false;
        }

        var userKey = InternalKey.UserKey(internalKey);
        if (_options.BloomBitsPerKey > 0 && (!_hasLastKey || !userKey.SequenceEqual(InternalKey.UserKey(lastKey))))
        {
            if (_keyHashCount == _keyHashes.Length)
            {
                var grown = ArrayPool<uint>.Shared.Rent(_keyHashes.Length * 2);
                _keyHashes.AsSpan(0, _keyHashCount).CopyTo(grown);
                ArrayPool<uint>.Shared.Return(_keyHashes);
                _keyHashes = grown;
            }

            _keyHashes[_keyHashCount++] = BloomFilter.Hash(userKey);
        }

        var sequence = InternalKey.Sequence(internalKey);
        if (!_hasLastKey)
        {
            _properties.SmallestKey = internalKey.ToArray();
            _properties.SmallestSequence = sequence;
            _properties.LargestSequence = sequence;
        }
        else
        {
            _properties.SmallestSequence = Math.Min(_properties.SmallestSequence, sequence);
            _properties.LargestSequence = Math.Max(_properties.LargestSequence, sequence);
        }

        _properties.EntryCount++;
        if (InternalKey.Kind(internalKey) == ValueKind.Delete)
        {
            _properties.DeletionCount++;
        }

        _properties.RawKeySize += internalKey.Length;
        _properties.RawValueSize += value.Length;

        if (_lastKey.Length < internalKey.Length)
        {
            _lastKey = new byte[Math.Max(internalKey.Length, _lastKey.Length * 2)];
        }

        internalKey.CopyTo(_lastKey);
        _lastKeyLength = internalKey.Length;
        _hasLastKey = true;

        _dataBlock.Add(internalKey, value);
        if (_dataBlock.CurrentSizeEstimate >= _options.BlockSize)
        {
            FlushDataBlock();
        }
    }

    /// <summary>
    /// Writes the remaining data block, the filter, index, properties and metaindex blocks and the footer, and returns
    /// the table's properties. The caller then syncs and disposes the file.
    /// </summary>
    public TableProperties Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException("The table is already finished.");
        }

        _finished = true;
        FlushDataBlock();
        var lastKey = _lastKey.AsSpan(0, _lastKeyLength);
        if (_pendingIndexEntry)
        {
            var successorLength = ShortSuccessor(lastKey);
            AddIndexEntry(_separator.AsSpan(0, successorLength), _pendingHandle);
            _pendingIndexEntry = false;
        }

        _properties.DataSize = _offset;
        _properties.LargestKey = lastKey.ToArray();

        BlockHandle? filterHandle = null;
        if (_options.BloomBitsPerKey > 0)
        {
            var filterLength = BloomFilter.FilterLength(_keyHashCount, _options.BloomBitsPerKey);
            var filter = ArrayPool<byte>.Shared.Rent(filterLength);
            try
            {
                BloomFilter.Build(_keyHashes.AsSpan(0, _keyHashCount), _options.BloomBitsPerKey, filter.AsSpan(0, filterLength));
                filterHandle = WriteBlock(filter.AsSpan(0, filterLength));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(filter);
            }

            _properties.FilterSize = filterLength + TableFormat.BlockTrailerSize;
        }

        ArrayPool<uint>.Shared.Return(_keyHashes);
        _keyHashes = [];
        _keyHashCount = 0;

        var indexHandle = WriteBlock(_indexBlock.Finish());
        _properties.IndexSize = indexHandle.Size + TableFormat.BlockTrailerSize;

        var encodedProperties = new List<byte>(256);
        _properties.EncodeTo(encodedProperties);
        var propertiesHandle = WriteBlock(encodedProperties.ToArray());

        // Metaindex keys are names compared bytewise: "filter.bloom" < "properties".
        var metaindex = new BlockBuilder(1);
        Span<byte> handleBytes = stackalloc byte[BlockHandle.MaxEncodedLength];
        if (filterHandle is { } fh)
        {
            metaindex.Add(TableFormat.FilterBlockName, handleBytes[..fh.EncodeTo(handleBytes)]);
        }

        metaindex.Add(TableFormat.PropertiesBlockName, handleBytes[..propertiesHandle.EncodeTo(handleBytes)]);
        var metaindexHandle = WriteBlock(metaindex.Finish());

        Span<byte> footer = stackalloc byte[TableFormat.FooterSize];
        new Footer(metaindexHandle, indexHandle, _properties.FormatVersion).EncodeTo(footer);
        _file.Append(footer);
        _offset += footer.Length;
        _properties.FileSize = _offset;
        return _properties;
    }

    private void FlushDataBlock()
    {
        if (_dataBlock.IsEmpty)
        {
            return;
        }

        _pendingHandle = WriteDataBlock(_dataBlock.Finish());
        _pendingIndexEntry = true;
        _properties.DataBlockCount++;
        _dataBlock.Reset();
    }

    /// <summary>A data block, compressed with the table's codec when that saves at least an eighth (docs/table_format.md).</summary>
    private BlockHandle WriteDataBlock(ReadOnlySpan<byte> contents)
    {
        var compression = _options.Compression;
        if (compression == TableCompression.None)
        {
            return WriteBlock(contents);
        }

        var bound = BlockCompression.MaxStoredLength(compression, contents.Length);
        if (_compressed.Length < bound)
        {
            _compressed = new byte[Math.Max(bound, _compressed.Length * 2)];
        }

        var stored = BlockCompression.TryCompress(compression, _options.ZstdLevel, contents, _compressed);
        if (stored == 0)
        {
            return WriteBlock(contents);
        }

        _properties.CompressedDataBlockCount++;
        return WriteBlock(_compressed.AsSpan(0, stored), BlockCompression.BlockType(compression));
    }

    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents, byte blockType = TableFormat.BlockTypeUncompressed)
    {
        var handle = new BlockHandle(_offset, contents.Length);
        Span<byte> trailer = stackalloc byte[TableFormat.BlockTrailerSize];
        trailer[0] = blockType;
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], TableFormat.BlockChecksum(contents, blockType));
        _file.Append(contents);
        _file.Append(trailer);
        _offset += contents.Length + TableFormat.BlockTrailerSize;
        return handle;
    }

    private void AddIndexEntry(ReadOnlySpan<byte> separator, BlockHandle handle)
    {
        Span<byte> encoded = stackalloc byte[BlockHandle.MaxEncodedLength];
        _indexBlock.Add(separator, encoded[..handle.EncodeTo(encoded)]);
    }

    /// <summary>
    /// Writes into <see cref="_separator"/> a short internal key S with <paramref name="last"/> &lt;= S &lt;
    /// <paramref name="next"/> and returns its length: when the user keys first differ at byte i and last's byte can be
    /// incremented while staying below next's, S = last's user key up to i with that byte incremented, plus the trailer
    /// (max sequence, <see cref="InternalKey.KindForSeek"/>), which sorts first among S's entries. Otherwise S = last.
    /// </summary>
    private int ShortestSeparator(ReadOnlySpan<byte> last, ReadOnlySpan<byte> next)
    {
        var lastUser = InternalKey.UserKey(last);
        var nextUser = InternalKey.UserKey(next);
        var common = lastUser.CommonPrefixLength(nextUser);
        if (common < Math.Min(lastUser.Length, nextUser.Length))
        {
            var b = lastUser[common];
            if (b < 0xff && b + 1 < nextUser[common])
            {
                EnsureSeparatorCapacity(common + 1 + InternalKey.TrailerSize);
                lastUser[..common].CopyTo(_separator);
                _separator[common] = (byte)(b + 1);
                return InternalKey.Write(_separator, _separator.AsSpan(0, common + 1), InternalKey.MaxSequence, InternalKey.KindForSeek);
            }
        }

        EnsureSeparatorCapacity(last.Length);
        last.CopyTo(_separator);
        return last.Length;
    }

    /// <summary>
    /// Writes into <see cref="_separator"/> a short internal key &gt;= <paramref name="last"/>: the user key cut after its
    /// first byte that is not 0xff, that byte incremented, with the max trailer; or last itself when all bytes are 0xff.
    /// </summary>
    private int ShortSuccessor(ReadOnlySpan<byte> last)
    {
        var lastUser = InternalKey.UserKey(last);
        for (var i = 0; i < lastUser.Length; i++)
        {
            if (lastUser[i] != 0xff)
            {
                EnsureSeparatorCapacity(i + 1 + InternalKey.TrailerSize);
                lastUser[..i].CopyTo(_separator);
                _separator[i] = (byte)(lastUser[i] + 1);
                return InternalKey.Write(_separator, _separator.AsSpan(0, i + 1), InternalKey.MaxSequence, InternalKey.KindForSeek);
            }
        }

        EnsureSeparatorCapacity(last.Length);
        last.CopyTo(_separator);
        return last.Length;
    }

    private void EnsureSeparatorCapacity(int length)
    {
        if (_separator.Length < length)
        {
            _separator = new byte[Math.Max(length, _separator.Length * 2)];
        }
    }
}
