using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.Engine.Util;

/// <summary>
/// CRC32C (Castagnoli) over spans using the hardware instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>,
/// eight bytes per step. Stored checksums are masked (as LevelDB does) so that a CRC over bytes that themselves
/// contain CRCs stays well distributed. See docs/log_format.md and docs/table_format.md.
/// <para>
/// One CRC instruction depends on the previous one's result, so a single chain runs at the instruction's latency
/// (about 3 cycles per 8 bytes), not its throughput (1 per cycle). Spans of a few hundred bytes or more are therefore
/// cut into rounds of three equal lanes whose chains run side by side, and the three lane CRCs are joined with
/// <see cref="Shift"/>: the CRC register is linear over GF(2), so the register after lane A then lane B is
/// <c>shift(A) ^ B</c>, where shift applies the effect of a lane's length of zero bytes. That effect is a fixed linear
/// map per lane length, kept as four 256-entry tables. Data blocks of mapped tables are verified on every load, so
/// this runs once per block a scan or seek enters: a 4 KiB block in cache took 0.52 µs as one chain and 0.23 µs in
/// three lanes here; a block that must come from memory is bound by memory, and gains about a fifth.
/// </para>
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    // Lane lengths (multiples of 8) of the two round sizes: 3 KiB rounds for the bulk of a 4 KiB block, 384-byte rounds
    // for what is left; a shorter rest runs as one chain.
    private const int LongLane = 1024;
    private const int ShortLane = 128;

    private static readonly uint[] LongShift = ShiftTable(LongLane);
    private static readonly uint[] ShortShift = ShiftTable(ShortLane);

    /// <summary>CRC32C of <paramref name="data"/>, continuing from a previous unmasked value (0 to start).</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var offset = 0;
        while (length - offset >= 3 * LongLane)
        {
            state = Round(state, ref Unsafe.Add(ref start, offset), LongLane, LongShift);
            offset += 3 * LongLane;
        }

        while (length - offset >= 3 * ShortLane)
        {
            state = Round(state, ref Unsafe.Add(ref start, offset), ShortLane, ShortShift);
            offset += 3 * ShortLane;
        }

        while (length - offset >= 8)
        {
            state = BitOperations.Crc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset)));
            offset += 8;
        }

        if (length - offset >= 4)
        {
            state = BitOperations.Crc32C(state, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset)));
            offset += 4;
        }

        while (offset < length)
        {
            state = BitOperations.Crc32C(state, Unsafe.Add(ref start, offset));
            offset++;
        }

        return ~state;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Masked form written to disk: rotate right by 15 bits and add a constant.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        var rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>Checks a little-endian masked CRC stored in <paramref name="stored"/> against <paramref name="data"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> stored)
        => Unmask(BinaryPrimitives.ReadUInt32LittleEndian(stored)) == Compute(data);

    /// <summary>
    /// Feeds three consecutive lanes of <paramref name="lane"/> bytes at <paramref name="source"/> into the register
    /// <paramref name="state"/> as three independent chains, then joins them (see the class remarks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Round(uint state, ref byte source, int lane, uint[] shift)
    {
        uint b = 0, c = 0;
        ref var laneB = ref Unsafe.Add(ref source, lane);
        ref var laneC = ref Unsafe.Add(ref source, 2 * lane);
        for (var i = 0; i < lane; i += 8)
        {
            state = BitOperations.Crc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i)));
            b = BitOperations.Crc32C(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref laneB, i)));
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref laneC, i)));
        }

        return Shift(Shift(state, shift) ^ b, shift) ^ c;
    }

    /// <summary>The register after a lane's length of zero bytes, from register <paramref name="state"/> (a linear map).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint state, uint[] table)
    {
        ref var t = ref MemoryMarshal.GetArrayDataReference(table);
        return Unsafe.Add(ref t, (int)(state & 0xff))
            ^ Unsafe.Add(ref t, 256 + (int)((state >> 8) & 0xff))
            ^ Unsafe.Add(ref t, 512 + (int)((state >> 16) & 0xff))
            ^ Unsafe.Add(ref t, 768 + (int)(state >> 24));
    }

    /// <summary>
    /// Entry <c>256 * k + v</c> is the register after <paramref name="lane"/> zero bytes from register <c>v &lt;&lt; 8k</c>;
    /// by linearity the map of any register is the XOR of the entries of its four bytes.
    /// </summary>
    private static uint[] ShiftTable(int lane)
    {
        Span<uint> bits = stackalloc uint[32];
        for (var bit = 0; bit < 32; bit++)
        {
            var register = 1u << bit;
            for (var i = 0; i < lane; i += 8)
            {
                register = BitOperations.Crc32C(register, 0UL);
            }

            bits[bit] = register;
        }

        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var v = 1; v < 256; v++)
            {
                // v's lowest set bit plus the entry of v without it.
                var low = BitOperations.TrailingZeroCount(v);
                table[(256 * k) + v] = bits[(8 * k) + low] ^ table[(256 * k) + (v & (v - 1))];
            }
        }

        return table;
    }
}
