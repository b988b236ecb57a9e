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
}

/// <summary>
/// Raised when bytes on disk fail a checksum or do not parse. Names the file and the byte offset where the damage was
/// found, so an operator can inspect it (for example with the <c>lsm</c> tool). The engine never returns wrong data instead.
/// </summary>
public sealed class LsmCorruptionException : LsmException
{
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
