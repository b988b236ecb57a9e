using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Format;

/// <summary>
/// An internal key is the user key followed by an 8-byte little-endian trailer <c>(sequence &lt;&lt; 8) | kind</c>
/// (docs/table_format.md, "Internal keys"). Internal keys sort by user key ascending (bytewise), then by trailer
/// descending, so the newest version of a key comes first and "newest wins" falls out of iteration order.
/// </summary>
internal static class InternalKey
{
    public const int TrailerSize = 8;

    /// <summary>Sequence numbers are 56 bits.</summary>
    public const ulong MaxSequence = (1UL << 56) - 1;

    /// <summary>
    /// The kind used in seek keys: the largest kind, so that (key, seq, <see cref="KindForSeek"/>) sorts before every
    /// entry of <c>key</c> with a sequence &lt;= seq.
    /// </summary>
    public const ValueKind KindForSeek = ValueKind.Put;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PackTrailer(ulong sequence, ValueKind kind) => (sequence << 8) | (byte)kind;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerSize];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Trailer(ReadOnlySpan<byte> internalKey)
        => BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerSize..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sequence(ReadOnlySpan<byte> internalKey) => Trailer(internalKey) >> 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ValueKind Kind(ReadOnlySpan<byte> internalKey) => (ValueKind)(byte)Trailer(internalKey);

    /// <summary>Writes userKey + trailer into <paramref name="destination"/> and returns the length written.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        userKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[userKey.Length..], PackTrailer(sequence, kind));
        return userKey.Length + TrailerSize;
    }

    public static byte[] Create(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        var result = new byte[userKey.Length + TrailerSize];
        Write(result, userKey, sequence, kind);
        return result;
    }

    /// <summary>Whether a span is long enough to be an internal key (corrupt input may not be).</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> internalKey)
        => internalKey.Length >= TrailerSize && (byte)Trailer(internalKey) <= (byte)ValueKind.Put;

    /// <summary>Orders internal keys: user key ascending, then trailer (sequence, kind) descending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var c = Bytewise.Compare(a[..^TrailerSize], b[..^TrailerSize]);
        if (c != 0)
        {
            return c;
        }

        var ta = Trailer(a);
        var tb = Trailer(b);
        return ta > tb ? -1 : ta < tb ? 1 : 0;
    }

    public static string Describe(ReadOnlySpan<byte> internalKey)
        => internalKey.Length < TrailerSize
            ? $"<malformed {Convert.ToHexString(internalKey)}>"
            : $"{Convert.ToHexString(UserKey(internalKey))} @{Sequence(internalKey)} {Kind(internalKey)}";
}

/// <summary><see cref="IComparer{T}"/> adapter for places that need one (sorting, tests).</summary>
internal sealed class InternalKeyComparer : IComparer<byte[]>
{
    public static readonly InternalKeyComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => InternalKey.Compare(x!, y!);
}
