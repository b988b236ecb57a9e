using System.Collections.Concurrent;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EFCore.Lsm.Engine.Storage;

/// <summary>The real file system. Directory fsync uses the POSIX <c>open</c>/<c>fsync</c> calls, which .NET does not expose.</summary>
public sealed class LocalFileSystem : IFileSystem
{
    /// <summary>The one instance; it holds no state.</summary>
    public static readonly LocalFileSystem Instance = new();

    // Locks held by this process: flock() already excludes other processes and other descriptors, but this lets
    // a second opener in the same process get a precise message without touching the file.
    private static readonly ConcurrentDictionary<string, byte> HeldLocks = new(StringComparer.Ordinal);

    private static readonly TimeSpan ForkedChildLockWindow = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public IWritableFile CreateFile(string path)
        => new LocalWritableFile(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0));

    /// <inheritdoc />
    public IRandomAccessFile OpenRandomAccess(string path)
    {
        try
        {
            return new LocalRandomAccessFile(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (FileNotFoundException e)
        {
            throw new LsmException($"File '{path}' does not exist.", e);
        }
    }

    /// <summary>
    /// Maps the whole file read-only; reads copy from the mapping. Table reads were about a third kernel time (pread,
    /// page-cache lookups, the copy out) on readrandom; from a mapping they are a memcpy, and only a page's first touch
    /// faults. Touched pages of the mapping count in the process's RSS (as file-backed, shared pages), as LevelDB's do.
    /// An empty file (nothing to map) is opened for plain reads.
    /// </summary>
    public IRandomAccessFile OpenMappedRandomAccess(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException e)
        {
            throw new LsmException($"File '{path}' does not exist.", e);
        }

        var length = RandomAccess.GetLength(handle);
        if (length == 0)
        {
            return new LocalRandomAccessFile(handle);
        }

        try
        {
            var map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            return new MappedRandomAccessFile(map, length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public bool DirectoryExists(string path) => Directory.Exists(path);

    /// <inheritdoc />
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory)
        => Directory.GetFiles(directory).Select(p => Path.GetFileName(p)!).ToArray();

    /// <inheritdoc />
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc />
    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <inheritdoc />
    public void RenameFile(string source, string destination) => File.Move(source, destination, overwrite: true);

    /// <inheritdoc />
    public long GetFileSize(string path) => new FileInfo(path).Length;

    /// <inheritdoc />
    public void SyncFile(string path)
    {
        // Any descriptor of the file will do for fsync; Flush(flushToDisk: true) issues it even though nothing was written.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        stream.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return; // Windows makes metadata changes durable with the file; there is no directory handle to flush.
        }

        var fd = Posix.open(directory, Posix.O_RDONLY);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Posix.fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Posix.close(fd);
        }
    }

    /// <summary>
    /// Locks the database whose lock file is <paramref name="path"/>. On Unix the folder itself is locked (flock on a
    /// descriptor of the directory), since a lock on the LOCK file alone is released for every other process the moment
    /// someone deletes the file; LOCK is still created and locked too, for tools that look for it and on Windows, where
    /// an open file cannot be deleted. Errors name their cause: <see cref="LsmException.IsDatabaseInUse"/> only when another
    /// opener really holds the lock; a read-only file system (EROFS) and access denied are reported as what they are.
    /// </summary>
    public IDisposable LockFile(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? full;
        if (!HeldLocks.TryAdd(full, 0))
        {
            throw LsmException.DatabaseInUse(folder, "by another LsmDatabase in this process");
        }

        var folderLock = -1;
        try
        {
            folderLock = LockFolder(folder);

            // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix, which another process cannot get while we live.
            var stream = RetryWhileForkedChildHoldsLock(
                () => new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0),
                e => e is IOException && IsSharingViolation(e));
            return new LockHandle(full, stream, folderLock);
        }
        catch (Exception e)
        {
            if (folderLock >= 0)
            {
                _ = Posix.close(folderLock);
            }

            HeldLocks.TryRemove(full, out _);
            throw e switch
            {
                LsmException => e,
                IOException { HResult: Posix.EROFS } => new LsmException(
                    $"The database '{folder}' is on a read-only file system: it cannot be opened for writing (its lock file "
                    + $"'{full}' cannot be created or written). Open it with LsmOptions.ReadOnly to read it.", e),
                IOException when IsSharingViolation(e) => LsmException.DatabaseInUse(folder, "its lock file is held by another process", e),
                UnauthorizedAccessException => new LsmException(
                    $"The database lock file '{full}' cannot be opened for writing: access denied ({e.Message}). Fix its "
                    + "permissions or attributes, or open the database with LsmOptions.ReadOnly.", e),
                IOException => new LsmException($"The database lock file '{full}' cannot be opened: {e.Message}", e),
                _ => e,
            };
        }
    }

    /// <summary>flock(LOCK_EX | LOCK_NB) on the folder; returns the descriptor (-1 where folders cannot be locked).</summary>
    private static int LockFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return -1;
        }

        var fd = Posix.open(folder, Posix.O_RDONLY | Posix.CloseOnExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == Posix.EACCES
                ? new UnauthorizedAccessException($"Cannot open the database folder '{folder}' to lock it (errno {errno}).")
                : new IOException($"Cannot open the database folder '{folder}' to lock it (errno {errno}).", errno);
        }

        try
        {
            RetryWhileForkedChildHoldsLock(
                () =>
                {
                    if (Posix.flock(fd, Posix.LOCK_EX | Posix.LOCK_NB) == 0)
                    {
                        return true;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    throw errno == Posix.EWOULDBLOCK
                        ? LsmException.DatabaseInUse(folder, "the folder is locked by another process")
                        : new IOException($"Cannot lock the database folder '{folder}' (errno {errno}).", errno);
                },
                e => e is LsmException { IsDatabaseInUse: true });
            return fd;
        }
        catch
        {
            _ = Posix.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="takeLock"/>, retrying for up to a second while it fails because the lock is held. A lock
    /// this process released a moment ago can still be held by a child it is starting (the child has a copy of every
    /// descriptor between fork and exec; close-on-exec drops it at exec), so "held" is only believed once it lasts.
    /// Another process that really holds the database is reported after that second.
    /// </summary>
    private static T RetryWhileForkedChildHoldsLock<T>(Func<T> takeLock, Func<Exception, bool> isHeld)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return takeLock();
            }
            catch (Exception e) when (isHeld(e) && System.Diagnostics.Stopwatch.GetElapsedTime(started) < ForkedChildLockWindow)
            {
                Thread.Sleep(5);
            }
        }
    }

    // .NET reports a lock held elsewhere as EWOULDBLOCK on Unix and ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows.
    private static bool IsSharingViolation(Exception e)
        => e.HResult == Posix.EWOULDBLOCK || e.HResult == unchecked((int)0x80070020) || e.HResult == unchecked((int)0x80070021);

    private sealed class LockHandle(string path, FileStream stream, int folderLock) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                stream.Dispose();
                if (folderLock >= 0)
                {
                    _ = Posix.close(folderLock); // closing the last descriptor releases the flock
                }

                HeldLocks.TryRemove(path, out _);
            }
        }
    }

    /// <summary>
    /// A buffered appender that stops at its first failure: after a write or fsync fails, the bytes at the file's tail are
    /// unknown (a short write, or pages the kernel dropped after a failed fsync), so nothing more is written to it, not
    /// even the buffer on Dispose. Appending after a half-written record would put damage in the middle of a WAL or
    /// manifest, where recovery must refuse it, instead of at the tail, where it is a clean end.
    /// </summary>
    private sealed class LocalWritableFile(FileStream stream) : IWritableFile
    {
        // Appends are small (WAL records, block-sized SST writes); buffering here keeps syscalls per block, not per record.
        private const int BufferSize = 64 * 1024;

        // Every this many bytes handed to the OS, their writeback is started without waiting for it (as RocksDB's
        // bytes_per_sync), so a later fdatasync only waits for the last stretch: the writer syncs a full 16 MiB WAL when
        // it switches memtables, and with writeback started all along that sync took a fraction of the time (see the
        // engine's "WAL switch syncs" statistic).
        private const long WritebackChunk = 1L << 20;

        private readonly byte[] _buffer = new byte[BufferSize];
        private int _buffered;
        private long _length;
        private long _writebackStart;
        private Exception? _failure;

        public long Length => _length;

        public void Append(ReadOnlySpan<byte> data)
        {
            ThrowIfFailed();
            _length += data.Length;
            if (_buffered + data.Length <= BufferSize)
            {
                data.CopyTo(_buffer.AsSpan(_buffered));
                _buffered += data.Length;
                return;
            }

            FlushBuffer();
            if (data.Length >= BufferSize)
            {
                Guard(data, static (s, d) => s.Write(d));
                StartWritebackIfDue();
            }
            else
            {
                data.CopyTo(_buffer);
                _buffered = data.Length;
            }
        }

        public void Flush() => FlushBuffer();

        public void Sync()
        {
            FlushBuffer();
            Guard(default, static (s, _) => s.Flush(flushToDisk: true));
            _writebackStart = _length;
        }

        public void SyncData()
        {
            if (!OperatingSystem.IsLinux())
            {
                Sync();
                return;
            }

            FlushBuffer();
            var handle = stream.SafeFileHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (Posix.fdatasync((int)handle.DangerousGetHandle()) != 0)
                {
                    throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
                }

                _writebackStart = _length;
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        public void Dispose()
        {
            try
            {
                if (_failure is null)
                {
                    FlushBuffer();
                }
            }
            finally
            {
                stream.Dispose();
            }
        }

        private void FlushBuffer()
        {
            ThrowIfFailed();
            if (_buffered > 0)
            {
                Guard(_buffer.AsSpan(0, _buffered), static (s, d) => s.Write(d));
                _buffered = 0;
                StartWritebackIfDue();
            }
        }

        /// <summary>
        /// Starts (never waits for) writeback of the bytes handed to the OS since the last start, once they reach
        /// <see cref="WritebackChunk"/>. Only a hint, so a failure is ignored here: a write error still surfaces at the
        /// next sync, which is what decides durability.
        /// </summary>
        private void StartWritebackIfDue()
        {
            var handed = _length - _buffered;
            if (handed - _writebackStart < WritebackChunk || !OperatingSystem.IsLinux())
            {
                return;
            }

            var handle = stream.SafeFileHandle;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                _ = Posix.sync_file_range((int)handle.DangerousGetHandle(), _writebackStart, handed - _writebackStart,
                    Posix.SYNC_FILE_RANGE_WRITE);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            _writebackStart = handed;
        }

        private void Guard(ReadOnlySpan<byte> data, WriteAction action)
        {
            try
            {
                action(stream, data);
            }
            catch (Exception e)
            {
                _failure = e;
                _buffered = 0;
                throw;
            }
        }

        private void ThrowIfFailed()
        {
            if (_failure is { } failure)
            {
                throw new IOException($"An earlier write to this file failed ({failure.Message}); nothing more is written to it.", failure);
            }
        }

        private delegate void WriteAction(FileStream stream, ReadOnlySpan<byte> data);
    }

    private sealed class LocalRandomAccessFile(SafeFileHandle handle) : IRandomAccessFile
    {
        public long Length { get; } = RandomAccess.GetLength(handle);

        public int Read(long offset, Span<byte> destination)
        {
            var total = 0;
            while (total < destination.Length)
            {
                var n = RandomAccess.Read(handle, destination[total..], offset + total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        public void Dispose() => handle.Dispose();
    }

    /// <summary>
    /// A read-only mapping of a whole file. The file must not shrink while mapped (tables never change once written);
    /// callers make sure no read is in flight when it is disposed, and that no block read in place through
    /// <see cref="IMappedFile.Start"/> is still in use (table readers unmap on the last reference to the mapping).
    /// </summary>
    private sealed unsafe class MappedRandomAccessFile : IRandomAccessFile, IMappedFile
    {
        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _start;
        private int _disposed;

        public MappedRandomAccessFile(MemoryMappedFile map, long length)
        {
            _map = map;
            try
            {
                _view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                _start = pointer + _view.PointerOffset;
            }
            catch
            {
                _view?.Dispose();
                map.Dispose();
                throw;
            }

            Length = length;
        }

        public long Length { get; }

        public byte* Start
        {
            get
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                return _start;
            }
        }

        public int Read(long offset, Span<byte> destination)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (offset < 0 || offset >= Length)
            {
                return 0;
            }

            var count = (int)Math.Min(destination.Length, Length - offset);
            new ReadOnlySpan<byte>(_start + offset, count).CopyTo(destination);
            return count;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _map.Dispose();
            }
        }
    }

    private static class Posix
    {
        public const int O_RDONLY = 0;
        public const int LOCK_EX = 2;
        public const int LOCK_NB = 4;
        public const int EACCES = 13;
        public const int EROFS = 30;

        // Descriptors of locked folders must not leak into child processes: a child would keep the lock alive.
        public static readonly int CloseOnExec = OperatingSystem.IsMacOS() ? 0x1000000 : OperatingSystem.IsFreeBSD() ? 0x100000 : 0x80000;

        public static readonly int EWOULDBLOCK = OperatingSystem.IsLinux() ? 11 : 35;

        [DllImport("libc", SetLastError = true)]
        public static extern int flock(int fd, int operation);

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int fdatasync(int fd);

        /// <summary>sync_file_range(2) flag: start writeback of the range's dirty pages, do not wait for it.</summary>
        public const uint SYNC_FILE_RANGE_WRITE = 2;

        [DllImport("libc", SetLastError = true)]
        public static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);
    }
}
