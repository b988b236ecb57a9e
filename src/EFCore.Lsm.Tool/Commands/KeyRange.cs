namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// The user-key range of a scan: [<see cref="Lower"/>, <see cref="Upper"/>) from --from (inclusive), --to (exclusive)
/// and --prefix, intersected. Null means unbounded on that side.
/// </summary>
internal readonly record struct KeyRange(byte[]? Lower, byte[]? Upper)
{
    /// <summary>True when no key can be in the range (the engine's iterator is never asked about an inverted one).</summary>
    public bool IsEmpty => Lower is not null && Upper is not null && Lower.AsSpan().SequenceCompareTo(Upper) >= 0;

    public bool Contains(ReadOnlySpan<byte> key)
        => (Lower is null || key.SequenceCompareTo(Lower) >= 0) && (Upper is null || key.SequenceCompareTo(Upper) < 0);

    public static KeyRange Create(byte[]? from, byte[]? to, byte[]? prefix)
    {
        var lower = from;
        var upper = to;
        if (prefix is not null)
        {
            if (lower is null || lower.AsSpan().SequenceCompareTo(prefix) < 0)
            {
                lower = prefix;
            }

            var end = PrefixEnd(prefix);
            if (end is not null && (upper is null || upper.AsSpan().SequenceCompareTo(end) > 0))
            {
                upper = end;
            }
        }

        return new KeyRange(lower, upper);
    }

    /// <summary>
    /// The smallest key greater than every key that starts with <paramref name="prefix"/>: drop trailing 0xFF bytes and
    /// increment the last remaining one. Null when there is none (empty prefix or all 0xFF): then no upper bound.
    /// </summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        var i = prefix.Length - 1;
        while (i >= 0 && prefix[i] == 0xFF)
        {
            i--;
        }

        if (i < 0)
        {
            return null;
        }

        var end = prefix[..(i + 1)].ToArray();
        end[i]++;
        return end;
    }
}
