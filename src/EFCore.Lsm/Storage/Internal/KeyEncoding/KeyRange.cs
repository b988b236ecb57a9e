namespace EFCore.Lsm.Storage.Internal.KeyEncoding;

/// <summary>Byte-range helpers for scans over encoded keys (docs/key_encoding.md, "Ranges").</summary>
public static class KeyRange
{
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
