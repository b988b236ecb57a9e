using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.Engine.Util;

/// <summary>
/// CRC32C (Castagnoli) over spans using the hardware instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>,
/// eight bytes per step. Stored checksums are masked (as LevelDB does) so that a CRC over bytes that themselves
/// contain CRCs stays well distributed. See docs/log_format.md and docs/table_format.md.
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>CRC32C of <paramref name="data"/>, continuing from a previous unmasked value (0 to start).</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var offset = 0;
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
}
