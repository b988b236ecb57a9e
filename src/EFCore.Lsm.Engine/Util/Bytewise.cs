using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.Engine.Util;

/// <summary>
/// Bytewise (unsigned, shorter prefix first) comparison of keys, the order of user keys (docs/table_format.md).
/// <see cref="MemoryExtensions.SequenceCompareTo{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/> gives the same order, but as
/// a call that sets up for long inputs; keys are mostly a few dozen bytes and every step of a merge or a seek compares
/// several, so short keys are compared here inline, eight bytes at a time as big-endian words.
/// </summary>
internal static class Bytewise
{
    // Longer common lengths go to the vectorised library routine.
    private const int InlineLimit = 64;

    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, equal to or after <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = Math.Min(a.Length, b.Length);
        if (common > InlineLimit)
        {
            return a.SequenceCompareTo(b);
        }

        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var i = 0;
        for (; i + 8 <= common; i += 8)
        {
            var wx = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, i));
            var wy = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref y, i));
            if (wx != wy)
            {
                return BinaryPrimitives.ReverseEndianness(wx) < BinaryPrimitives.ReverseEndianness(wy) ? -1 : 1;
            }
        }

        for (; i < common; i++)
        {
            var d = Unsafe.Add(ref x, i) - Unsafe.Add(ref y, i);
            if (d != 0)
            {
                return d;
            }
        }

        return a.Length - b.Length;
    }
}
