namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// Raised when an encoded key would be longer than <see cref="KeyEncodingLimits.MaxKeySize"/>: the key values of one
/// entity (or one index entry) are too long. Names the size and the limit.
/// </summary>
public sealed class LsmKeyTooLargeException : ArgumentException
{
    public LsmKeyTooLargeException(long size)
        : base(
            $"The encoded key would be at least {size} bytes; the largest key allowed is {KeyEncodingLimits.MaxKeySize} bytes "
            + $"(KeyEncodingLimits.MaxKeySize). Use shorter key or index values.")
    {
        Size = size;
    }

    /// <summary>The encoded size (or the part of it reached when the limit was crossed).</summary>
    public long Size { get; }

    /// <summary>The limit, <see cref="KeyEncodingLimits.MaxKeySize"/>.</summary>
    public int Limit => KeyEncodingLimits.MaxKeySize;
}
