namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>Byte-range helpers for scans over encoded keys (docs/key_encoding.md, "Ranges").</summary>
/// <remarks>
/// Two different successors. <see cref="AfterParts"/> bounds the keys whose leading <em>parts</em> equal some encoded
/// parts: use it for equality on a key prefix and for strict lower bounds. <see cref="PrefixSuccessor"/> bounds the keys
/// that start with some <em>bytes</em>: use it for an unterminated string prefix (<c>StartsWith</c>). They differ because
/// an ascending string or byte string part is not prefix-free as bytes: "a" is 02 61 00 and "a\0" is 02 61 00 FF 00, so
/// <c>PrefixSuccessor(key("a"))</c> would also admit rows whose part is "a\0…".
/// </remarks>
public static class KeyRange
{
    /// <summary>
    /// The byte <see cref="AfterParts"/> appends: no type code is 0xFF, so it sorts after every key that continues
    /// with more parts, and before "a\0…" keys continuing an ascending string "a" (whose next byte is the escape 0xFF
    /// followed by more bytes).
    /// </summary>
    public const byte PartsEnd = 0xFF;

    /// <summary>
    /// The smallest key greater than every key whose leading parts are exactly <paramref name="encodedParts"/> (complete
    /// parts as <see cref="KeyWriter"/> wrote them): the parts followed by 0xFF. The exclusive upper bound for
    /// "leading parts equal", and the inclusive lower bound for "leading parts, then the next part greater than".
    /// </summary>
    public static byte[] AfterParts(ReadOnlySpan<byte> encodedParts)
    {
        var bound = new byte[encodedParts.Length + 1];
        encodedParts.CopyTo(bound);
        bound[^1] = PartsEnd;
        return bound;
    }

    /// <summary>
    /// The smallest key greater than every key that starts with <paramref name="prefix"/>: the prefix without its
    /// trailing 0xFF bytes, with its last byte incremented. Null when there is none (the prefix is empty or all 0xFF),
    /// in which case the range has no upper bound.
    /// </summary>
    public static byte[]? PrefixSuccessor(ReadOnlySpan<byte> prefix)
    {
        var length = PrefixSuccessorLength(prefix);
        if (length < 0)
        {
            return null;
        }

        var successor = prefix[..length].ToArray();
        successor[^1]++;
        return successor;
    }

    /// <summary>
    /// Turns <paramref name="key"/> into its prefix successor in place (see <see cref="PrefixSuccessor"/>), for callers
    /// that keep keys in their own buffers; the successor is <c>key[..length]</c>. False when there is none.
    /// </summary>
    public static bool TryMakePrefixSuccessor(Span<byte> key, out int length)
    {
        length = PrefixSuccessorLength(key);
        if (length < 0)
        {
            length = 0;
            return false;
        }

        key[length - 1]++;
        return true;
    }

    private static int PrefixSuccessorLength(ReadOnlySpan<byte> prefix)
    {
        var last = prefix.LastIndexOfAnyExcept((byte)0xFF);
        return last < 0 ? -1 : last + 1;
    }
}
