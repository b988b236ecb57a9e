using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// The full-table Bloom filter over user keys (docs/table_format.md, "Filter block"). Layout: the bit array
/// (bit i is bit i % 8 of byte i / 8) followed by one byte holding k, the number of probes. Probing uses double hashing
/// from one 32-bit MurmurHash3 (x86_32) value with seed <see cref="HashSeed"/>: h, delta = rotr(h, 17); probe j sets
/// bit (h + j * delta) mod m, with uint32 wrap-around. The hash is fixed by the format: never change it.
/// </summary>
internal static class BloomFilter
{
    /// <summary>"LSMB" read as a little-endian uint32.</summary>
    public const uint HashSeed = 0x424D534C;

    public const int MinBits = 64;

    public const int MaxProbes = 30;

    /// <summary>Bit arrays are capped at 2^29 bytes (2^32 bits) so that a 32-bit hash can address every bit.</summary>
    public const int MaxBitBytes = 1 << 29;

    /// <summary>k = round(bitsPerKey * ln 2), clamped to 1..30: the probe count that minimises false positives.</summary>
    public static int ProbeCount(int bitsPerKey) => Math.Clamp((int)Math.Round(bitsPerKey * 0.69314718055994530942), 1, MaxProbes);

    /// <summary>The length of the filter (bit array + k byte) for <paramref name="keyCount"/> distinct keys.</summary>
    public static int FilterLength(long keyCount, int bitsPerKey)
    {
        var bits = Math.Max(MinBits, keyCount * bitsPerKey);
        var bytes = (int)Math.Min(MaxBitBytes, (bits + 7) / 8);
        return bytes + 1;
    }

    /// <summary>Writes a filter for the given key hashes into <paramref name="destination"/> (length from <see cref="FilterLength"/>).</summary>
    public static void Build(ReadOnlySpan<uint> hashes, int bitsPerKey, Span<byte> destination)
    {
        destination.Clear();
        var k = ProbeCount(bitsPerKey);
        var bitBytes = destination[..^1];
        var bitCount = (uint)bitBytes.Length * 8;
        foreach (var hash in hashes)
        {
            var h = hash;
            var delta = BitOperations.RotateRight(h, 17);
            for (var j = 0; j < k; j++)
            {
                var bit = h % bitCount;
                bitBytes[(int)(bit >> 3)] |= (byte)(1 << (int)(bit & 7));
                h += delta;
            }
        }

        destination[^1] = (byte)k;
    }

    /// <summary>False when the key is certainly absent. <paramref name="filter"/> must have passed <see cref="IsWellFormed"/>.</summary>
    public static bool MayContain(ReadOnlySpan<byte> filter, ReadOnlySpan<byte> userKey)
    {
        var k = filter[^1];
        var bitBytes = filter[..^1];
        var bitCount = (uint)bitBytes.Length * 8;
        var h = Hash(userKey);
        var delta = BitOperations.RotateRight(h, 17);
        for (var j = 0; j < k; j++)
        {
            var bit = h % bitCount;
            if ((bitBytes[(int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0)
            {
                return false;
            }

            h += delta;
        }

        return true;
    }

    public static bool IsWellFormed(ReadOnlySpan<byte> filter)
        => filter.Length >= 2 && filter.Length - 1 <= MaxBitBytes && filter[^1] is >= 1 and <= MaxProbes;

    /// <summary>MurmurHash3 x86_32 of <paramref name="data"/> with <see cref="HashSeed"/>.</summary>
    public static uint Hash(ReadOnlySpan<byte> data) => Murmur3(data, HashSeed);

    public static uint Murmur3(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51;
        const uint c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            h ^= MixK(k);
            h = BitOperations.RotateLeft(h, 13);
            h = (h * 5) + 0xe6546b64;
        }

        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t = (uint)(tail[0] | (tail[1] << 8) | (tail[2] << 16));
                break;
            case 2:
                t = (uint)(tail[0] | (tail[1] << 8));
                break;
            case 1:
                t = tail[0];
                break;
        }

        if (tail.Length > 0)
        {
            h ^= MixK(t);
        }

        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static uint MixK(uint k)
        {
            k *= c1;
            k = BitOperations.RotateLeft(k, 15);
            return k * c2;
        }
    }
}
