namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// Raised by <see cref="KeyReader"/> when bytes are not a well-formed encoded key: truncated, an unknown type code,
/// a part of another type than the one asked for, or a value outside the range of the requested .NET type.
/// Names the byte offset of the part within the key.
/// </summary>
public sealed class LsmKeyFormatException : FormatException
{
    public LsmKeyFormatException(int offset, string reason)
        : base($"Malformed key at offset {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Offset within the key of the part that failed to decode.</summary>
    public int Offset { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }
}
