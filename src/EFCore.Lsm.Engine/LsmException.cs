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

    /// <summary>
    /// True when the database is open elsewhere (another process, or another <see cref="LsmDatabase"/> in this one holds
    /// its lock), so it cannot be opened for writing now; a read-only open (<see cref="LsmOptions.ReadOnly"/>) takes no
    /// lock and still works. Every other failure to take the lock (a read-only file system, access denied) is false.
    /// </summary>
    public bool IsDatabaseInUse { get; private init; }

    /// <summary>"The database is in use: it is open elsewhere (<paramref name="holder"/>). <paramref name="advice"/>"</summary>
    internal static LsmException DatabaseInUse(
        string path, string holder, Exception? innerException = null, string advice = "Close it there, or open it read-only.")
        => new($"The database '{path}' is in use: it is open elsewhere ({holder}). {advice}", innerException)
        {
            IsDatabaseInUse = true,
        };
}

/// <summary>
/// Raised when bytes on disk fail a checksum or do not parse. Names the file and the byte offset where the damage was
/// found, so an operator can inspect it (for example with the <c>lsm</c> tool). The engine never returns wrong data instead.
/// </summary>
public class LsmCorruptionException : LsmException
{
    /// <summary>Creates the exception for damage in <paramref name="fileName"/> at <paramref name="offset"/>.</summary>
    /// <param name="fileName">The damaged file.</param>
    /// <param name="offset">The byte offset of the damage in the file.</param>
    /// <param name="reason">What is wrong there.</param>
    public LsmCorruptionException(string fileName, long offset, string reason)
        : this($"Corruption in '{fileName}' at offset {offset}: {reason}", fileName, offset, reason)
    {
    }

    private protected LsmCorruptionException(string message, string fileName, long offset, string reason)
        : base(message)
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

/// <summary>
/// Raised when opening finds a file missing that the database's own records prove must exist: CURRENT (the folder holds
/// tables, WALs or manifests), a table the manifest lists, the WAL the manifest's log number names, or writes that no
/// remaining file holds. The database is refused rather than opened with a hole, and nothing in the folder is changed.
/// </summary>
public sealed class LsmMissingFileException : LsmCorruptionException
{
    /// <summary>Creates the exception for the missing <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file that is missing.</param>
    /// <param name="reason">What proves that it must exist.</param>
    public LsmMissingFileException(string fileName, string reason)
        : base($"'{fileName}' is missing: {reason}", fileName, 0, reason)
    {
    }
}

/// <summary>
/// Raised when a folder holds files that are not an EFCore.Lsm database (another engine's database, or files of the
/// user's that happen to be named like ours). Nothing in the folder is read further, written or deleted.
/// </summary>
public sealed class LsmNotADatabaseException : LsmException
{
    /// <summary>Creates the exception for the refused folder <paramref name="path"/>.</summary>
    /// <param name="path">The folder that was refused.</param>
    /// <param name="reason">What showed that the folder is not ours.</param>
    public LsmNotADatabaseException(string path, string reason)
        : base($"'{path}' is not an EFCore.Lsm database: {reason}. Nothing in it was changed.")
    {
        DatabasePath = path;
        Reason = reason;
    }

    /// <summary>The folder that was refused.</summary>
    public string DatabasePath { get; }

    /// <summary>What showed that the folder is not ours.</summary>
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
