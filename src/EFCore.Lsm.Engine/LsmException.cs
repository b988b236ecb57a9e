namespace EFCore.Lsm.Engine;

/// <summary>
/// The base type of every error the engine raises on purpose: a locked or missing database, bad arguments,
/// a database that went read-only after an I/O failure, and (as <see cref="LsmCorruptionException"/>) damaged files.
/// </summary>
public class LsmException : Exception
{
    /// <summary>Creates the exception with a message that names what failed.</summary>
    public LsmException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message that names what failed, and its cause.</summary>
    public LsmException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Raised when bytes on disk fail a checksum or do not parse. Names the file and the byte offset where the damage was
/// found, so an operator can inspect it (for example with the <c>lsm</c> tool). The engine never returns wrong data instead.
/// </summary>
public sealed class LsmCorruptionException : LsmException
{
    /// <summary>Creates the exception for damage in <paramref name="fileName"/> at <paramref name="offset"/>.</summary>
    /// <param name="fileName">The damaged file.</param>
    /// <param name="offset">The byte offset of the damage in the file.</param>
    /// <param name="reason">What is wrong there.</param>
    public LsmCorruptionException(string fileName, long offset, string reason)
        : base($"Corruption in '{fileName}' at offset {offset}: {reason}")
    {
        FileName = fileName;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The file (name within the database folder, or full path) where corruption was detected.</summary>
    public string FileName { get; }

    /// <summary>Byte offset within <see cref="FileName"/> of the damaged record or block.</summary>
    public long Offset { get; }

    /// <summary>What check failed.</summary>
    public string Reason { get; }
}

/// <summary>What a <see cref="WriteBatch"/> condition requires of the committed state when the batch commits.</summary>
public enum WriteConditionKind
{
    /// <summary>The key has no live value (<see cref="WriteBatch.RequireAbsent"/>).</summary>
    Absent = 1,

    /// <summary>The key has a live value (<see cref="WriteBatch.RequirePresent"/>).</summary>
    Present = 2,

    /// <summary>The key was not written after a snapshot (<see cref="WriteBatch.RequireUnchangedSince"/>).</summary>
    UnchangedSince = 3,

    /// <summary>No key of a range was written after a snapshot (<see cref="WriteBatch.RequireRangeUnchangedSince"/>).</summary>
    RangeUnchangedSince = 4,
}

/// <summary>
/// A condition of a <see cref="WriteBatch"/> did not hold at commit time, so nothing of the batch was written. Names the
/// condition (its position among the batch's conditions, its kind and key), so a caller can tell which check failed.
/// </summary>
public sealed class LsmConditionFailedException : LsmException
{
    /// <summary>Creates the exception for the condition at <paramref name="conditionIndex"/>.</summary>
    /// <param name="conditionIndex">The 0-based position of the failed condition in the batch.</param>
    /// <param name="kind">What the condition required.</param>
    /// <param name="key">The key (or the range's lower bound) it was about.</param>
    public LsmConditionFailedException(int conditionIndex, WriteConditionKind kind, byte[] key)
        : base($"The write was not applied: condition {conditionIndex} ({kind} on key 0x{Convert.ToHexString(key)}) did not hold.")
    {
        ConditionIndex = conditionIndex;
        Kind = kind;
        Key = key;
    }

    /// <summary>The 0-based position of the failed condition in the order the batch's conditions were added.</summary>
    public int ConditionIndex { get; }

    /// <summary>What the failed condition required.</summary>
    public WriteConditionKind Kind { get; }

    /// <summary>The condition's key (for a range, its lower bound).</summary>
    public byte[] Key { get; }
}
