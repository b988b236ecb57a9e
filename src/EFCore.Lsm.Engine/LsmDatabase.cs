using EFCore.Lsm.Engine.Diagnostics;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Wal;
using EFCore.Lsm.Engine.Commit;

namespace EFCore.Lsm.Engine;

/// <summary>
/// An embedded, ordered key-value database over a log-structured merge tree. Writes go to a write-ahead log and a
/// memtable; full memtables are flushed to sorted tables (SSTs) in the background; reads merge the memtables and the
/// tables at a sequence number. Thread-safe: any number of concurrent readers and writers.
/// </summary>
/// <remarks>
/// The implementation is split by concern: <c>LsmDatabase.Open.cs</c> (recovery), <c>LsmDatabase.Write.cs</c>
/// (commit queue, WAL, memtable switch), <c>LsmDatabase.Read.cs</c> (gets, iterators, snapshots),
/// <c>LsmDatabase.Flush.cs</c> (background flush, obsolete files) and <c>LsmDatabase.Properties.cs</c>.
/// </remarks>
public sealed partial class LsmDatabase : IDisposable
{
    private readonly string _path;
    private readonly LsmOptions _options;
    private readonly IFileSystem _fs;
    private readonly VersionSet _versions;
    private readonly BlockCache? _blockCache;
    private readonly TableReadStatistics _tableStatistics = new();
    private readonly TableCache _tableCache;
    private readonly TableOptions _tableOptions;
    private readonly SnapshotList _snapshots = new();
    private readonly EngineStatistics _statistics = new();

    // Guards the memtable list, the active WAL, the published read state, pending outputs and the background error.
    // Readers never take it: they load the published ReadState.
    private readonly object _stateLock = new();

    // Immutable memtables waiting for flush, oldest first.
    private readonly List<ImmutableMemTable> _immutables = [];

    // SST numbers being written by flush; the obsolete-file sweep must not delete them.
    private readonly HashSet<ulong> _pendingOutputs = [];

    // Tables no manifest edit names that recovery could not prove redundant (LsmDatabase.Open.cs): never deleted.
    private readonly HashSet<ulong> _keptTables = [];

    private IDisposable? _fileLock;

    private readonly SlabPool _slabPool;
    private MemTable _mem;
    private ulong _logNumber;

    // The oldest WAL holding entries of the active memtable: _logNumber, except after a recovery that kept the replayed
    // WALs (their entries are in the active memtable, so they are needed until it is flushed).
    private ulong _memLogNumber;
    private IWritableFile? _logFile;
    private LogWriter? _log;
    private ReadState _readState = null!;
    private long _lastSequence;
    private Exception? _backgroundError;
    private bool _closing;
    private int _disposed;
    private Thread? _flushThread;

    private LsmDatabase(string path, LsmOptions options)
    {
        _path = path;
        _options = options;
        _fs = options.FileSystem;
        _tableOptions = TableOptions.From(options);
        _blockCache = options.BlockCacheSize > 0 ? new BlockCache(options.BlockCacheSize) : null;
        // A read-only database keeps every table it opened open: a writer in another process may delete the file later.
        _tableCache = new TableCache(_fs, path, options.ReadOnly ? int.MaxValue : options.MaxOpenFiles, _blockCache, _tableStatistics);
        _versions = new VersionSet(_fs, path);

        // Slabs small enough that a memtable spans a few of them; the pool holds one memtable's worth, which is what a
        // flush frees and the next memtable needs (memory stays at the configured memtables, not at the write rate).
        var slabSize = (int)Math.Min(Arena.DefaultSlabSize, options.WriteBufferSize / 4) & ~(Arena.Alignment - 1);
        _slabPool = new SlabPool(slabSize, (int)(options.WriteBufferSize / slabSize) + 2);
        _mem = new MemTable(_slabPool);
    }

    internal EngineStatistics Statistics => _statistics;

    internal TableReadStatistics TableStatistics => _tableStatistics;

    internal Manifest.Version CurrentVersion => _versions.Current;

    /// <summary>The folder holding the database's files.</summary>
    public string Path => _path;

    /// <summary>The sequence number of the last committed write.</summary>
    public ulong LastSequence => (ulong)Volatile.Read(ref _lastSequence);

    /// <summary>
    /// Opens (and by default creates) the database in <paramref name="path"/>, replaying any write-ahead logs left by
    /// a previous run. Open refuses what it cannot prove is a whole database of ours and then changes nothing:
    /// <see cref="LsmNotADatabaseException"/> for a folder of someone else's files, <see cref="LsmMissingFileException"/>
    /// when a file the database's records require is gone (CURRENT, a table, a WAL), <see cref="LsmCorruptionException"/>
    /// when its files are damaged, an <see cref="LsmException"/> with <see cref="LsmException.IsDatabaseInUse"/> when
    /// another opener holds the database, and an <see cref="LsmException"/> naming the cause for every other failure
    /// (including I/O errors, a read-only file system).
    /// </summary>
    public static LsmDatabase Open(string path, LsmOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options = (options ?? new LsmOptions()).Validate();
        var fullPath = options.FileSystem is LocalFileSystem ? System.IO.Path.GetFullPath(path) : path;
        PrepareDirectory(options, fullPath);

        var db = new LsmDatabase(fullPath, options);
        try
        {
            if (options.ReadOnly)
            {
                db.RecoverReadOnly();
            }
            else
            {
                db.Recover();
                db.StartBackgroundWork();
            }

            LsmMetrics.Register(db);
            return db;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Recovery writes (a new WAL, tables, a new manifest, CURRENT): their failures are the engine's typed error too.
            db.ReleaseResources();
            throw new LsmException($"Opening the database '{fullPath}' failed: {e.Message}", e);
        }
        catch
        {
            db.ReleaseResources();
            throw;
        }
    }

    /// <summary>
    /// Deletes the database in <paramref name="path"/> (it must not be open): its files, then the folder if nothing else
    /// is left in it. A folder that is not an EFCore.Lsm database raises <see cref="LsmNotADatabaseException"/> and keeps
    /// every file; files of other names in a database folder are kept.
    /// </summary>
    public static void Destroy(string path, LsmOptions? options = null)
    {
        options ??= new LsmOptions();
        var fs = options.FileSystem;
        var fullPath = fs is LocalFileSystem ? System.IO.Path.GetFullPath(path) : path;
        if (!fs.DirectoryExists(fullPath))
        {
            return;
        }

        try
        {
            FolderContents.Read(fs, fullPath).Classify(fs);
        }
        catch (LsmMissingFileException)
        {
            // A database of ours whose CURRENT is gone is still ours to delete; someone else's files (the classification's
            // other refusal) never are.
        }

        using (fs.LockFile(FileNames.LockFile(fullPath)))
        {
            foreach (var name in fs.ListFiles(fullPath))
            {
                if (FileNames.TryParse(name, out var kind, out _) && kind != DbFileKind.Lock)
                {
                    fs.DeleteFile(System.IO.Path.Combine(fullPath, name));
                }
            }
        }

        if (fs.ListFiles(fullPath).All(n => n == FileNames.Lock))
        {
            fs.DeleteDirectory(fullPath);
        }
    }

    /// <summary>
    /// Closes the database: waits for in-flight writes, stops background work (a flush in progress completes; data
    /// still in memtables is in the WAL and is replayed on the next open), closes files and releases the lock.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Submit(new PendingWrite(null, sync: false, PendingWriteKind.Close));
        }
        catch (LsmException)
        {
            // A database in the error state still closes; the error was reported to the writes that hit it.
        }

        lock (_stateLock)
        {
            _closing = true;
            Monitor.PulseAll(_stateLock);
        }

        LsmMetrics.Unregister(this);
        _flushThread?.Join();
        _compactionThread?.Join();
        ReleaseResources();
    }

    private static void PrepareDirectory(LsmOptions options, string path)
    {
        var fs = options.FileSystem;
        if (fs.DirectoryExists(path))
        {
            return;
        }

        if (options.ReadOnly)
        {
            throw new LsmException($"The database '{path}' does not exist (a read-only open never creates one).");
        }

        if (!options.CreateIfMissing)
        {
            throw new LsmException($"The database '{path}' does not exist and CreateIfMissing is off.");
        }

        try
        {
            fs.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LsmException($"Cannot create the database folder '{path}': {e.Message}", e);
        }
    }

    private void ReleaseResources()
    {
        try
        {
            _log?.Dispose();
            _logFile?.Dispose();
        }
        catch (IOException)
        {
            // Closing a WAL after an I/O failure can fail again; what was acknowledged was already synced or flushed.
        }

        _log = null;
        _logFile = null;
        _versions.Dispose();
        _tableCache.Dispose();
        _fileLock?.Dispose();
        _fileLock = null;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void ThrowIfReadOnly(string operation)
    {
        if (_options.ReadOnly)
        {
            throw new LsmException($"The database '{_path}' was opened read-only (LsmOptions.ReadOnly): {operation} is not allowed.");
        }
    }

    /// <summary>A frozen memtable and the WAL that holds the same entries (deletable once the memtable is flushed).</summary>
    private sealed record ImmutableMemTable(MemTable Table, ulong LogNumber);
}
