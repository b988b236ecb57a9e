using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Tool.Storage;

/// <summary>
/// The local file system, except that failing to take the database LOCK raises <see cref="DatabaseInUseException"/>:
/// the engine reports a held lock as a plain <see cref="LsmException"/>, and the tool must tell "in use" (exit code 3)
/// apart from every other open failure without matching message text.
/// </summary>
internal sealed class LockReportingFileSystem : IFileSystem
{
    public static readonly LockReportingFileSystem Instance = new();

    private readonly IFileSystem _inner = LocalFileSystem.Instance;

    private LockReportingFileSystem()
    {
    }

    public IDisposable LockFile(string path)
    {
        try
        {
            return _inner.LockFile(path);
        }
        catch (LsmException e) when (e is not LsmCorruptionException)
        {
            throw new DatabaseInUseException(Path.GetDirectoryName(path) ?? path, e);
        }
    }

    public IWritableFile CreateFile(string path) => _inner.CreateFile(path);

    public IRandomAccessFile OpenRandomAccess(string path) => _inner.OpenRandomAccess(path);

    public bool FileExists(string path) => _inner.FileExists(path);

    public bool DirectoryExists(string path) => _inner.DirectoryExists(path);

    public void CreateDirectory(string path) => _inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => _inner.ListFiles(directory);

    public void DeleteFile(string path) => _inner.DeleteFile(path);

    public void DeleteDirectory(string path) => _inner.DeleteDirectory(path);

    public void RenameFile(string source, string destination) => _inner.RenameFile(source, destination);

    public void SyncDirectory(string directory) => _inner.SyncDirectory(directory);

    public long GetFileSize(string path) => _inner.GetFileSize(path);
}

/// <summary>The database's LOCK is held by another opener.</summary>
internal sealed class DatabaseInUseException(string databasePath, Exception inner)
    : LsmException($"The database '{databasePath}' is in use by another process (its LOCK file is held); close it and retry.", inner);
