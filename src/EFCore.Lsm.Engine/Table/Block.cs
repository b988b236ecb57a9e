using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// A parsed view of one block's contents (docs/table_format.md, "Blocks"): either a prefix of an array (a pooled buffer
/// may be longer) or a range of a table's memory mapping, read in place, and where its restart array starts.
/// Constructing one validates the restart trailer; entries are validated as they are decoded.
/// <see cref="FileOffset"/> is where the block starts in its file, so errors can name a file offset.
/// <para>
/// A block over a mapping is only valid while the mapping is: whoever reads it holds a reference to the table's
/// mapping (<see cref="CachedBlock.ForMapping"/>), and the mapping is unmapped only when the last one is released.
/// </para>
/// </summary>
internal readonly unsafe struct Block
{
    private readonly byte[]? _array;
    private readonly byte* _mapped;

    public Block(byte[] data, string fileName, long fileOffset)
        : this(data, data.Length, fileName, fileOffset)
    {
    }

    /// <summary>A block whose contents are the first <paramref name="length"/> bytes of <paramref name="data"/>.</summary>
    public Block(byte[] data, int length, string fileName, long fileOffset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)data.Length, nameof(length));
        _array = data;
        Length = length;
        FileName = fileName;
        FileOffset = fileOffset;
        (RestartCount, RestartsOffset) = ParseTrailer(data.AsSpan(0, length), fileName, fileOffset);
    }

    /// <summary>
    /// A block whose contents are the <paramref name="length"/> bytes at <paramref name="contents"/>, memory the caller
    /// keeps mapped for as long as the block is read.
    /// </summary>
    public Block(byte* contents, int length, string fileName, long fileOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _mapped = contents;
        Length = length;
        FileName = fileName;
        FileOffset = fileOffset;
        (RestartCount, RestartsOffset) = ParseTrailer(new ReadOnlySpan<byte>(contents, length), fileName, fileOffset);
    }

    /// <summary>The array holding the contents, or null when the block is read in place from a mapping.</summary>
    public byte[]? Data => _array;

    /// <summary>Whether this is a block at all (not <c>default</c>).</summary>
    public bool IsInitialized => _array is not null || _mapped is not null;

    public int Length { get; }

    /// <summary>The block's contents, wherever they live.</summary>
    public ReadOnlySpan<byte> Contents
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _array is not null
            ? MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(_array), Length)
            : new ReadOnlySpan<byte>(_mapped, Length);
    }

    public string FileName { get; }

    public long FileOffset { get; }

    /// <summary>End of the entries region: the offset of the restart array.</summary>
    public int RestartsOffset { get; }

    public int RestartCount { get; }

    public bool IsEmpty => RestartsOffset == 0;

    /// <summary>An iterator over this block's internal keys (data and index blocks).</summary>
    public BlockIterator NewIterator() => new(this);

    private static (int Count, int RestartsOffset) ParseTrailer(ReadOnlySpan<byte> data, string fileName, long fileOffset)
    {
        var length = data.Length;
        if (length < 4)
        {
            throw new LsmCorruptionException(fileName, fileOffset, "block too short for its restart count");
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(data[(length - 4)..]);
        if (count > (uint)(length - 4) / 4)
        {
            throw new LsmCorruptionException(fileName, fileOffset + length - 4, $"block restart count {count} too large");
        }

        var restartsOffset = length - 4 - ((int)count * 4);
        if (restartsOffset > 0 && (count == 0 || BinaryPrimitives.ReadUInt32LittleEndian(data[restartsOffset..]) != 0))
        {
            throw new LsmCorruptionException(fileName, fileOffset + restartsOffset, "block's first restart point is not 0");
        }

        return ((int)count, restartsOffset);
    }
}

/// <summary>
/// The positioning logic over one block of internal keys (data or index block), as a mutable struct so that a point
/// lookup can run it on the stack without allocating, and iterators can embed it. Seek = binary search over the
/// restart points (whose keys are stored whole) followed by a linear scan; Prev rescans from the previous restart.
/// The current key is rebuilt in a key buffer rented from <see cref="ArrayPool{T}.Shared"/>: call
/// <see cref="ReleaseBuffer"/> when done. Values are spans into the block's contents. Corrupt entries raise
/// <see cref="LsmCorruptionException"/>; every length is checked before it is used.
/// </summary>
internal struct BlockCursor
{
    private Block _block;
    private byte[] _key;
    private int _keyLength;

    // Offset of the current entry; == RestartsOffset when not valid.
    private int _current;

    // Offset just past the current entry.
    private int _next;

    private int _valueOffset;
    private int _valueLength;

    // The restart point the last Seek started its linear scan from, and whether the cursor was sought on this block since
    // Reset: what lets SeekForward narrow its search to what follows.
    private int _seekRestart;
    private bool _sought;

    public BlockCursor(in Block block)
    {
        _key = ArrayPool<byte>.Shared.Rent(64);
        Reset(block);
    }

    public readonly bool Valid => _block.IsInitialized && _current < _block.RestartsOffset;

    public readonly ReadOnlySpan<byte> Key
    {
        get
        {
            Debug.Assert(Valid);
            return _key.AsSpan(0, _keyLength);
        }
    }

    public readonly ReadOnlySpan<byte> Value
    {
        get
        {
            Debug.Assert(Valid);
            return _block.Contents.Slice(_valueOffset, _valueLength);
        }
    }

    /// <summary>Whether the cursor was ever given a block (a <c>default</c> cursor was not).</summary>
    public readonly bool HasBlock => _block.IsInitialized;

    /// <summary>File offset of the current entry, for error messages.</summary>
    public readonly long CurrentFileOffset => _block.FileOffset + _current;

    /// <summary>Switches to another block, keeping the key buffer; the cursor is not valid until positioned.</summary>
    public void Reset(in Block block)
    {
        _block = block;
        _current = block.RestartsOffset;
        _next = block.RestartsOffset;
        _keyLength = 0;
        _sought = false;
    }

    public void ReleaseBuffer()
    {
        if (_key is not null)
        {
            ArrayPool<byte>.Shared.Return(_key);
            _key = null!;
        }
    }

    public void SeekToFirst()
    {
        _sought = false;
        if (_block.IsEmpty)
        {
            _current = _block.RestartsOffset;
            return;
        }

        SeekToRestartPoint(0);
        ParseNextKey();
    }

    public void SeekToLast()
    {
        _sought = false;
        if (_block.IsEmpty)
        {
            _current = _block.RestartsOffset;
            return;
        }

        SeekToRestartPoint(_block.RestartCount - 1);
        while (ParseNextKey() && _next < _block.RestartsOffset)
        {
        }
    }

    public void Next()
    {
        Debug.Assert(Valid);
        ParseNextKey();
    }

    public void Prev()
    {
        _sought = false;
        Debug.Assert(Valid);
        var original = _current;
        if (original == 0)
        {
            // Before the first entry.
            _current = _block.RestartsOffset;
            _next = _block.RestartsOffset;
            return;
        }

        // The last restart point before the current entry (restart 0 is at offset 0, so there is one). Found by binary
        // search here rather than tracked on every step: forward scans, the common case, then pay nothing for it. A
        // restart array out of order only makes the scan below longer, or fail its alignment check.
        int lo = 0, hi = _block.RestartCount - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) >> 1);
            if (RestartPoint(mid) < original)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        SeekToRestartPoint(lo);
        while (ParseNextKey() && _next < original)
        {
        }

        if (_next != original)
        {
            Corrupt(_current, "block restart points do not line up with entries");
        }
    }

    /// <summary>Positions at the first entry whose internal key is &gt;= <paramref name="target"/>, or invalid.</summary>
    public void Seek(ReadOnlySpan<byte> target)
    {
        if (_block.IsEmpty)
        {
            _current = _block.RestartsOffset;
            return;
        }

        var restart = LastRestartBefore(target, 0);
        SeekToRestartPoint(restart);
        _seekRestart = restart;
        _sought = true;
        ScanTo(target);
    }

    /// <summary>
    /// <see cref="Seek"/> for a <paramref name="target"/> at or after the target of the cursor's last <see cref="Seek"/>
    /// or <see cref="SeekForward"/> on this block (<see cref="Next"/> may have moved it on since): a multi-get's keys, in
    /// ascending order, in one block. Every entry before the current one is then below <paramref name="target"/>, so the
    /// current entry is the answer when it is not below it, the linear scan continues from it while the target is in the
    /// same restart interval, and otherwise only the restart points after the last seek's are searched.
    /// </summary>
    public void SeekForward(ReadOnlySpan<byte> target)
    {
        if (!_sought)
        {
            Seek(target);
            return;
        }

        if (!Valid || InternalKey.Compare(Key, target) >= 0)
        {
            // Invalid: the last seek passed every entry, all below its target and so below this one.
            return;
        }

        var restart = LastRestartBefore(target, _seekRestart);
        if (restart != _seekRestart)
        {
            SeekToRestartPoint(restart);
            _seekRestart = restart;
        }

        ScanTo(target);
    }

    /// <summary>
    /// The last restart point at or after <paramref name="from"/> whose key is &lt; <paramref name="target"/> (or
    /// <paramref name="from"/>, when none is): the first entry &gt;= target is at or after it.
    /// </summary>
    private readonly int LastRestartBefore(ReadOnlySpan<byte> target, int from)
    {
        var lo = from;
        var hi = _block.RestartCount - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) >> 1);
            if (InternalKey.Compare(RestartKey(mid), target) < 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>Moves on from the current position to the first entry &gt;= <paramref name="target"/>, or past the last.</summary>
    private void ScanTo(ReadOnlySpan<byte> target)
    {
        while (ParseNextKey())
        {
            if (InternalKey.Compare(Key, target) >= 0)
            {
                return;
            }
        }
    }

    private void SeekToRestartPoint(int index)
    {
        _keyLength = 0;
        _next = RestartPoint(index);
        _current = _next;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int RestartPoint(int index)
    {
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(_block.Contents.Slice(_block.RestartsOffset + (index * 4)));
        if (offset >= (uint)_block.RestartsOffset)
        {
            Corrupt(_block.RestartsOffset + (index * 4), $"block restart offset {offset} out of range");
        }

        return (int)offset;
    }

    /// <summary>The whole key stored at a restart point (shared must be 0 there), without copying it.</summary>
    private readonly ReadOnlySpan<byte> RestartKey(int index)
    {
        var offset = RestartPoint(index);
        var headerLength = DecodeHeader(offset, out var shared, out var nonShared, out _);
        if (shared != 0)
        {
            Corrupt(offset, "entry at a restart point shares a prefix");
        }

        var key = _block.Contents.Slice(offset + headerLength, nonShared);
        if (!InternalKey.IsWellFormed(key))
        {
            Corrupt(offset, "malformed internal key in block");
        }

        return key;
    }

    /// <summary>Decodes the entry at <see cref="_next"/>; returns false (and becomes invalid) at the end of the entries.</summary>
    private bool ParseNextKey()
    {
        var offset = _next;
        if (offset >= _block.RestartsOffset)
        {
            _current = _block.RestartsOffset;
            _next = _block.RestartsOffset;
            return false;
        }

        var headerLength = DecodeHeader(offset, out var shared, out var nonShared, out var valueLength);
        if (shared > _keyLength)
        {
            Corrupt(offset, $"entry shares {shared} bytes of a {_keyLength}-byte previous key");
        }

        var keyLength = shared + nonShared;
        if (_key.Length < keyLength)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(keyLength);
            _key.AsSpan(0, shared).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_key);
            _key = bigger;
        }

        var keyStart = offset + headerLength;
        _block.Contents.Slice(keyStart, nonShared).CopyTo(_key.AsSpan(shared));
        _keyLength = keyLength;
        if (!InternalKey.IsWellFormed(_key.AsSpan(0, keyLength)))
        {
            Corrupt(offset, "malformed internal key in block");
        }

        _current = offset;
        _valueOffset = keyStart + nonShared;
        _valueLength = valueLength;
        _next = _valueOffset + valueLength;
        return true;
    }

    /// <summary>
    /// Reads the three varints of the entry at <paramref name="offset"/> and checks that the key delta and value lie
    /// inside the entries region. Returns the header length.
    /// </summary>
    private readonly int DecodeHeader(int offset, out int shared, out int nonShared, out int valueLength)
    {
        var region = _block.Contents.Slice(offset, _block.RestartsOffset - offset);
        int n;
        if (region.Length >= 3 && (region[0] | region[1] | region[2]) < 0x80)
        {
            // Fast path: all three lengths fit in one byte each.
            shared = region[0];
            nonShared = region[1];
            valueLength = region[2];
            n = 3;
        }
        else
        {
            var n1 = Varint.TryRead32(region, out var s);
            if (n1 == 0)
            {
                Corrupt(offset, "malformed block entry header");
            }

            var n2 = Varint.TryRead32(region[n1..], out var ns);
            if (n2 == 0)
            {
                Corrupt(offset, "malformed block entry header");
            }

            var n3 = Varint.TryRead32(region[(n1 + n2)..], out var vl);
            if (n3 == 0)
            {
                Corrupt(offset, "malformed block entry header");
            }

            if ((s | ns | vl) > int.MaxValue)
            {
                Corrupt(offset, "block entry length out of range");
            }

            shared = (int)s;
            nonShared = (int)ns;
            valueLength = (int)vl;
            n = n1 + n2 + n3;
        }

        if ((long)n + nonShared + valueLength > region.Length)
        {
            Corrupt(offset, "block entry extends past the end of the block's entries");
        }

        return n;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Corrupt(int offsetInBlock, string reason)
        => throw new LsmCorruptionException(_block.FileName, _block.FileOffset + offsetInBlock, reason);
}

/// <summary>An <see cref="IInternalIterator"/> over one block's internal keys (tests, tools, index walks).</summary>
internal sealed class BlockIterator : IInternalIterator
{
    private BlockCursor _cursor;

    public BlockIterator(in Block block) => _cursor = new BlockCursor(block);

    public bool Valid => _cursor.Valid;

    public ReadOnlySpan<byte> Key => _cursor.Key;

    public ReadOnlySpan<byte> Value => _cursor.Value;

    public void SeekToFirst() => _cursor.SeekToFirst();

    public void SeekToLast() => _cursor.SeekToLast();

    public void Seek(ReadOnlySpan<byte> internalKey) => _cursor.Seek(internalKey);

    public void Next() => _cursor.Next();

    public void Prev() => _cursor.Prev();

    public void Dispose() => _cursor.ReleaseBuffer();
}
