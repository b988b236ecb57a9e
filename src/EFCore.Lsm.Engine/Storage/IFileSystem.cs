namespace EFCore.Lsm.Engine.Storage;

/// <summary>
/// Every byte the engine reads or writes goes through this interface, so tests can run the engine over
/// <see cref="MemoryFileSystem"/> (which can simulate a crash that loses unsynced data) or a fault-injecting wrapper.
/// Paths are full paths as produced by <see cref="Path.Combine(string, string)"/>.
/// </summary>
public interface IFileSystem
{
    /// <summary>Creates (or truncates) a file for sequential appends.</summary>
    IWritableFile CreateFile(string path);

    /// <summary>Opens an existing file for positional reads.</summary>
    IRandomAccessFile OpenRandomAccess(string path);

    /// <summary>
    /// Opens an existing file that will not change while open (an SST) for positional reads through a memory mapping, so
    /// a read is a copy out of the page cache with no system call. A file system without mappings opens it as
    /// <see cref="OpenRandomAccess"/> does.
    /// </summary>
    IRandomAccessFile OpenMappedRandomAccess(string path) => OpenRandomAccess(path);

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>Whether a directory exists at <paramref name="path"/>.</summary>
    bool DirectoryExists(string path);

    /// <summary>Creates the directory <paramref name="path"/> (and missing parents); nothing happens when it exists.</summary>
    void CreateDirectory(string path);

    /// <summary>Names (not paths) of the files directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Deletes the file at <paramref name="path"/>.</summary>
    void DeleteFile(string path);

    /// <summary>Deletes a directory and everything in it.</summary>
    void DeleteDirectory(string path);

    /// <summary>Atomically renames <paramref name="source"/> to <paramref name="destination"/>, replacing it if present.</summary>
    void RenameFile(string source, string destination);

    /// <summary>Makes creations, deletions and renames of entries in <paramref name="directory"/> durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// Forces the data of the existing file <paramref name="path"/> to stable storage (fsync): a WAL that an earlier run
    /// wrote without syncing, before later writes that are synced may go to another file.
    /// </summary>
    void SyncFile(string path);

    /// <summary>The size of the file at <paramref name="path"/> in bytes.</summary>
    long GetFileSize(string path);

    /// <summary>
    /// Takes the exclusive lock of the database whose lock file is <paramref name="path"/> (creating the file) for as long
    /// as the returned handle lives; deleting the file must not release it. Throws an <see cref="LsmException"/> with
    /// <see cref="LsmException.IsDatabaseInUse"/> set when another opener, in this process or another, holds it, and one
    /// naming the cause when the lock cannot be taken for another reason (a read-only file system, access denied).
    /// </summary>
    IDisposable LockFile(string path);
}

/// <summary>A file being written front to back (WAL, SST, manifest).</summary>
public interface IWritableFile : IDisposable
{
    /// <summary>Bytes appended so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="data"/> at the end of the file (buffered until <see cref="Flush"/> or <see cref="Sync"/>).</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Hands buffered bytes to the operating system (survives a process crash, not a power loss).</summary>
    void Flush();

    /// <summary>Flushes and forces the file's data to stable storage (fsync).</summary>
    void Sync();

    /// <summary>
    /// Flushes and forces the file's data, and the metadata needed to read it back (its length), to stable storage, but
    /// not timestamps (fdatasync). Enough for appends to a log; what LevelDB and RocksDB use for their WALs. A file
    /// system without the distinction syncs fully.
    /// </summary>
    void SyncData() => Sync();
}

/// <summary>A file read at arbitrary offsets; safe for concurrent readers.</summary>
public interface IRandomAccessFile : IDisposable
{
    /// <summary>The file's size in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; returns the count read (short only at end of file).</summary>
    int Read(long offset, Span<byte> destination);
}
