using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.Engine.Memtable;

/// <summary>
/// A bump allocator over large <c>byte[]</c> slabs, so a memtable holds millions of entries in a handful of GC objects.
/// An allocation is named by a 64-bit address: slab index in the high 32 bits, byte offset in the low 32 bits.
/// Address 0 is never handed out, so owners can use it as "null".
/// <para>
/// Threading: one writer calls <see cref="Allocate"/>; any number of readers may resolve addresses concurrently
/// without locks. The slab table grows by publishing a new, fully copied array with <see cref="Volatile.Write{T}"/>,
/// and a slab is stored in the table before <see cref="Allocate"/> returns an address inside it. A reader that learned
/// an address through an acquire read (<c>Volatile.Read(ref long)</c> of a link the writer published with a
/// release write after filling the bytes) therefore finds the slab and sees its contents.
/// </para>
/// <para>
/// Memory is never freed or reused while the arena is in use. An arena built over a <see cref="SlabPool"/> hands its
/// standard slabs back in <see cref="ReleaseSlabs"/>, which its owner calls only once no reader can reach it any more
/// (see <see cref="MemTable.Unref"/>); until then spans over it stay valid.
/// </para>
/// </summary>
internal sealed class Arena
{
    public const int DefaultSlabSize = 1 << 20;

    public const int MinSlabSize = 64;

    public const int MaxSlabSize = 1 << 30;

    /// <summary>Every allocation starts on this boundary, so 8-byte fields at the start of a block can be read atomically.</summary>
    public const int Alignment = 8;

    /// <summary>The largest single allocation (the largest 8-aligned byte array the runtime allows).</summary>
    public const int MaxAllocation = 0x7FFFFFC7 & ~(Alignment - 1);

    private readonly int _slabSize;
    private readonly SlabPool? _pool;

    // Published table of slabs; entries [0, _slabCount) are set. Readers load it with Volatile.Read.
    private byte[][] _slabs;
    private int _slabCount;

    // The slab small allocations are carved from, and the next free offset in it.
    private int _currentSlab;
    private int _offset;

    private long _memoryUsage;
    private long _reservedBytes;

    public Arena(int slabSize = DefaultSlabSize)
        : this(null, slabSize)
    {
    }

    /// <summary>An arena whose standard slabs come from (and go back to) <paramref name="pool"/>.</summary>
    public Arena(SlabPool pool)
        : this(pool, pool.SlabSize)
    {
    }

    private Arena(SlabPool? pool, int slabSize)
    {
        if (slabSize < MinSlabSize || slabSize > MaxSlabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(slabSize), slabSize, $"Slab size must be in [{MinSlabSize}, {MaxSlabSize}].");
        }

        if (pool is not null && (pool.SlabSize & (Alignment - 1)) != 0)
        {
            throw new ArgumentException("A slab pool's slab size must be a multiple of the alignment.", nameof(pool));
        }

        _pool = pool;
        _slabSize = slabSize & ~(Alignment - 1);
        _slabs = new byte[8][];
        _currentSlab = AddSlab(NewSlab(_slabSize));

        // Reserve the first word so that no allocation has address 0.
        _offset = Alignment;
        _memoryUsage = Alignment;
    }

    public int SlabSize => _slabSize;

    /// <summary>
    /// Bytes consumed so far: every allocation (rounded up to <see cref="Alignment"/>), plus slab tails abandoned when an
    /// allocation did not fit. Excludes the still-free tail of the current slab, so it grows smoothly with the data
    /// rather than in slab-sized steps. Safe to read from any thread.
    /// </summary>
    public long MemoryUsage => Volatile.Read(ref _memoryUsage);

    /// <summary>Total bytes of all slabs allocated from the runtime (what the arena actually holds on to).</summary>
    public long ReservedBytes => Volatile.Read(ref _reservedBytes);

    /// <summary>
    /// Allocates <paramref name="size"/> bytes aligned to <see cref="Alignment"/>, contiguous within one slab, and returns
    /// their address. The bytes are NOT zeroed. Only one thread may call this at a time.
    /// Requests larger than a quarter of the slab size get a dedicated slab so they do not waste the current one's tail.
    /// </summary>
    public long Allocate(int size)
    {
        if (size <= 0 || size > MaxAllocation)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Allocation size must be in [1, Arena.MaxAllocation].");
        }

        var aligned = (size + (Alignment - 1)) & ~(Alignment - 1);
        long address;
        if (aligned <= _slabSize - _offset)
        {
            address = MakeAddress(_currentSlab, _offset);
            _offset += aligned;
            Volatile.Write(ref _memoryUsage, _memoryUsage + aligned);
            return address;
        }

        if (aligned > _slabSize / 4)
        {
            var dedicated = AddSlab(NewSlab(aligned));
            Volatile.Write(ref _memoryUsage, _memoryUsage + aligned);
            return MakeAddress(dedicated, 0);
        }

        // Abandon the current slab's tail (count it: that memory is held) and start a fresh slab.
        var abandoned = _slabSize - _offset;
        _currentSlab = AddSlab(NewSlab(_slabSize));
        _offset = aligned;
        Volatile.Write(ref _memoryUsage, _memoryUsage + abandoned + aligned);
        return MakeAddress(_currentSlab, 0);
    }

    /// <summary>A writable view of <paramref name="length"/> bytes at <paramref name="address"/> (for the writer).</summary>
    public Span<byte> GetSpan(long address, int length) => SlabOf(address).AsSpan(OffsetOf(address), length);

    /// <summary>
    /// A reference to the byte at <paramref name="address"/>, without bounds checks: <paramref name="address"/> must come
    /// from <see cref="Allocate"/> on this arena (plus an offset that stays inside that allocation).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte At(long address)
    {
        var slab = SlabOf(address);
        Debug.Assert((uint)OffsetOf(address) < (uint)slab.Length, "address outside its slab");
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slab), (nint)(uint)OffsetOf(address));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[] SlabOf(long address) => Volatile.Read(ref _slabs)[(int)((ulong)address >> 32)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OffsetOf(long address) => (int)(uint)address;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long MakeAddress(int slabIndex, int offset) => ((long)slabIndex << 32) | (uint)offset;

    /// <summary>
    /// Gives the standard slabs back to the pool. The arena must not be used afterwards, and no span over it may be
    /// alive: the bytes will belong to another memtable.
    /// </summary>
    public void ReleaseSlabs()
    {
        if (_pool is null)
        {
            return;
        }

        var table = _slabs;
        for (var i = 0; i < _slabCount; i++)
        {
            _pool.Return(table[i]);
            table[i] = null!;
        }

        _slabCount = 0;
    }

    private byte[] NewSlab(int size)
    {
        // Uninitialised: every byte a reader can reach is written before it is published.
        var slab = _pool is not null && size == _slabSize ? _pool.Rent() : GC.AllocateUninitializedArray<byte>(size);
        Volatile.Write(ref _reservedBytes, _reservedBytes + size);
        return slab;
    }

    private int AddSlab(byte[] slab)
    {
        var table = _slabs;
        if (_slabCount == table.Length)
        {
            // Readers holding the old table only resolve addresses they already knew, all of which are in it.
            var grown = new byte[table.Length * 2][];
            Array.Copy(table, grown, _slabCount);
            grown[_slabCount] = slab;
            Volatile.Write(ref _slabs, grown);
        }
        else
        {
            Volatile.Write(ref table[_slabCount], slab);
        }

        return _slabCount++;
    }
}
