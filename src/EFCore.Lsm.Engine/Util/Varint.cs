using System.Runtime.CompilerServices;

namespace EFCore.Lsm.Engine.Util;

/// <summary>
/// LEB128-style unsigned varints (7 bits per byte, low groups first, high bit = more), the integer encoding used inside
/// blocks, WAL batches and manifest edits. Fixed-width integers on disk are little-endian via BinaryPrimitives.
/// </summary>
internal static class Varint
{
    public const int MaxLength32 = 5;
    public const int MaxLength64 = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/> and returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads a varint of at most 64 bits. Returns the number of bytes consumed, or 0 when the input is truncated or
    /// longer than ten bytes; callers turn 0 into a corruption error that names the file.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryRead(ReadOnlySpan<byte> source, out ulong value)
    {
        ulong result = 0;
        var shift = 0;
        for (var i = 0; i < source.Length && i < MaxLength64; i++)
        {
            ulong b = source[i];
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                return i + 1;
            }

            shift += 7;
        }

        value = 0;
        return 0;
    }

    /// <summary>Reads a varint that must fit in 32 bits; returns 0 when truncated, too long or too large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryRead32(ReadOnlySpan<byte> source, out uint value)
    {
        // Fast path: one-byte values dominate (shared/unshared lengths in blocks).
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            return 1;
        }

        var n = TryRead(source, out var wide);
        if (n == 0 || n > MaxLength32 || wide > uint.MaxValue)
        {
            value = 0;
            return 0;
        }

        value = (uint)wide;
        return n;
    }
}
