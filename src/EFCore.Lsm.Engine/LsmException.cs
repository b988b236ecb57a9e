namespace EFCore.Lsm.Engine;

/// <summary>
/// The base type of every error the engine raises on purpose: a locked or missing database, bad arguments,
/// a database that went read-only after an I/O failure, and (as <see cref="LsmCorruptionException"/>) damaged files.
/// </summary>
public class LsmException : Exception
{
    public LsmException(string message)
        : base(message)
    {
    }

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
