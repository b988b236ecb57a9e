using System.Globalization;

namespace EFCore.Lsm.DbBench.Workloads;

/// <summary>
/// db_bench's keys: 16 bytes, the key index in zero-padded decimal ("%016d"), so byte order is index order. A missing
/// key is 15 digits and a '.', which sorts just before ten existing keys: inside the key range, so a lookup cannot be
/// answered by a file's key range alone and has to consult the Bloom filter.
/// </summary>
internal static class KeyFormat
{
    public const int KeySize = 16;

    /// <summary>Writes the key of <paramref name="index"/> (0 ≤ index &lt; 10^16) into the first 16 bytes.</summary>
    public static void Write(Span<byte> destination, long index)
    {
        if (!index.TryFormat(destination[..KeySize], out var written, "D16", CultureInfo.InvariantCulture) || written != KeySize)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "A key index must have at most 16 decimal digits.");
        }
    }

    /// <summary>Writes a key that no fill writes, next to the key of <paramref name="index"/>.</summary>
    public static void WriteMissing(Span<byte> destination, long index)
    {
        if (!(index / 10).TryFormat(destination[..(KeySize - 1)], out var written, "D15", CultureInfo.InvariantCulture)
            || written != KeySize - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "A key index must have at most 16 decimal digits.");
        }

        destination[KeySize - 1] = (byte)'.';
    }
}

/// <summary>
/// Value bytes: slices of one buffer of seeded random bytes, so values cost nothing to produce and do not compress
/// (compression is off everywhere anyway).
/// </summary>
internal sealed class ValueSource
{
    private const int BufferSize = 1 << 20;

    private readonly byte[] _buffer;
    private readonly int _valueSize;

    public ValueSource(int valueSize, ulong seed)
    {
        _valueSize = valueSize;
        _buffer = new byte[BufferSize + valueSize];
        var random = new SplitMix64(seed ^ 0x5EED_0F_0A1E5UL);
        for (var i = 0; i < _buffer.Length; i++)
        {
            _buffer[i] = (byte)random.Next();
        }
    }

    public int ValueSize => _valueSize;

    public ReadOnlySpan<byte> Get(long index) => _buffer.AsSpan((int)((ulong)(index * 7919) % BufferSize), _valueSize);
}

/// <summary>A small, fast, seedable generator (SplitMix64); a struct so each thread keeps its own on the stack.</summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>) (multiply-shift; the bias is negligible for benchmark key choice).</summary>
    public long NextIndex(long bound) => (long)(((UInt128)Next() * (ulong)bound) >> 64);
}
