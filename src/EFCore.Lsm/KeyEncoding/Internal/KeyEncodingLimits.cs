namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>Size limits of encoded keys.</summary>
public static class KeyEncodingLimits
{
    /// <summary>
    /// The largest encoded key (keyspace prefix and every part) the provider writes, in bytes. The engine accepts much
    /// larger keys, but every key is repeated in index blocks, the block cache and each index entry that points at
    /// its row, so long keys cost far more than long values. FoundationDB draws the line at 10,000 bytes; 8 KiB is ours.
    /// </summary>
    public const int MaxKeySize = 8 * 1024;

    /// <summary>Throws <see cref="LsmKeyTooLargeException"/> when <paramref name="size"/> exceeds <see cref="MaxKeySize"/>.</summary>
    public static void CheckKeySize(long size)
    {
        if (size > MaxKeySize)
        {
            throw new LsmKeyTooLargeException(size);
        }
    }
}
