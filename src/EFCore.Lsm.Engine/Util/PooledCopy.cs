using System.Buffers;

namespace EFCore.Lsm.Engine.Util;

/// <summary>Copies of keys kept in buffers rented from <see cref="ArrayPool{T}.Shared"/> (an empty array means none yet).</summary>
internal static class PooledCopy
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="buffer"/>, renting a larger one first if needed.</summary>
    public static ReadOnlySpan<byte> Into(ref byte[] buffer, ReadOnlySpan<byte> source)
    {
        if (buffer.Length < source.Length)
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(source.Length, 64));
        }

        source.CopyTo(buffer);
        return buffer.AsSpan(0, source.Length);
    }
}
