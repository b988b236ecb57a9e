using System.Buffers;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// The two-level iterator of a table: a cursor over the index block chooses the data block, a second cursor walks it.
/// Empty data blocks (which a writer never produces) are skipped in either direction. When the index moves to the
/// block already loaded, it is reused. It holds a reference to the loaded data block (so Key/Value stay valid while it is
/// positioned there) and releases it on moving to another block or on Dispose. If created through
/// <see cref="TableCache"/>, it holds a lease on the reader until disposed.
/// </summary>
internal sealed class TableIterator : IInternalIterator
{
    private TableReader _table;
    private readonly bool _fillCache;
    private BlockCursor _index;
    private BlockCursor _data;
    private long _dataBlockOffset = -1;
    private CachedBlock? _dataPin;

    // Set by PrepareSeek: the index cursor already sits where a Seek to _preparedKey puts it.
    private bool _prepared;
    private byte[] _preparedKey = [];
    private int _preparedKeyLength;
    private TableLease _lease;
    private bool _disposed;

    public TableIterator(TableReader table, bool fillCache, TableLease lease)
    {
        _table = table;
        _fillCache = fillCache;
        _lease = lease;
        _index = new BlockCursor(table.IndexBlock);
    }

    public bool Valid => !_prepared && _dataBlockOffset >= 0 && _data.Valid;

    public bool FillCache => _fillCache;

    public ReadOnlySpan<byte> Key => _data.Key;

    public ReadOnlySpan<byte> Value => _data.Value;

    public void SeekToFirst()
    {
        _prepared = false;
        _index.SeekToFirst();
        LoadDataBlock();
        if (_dataBlockOffset >= 0)
        {
            _data.SeekToFirst();
        }

        SkipEmptyBlocksForward();
    }

    public void SeekToLast()
    {
        _prepared = false;
        _index.SeekToLast();
        LoadDataBlock();
        if (_dataBlockOffset >= 0)
        {
            _data.SeekToLast();
        }

        SkipEmptyBlocksBackward();
    }

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        if (!_prepared || !internalKey.SequenceEqual(_preparedKey.AsSpan(0, _preparedKeyLength)))
        {
            _index.Seek(internalKey);
        }

        _prepared = false;
        LoadDataBlock();
        if (_dataBlockOffset >= 0)
        {
            _data.Seek(internalKey);
        }

        SkipEmptyBlocksForward();
    }

    /// <summary>Seeks the index and starts loading the data block the Seek will read, unless it is the one already loaded.</summary>
    public void PrepareSeek(ReadOnlySpan<byte> internalKey)
    {
        _prepared = false;
        _index.Seek(internalKey);
        PooledCopy.Into(ref _preparedKey, internalKey);
        _preparedKeyLength = internalKey.Length;
        _prepared = true;
        if (_index.Valid)
        {
            var handle = _table.DecodeIndexValue(ref _index);
            if (handle.Offset != _dataBlockOffset)
            {
                _table.Prefetch(handle);
            }
        }
    }

    public void Next()
    {
        _data.Next();
        SkipEmptyBlocksForward();
    }

    public void Prev()
    {
        _data.Prev();
        SkipEmptyBlocksBackward();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _prepared = false;
        if (_preparedKey.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_preparedKey);
            _preparedKey = [];
        }

        _index.ReleaseBuffer();
        _data.ReleaseBuffer();
        _dataBlockOffset = -1;
        ReleaseDataBlock();
        _lease.Dispose();
        _lease = default;
    }

    /// <summary>
    /// Points this iterator at another table, keeping its key buffers: releases the current data block and the old
    /// lease and takes <paramref name="lease"/> (on <paramref name="table"/>). Not valid until positioned.
    /// </summary>
    public void Retarget(TableReader table, TableLease lease)
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(TableIterator));
        }

        _dataBlockOffset = -1;
        _prepared = false;
        ReleaseDataBlock();
        var previous = _lease;
        _lease = lease;
        _table = table;
        _index.Reset(table.IndexBlock);
        previous.Dispose();
    }

    private void SkipEmptyBlocksForward()
    {
        while (_dataBlockOffset >= 0 && !_data.Valid)
        {
            _index.Next();
            LoadDataBlock(readAhead: true);
            if (_dataBlockOffset >= 0)
            {
                _data.SeekToFirst();
            }
        }
    }

    private void SkipEmptyBlocksBackward()
    {
        while (_dataBlockOffset >= 0 && !_data.Valid)
        {
            _index.Prev();
            LoadDataBlock();
            if (_dataBlockOffset >= 0)
            {
                _data.SeekToLast();
            }
        }
    }

    /// <summary>Points the data cursor at the block of the current index entry; no block when the index is exhausted.</summary>
    /// <param name="readAhead">A forward scan moved here from the previous block: start loading the next one too.</param>
    private void LoadDataBlock(bool readAhead = false)
    {
        if (!_index.Valid)
        {
            _dataBlockOffset = -1;
            return;
        }

        var handle = _table.DecodeIndexValue(ref _index);
        if (handle.Offset == _dataBlockOffset)
        {
            return;
        }

        // Not valid until the new block is in: if reading it fails, nothing points at the released one.
        _dataBlockOffset = -1;
        ReleaseDataBlock();
        var block = _table.GetDataBlock(handle, _index.CurrentFileOffset, _fillCache, out var pin, scan: true);
        _dataPin = pin;
        if (!_data.HasBlock)
        {
            _data = new BlockCursor(block);
        }
        else
        {
            _data.Reset(block);
        }

        _dataBlockOffset = handle.Offset;
        if (readAhead)
        {
            _table.PrefetchFollowing(handle);
        }
    }

    private void ReleaseDataBlock()
    {
        var pin = _dataPin;
        _dataPin = null;
        pin?.Release();
    }
}
