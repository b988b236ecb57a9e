namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// The contents of one data block in a buffer that is recycled once nobody reads it. Reference counted: whoever
/// obtains a block (from <see cref="TableReader"/> or the <see cref="BlockCache"/>) holds one reference and calls
/// <see cref="Release"/> exactly once when it no longer reads the block's bytes, and the cache holds one while the block
/// is cached. When the count reaches zero the buffer goes back to <see cref="BlockBufferPool"/>.
/// <para>
/// Recycling is what keeps point lookups and scans from allocating a block-sized array on every block-cache miss;
/// with a cache smaller than the data, that churn of cache-lifetime arrays made the GC the largest cost of readrandom.
/// A reference that is never released is safe, only wasteful: the buffer is then never reused and the GC collects it.
/// </para>
/// <para>
/// A table read through a memory mapping has one more instance, made by <see cref="ForMapping"/>, with no buffer: it
/// counts the readers of the mapping itself. The table reader holds one reference until it is disposed, and every block
/// read in place from the mapping holds one, so the mapping is unmapped only after the reader is closed (evicted from
/// the table cache, its file deleted by a compaction) and the last such block is released; a value handed out by a
/// point lookup thus stays readable after the lookup's table lease ends, exactly as one in a pooled buffer does.
/// </para>
/// </summary>
internal sealed class CachedBlock
{
    private readonly bool _pooled;
    private readonly IDisposable? _mapping;
    private int _references = 1;

    private CachedBlock(byte[] buffer, int length, bool pooled, IDisposable? mapping = null)
    {
        Buffer = buffer;
        Length = length;
        _pooled = pooled;
        _mapping = mapping;
    }

    /// <summary>The buffer; the block's contents are its first <see cref="Length"/> bytes.</summary>
    public byte[] Buffer { get; }

    public int Length { get; }

    /// <summary>The block's contents.</summary>
    public ReadOnlySpan<byte> Contents => Buffer.AsSpan(0, Length);

    /// <summary>Bytes of memory the block occupies (its buffer), which is what a cache should charge for it.</summary>
    public int Footprint => Buffer.Length;

    /// <summary>
    /// A block of <paramref name="length"/> bytes whose buffer has room for <paramref name="capacity"/> bytes (a read
    /// can fetch the block trailer into it too), taken from the pool; one reference, the caller's.
    /// </summary>
    public static CachedBlock Rent(int length, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, length);
        var buffer = BlockBufferPool.Rent(capacity, out var pooled);
        return new CachedBlock(buffer, length, pooled);
    }

    /// <summary>A block over an array that is never recycled (tests, index blocks); one reference, the caller's.</summary>
    public static CachedBlock Wrap(byte[] contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        return new CachedBlock(contents, contents.Length, pooled: false);
    }

    /// <summary>
    /// The reference count of a memory mapping (see the class remarks): <paramref name="mapping"/> is disposed when the
    /// last reference is released. One reference, the caller's. Its <see cref="Buffer"/> is empty.
    /// </summary>
    public static CachedBlock ForMapping(IDisposable mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return new CachedBlock([], 0, pooled: false, mapping);
    }

    /// <summary>Adds a reference for a new holder; only valid while the caller itself holds one (the count is not zero).</summary>
    public void AddReference()
    {
        if (Interlocked.Increment(ref _references) <= 1)
        {
            throw new InvalidOperationException("A block was referenced after its buffer was recycled.");
        }
    }

    /// <summary>Drops one reference; the last one returns the buffer to the pool, after which its bytes must not be read.</summary>
    public void Release()
    {
        var remaining = Interlocked.Decrement(ref _references);
        if (remaining == 0)
        {
            if (_pooled)
            {
                BlockBufferPool.Return(Buffer);
            }

            _mapping?.Dispose();
        }
        else if (remaining < 0)
        {
            throw new InvalidOperationException("A block reference was released more than once.");
        }
    }
}

/// <summary>
/// Buffers for data blocks, in size classes of 256 bytes up to 64 KiB, each class keeping a bounded stack of free
/// buffers (larger requests are plain arrays). Unlike <see cref="System.Buffers.ArrayPool{T}.Shared"/>, whose
/// power-of-two buckets would hand a 4.1 KiB block an 8 KiB array, a class wastes less than 256 bytes per block; the
/// block cache charges the buffer size, so waste would directly shrink how many blocks it holds. Thread-safe.
/// </summary>
internal static class BlockBufferPool
{
    private const int ClassShift = 8;
    private const int MaxPooledSize = 64 << 10;

    // Per class; enough for the blocks in flight between evictions and misses, small enough not to hoard memory.
    private const int MaxFreePerClass = 64;

    private static readonly SizeClass[] Classes = CreateClasses();

    /// <summary>A buffer of at least <paramref name="size"/> bytes; <paramref name="pooled"/> says whether to return it.</summary>
    public static byte[] Rent(int size, out bool pooled)
    {
        if (size > MaxPooledSize)
        {
            pooled = false;
            return GC.AllocateUninitializedArray<byte>(size);
        }

        pooled = true;
        var index = ClassIndex(size);
        return Classes[index].Rent() ?? GC.AllocateUninitializedArray<byte>(Math.Max(1, index) << ClassShift);
    }

    public static void Return(byte[] buffer)
    {
        var index = buffer.Length >> ClassShift;
        if ((buffer.Length & ((1 << ClassShift) - 1)) != 0 || index >= Classes.Length)
        {
            throw new ArgumentException($"A buffer of {buffer.Length} bytes did not come from the block buffer pool.", nameof(buffer));
        }

        Classes[index].Return(buffer);
    }

    private static int ClassIndex(int size) => Math.Max(1, (size + (1 << ClassShift) - 1) >> ClassShift);

    private static SizeClass[] CreateClasses()
    {
        var classes = new SizeClass[(MaxPooledSize >> ClassShift) + 1];
        for (var i = 0; i < classes.Length; i++)
        {
            classes[i] = new SizeClass();
        }

        return classes;
    }

    private sealed class SizeClass
    {
        // Allocated on the first return, so the many classes no block size falls into cost nothing.
        private byte[][]? _free;
        private int _count;

        public byte[]? Rent()
        {
            lock (this)
            {
                if (_count == 0)
                {
                    return null;
                }

                var buffer = _free![--_count];
                _free[_count] = null!;
                return buffer;
            }
        }

        public void Return(byte[] buffer)
        {
            lock (this)
            {
                _free ??= new byte[MaxFreePerClass][];
                if (_count < _free.Length)
                {
                    _free[_count++] = buffer;
                }
            }
        }
    }
}
