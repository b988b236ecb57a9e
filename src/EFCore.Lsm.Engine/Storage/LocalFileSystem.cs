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

    /// <inheritdoc />
    public IDisposable LockFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (!HeldLocks.TryAdd(full, 0))
        {
            throw new LsmException($"The database lock '{full}' is already held by this process: the database is open elsewhere.");
        }

        try
        {
            // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix, which another process cannot get while we live.
            var stream = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            return new LockHandle(full, stream);
        }
        catch (IOException e)
        {
            HeldLocks.TryRemove(full, out _);
            throw new LsmException($"The database lock '{full}' is held by another process: the database is open elsewhere.", e);
        }
        catch
        {
            HeldLocks.TryRemove(full, out _);
            throw;
        }
    }

    private sealed class LockHandle(string path, FileStream stream) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                stream.Dispose();
                HeldLocks.TryRemove(path, out _);
            }
        }
    }

    private sealed class LocalWritableFile(FileStream stream) : IWritableFile
    {
        // Appends are small (WAL records, block-sized SST writes); buffering here keeps syscalls per block, not per record.
        private const int BufferSize = 64 * 1024;
        private readonly byte[] _buffer = new byte[BufferSize];
        private int _buffered;
        private long _length;

        public long Length => _length;

        public void Append(ReadOnlySpan<byte> data)
        {
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
                stream.Write(data);
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
            stream.Flush(flushToDisk: true);
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
                FlushBuffer();
            }
            finally
            {
                stream.Dispose();
            }
        }

        private void FlushBuffer()
        {
            if (_buffered > 0)
            {
                stream.Write(_buffer, 0, _buffered);
                _buffered = 0;
            }
        }
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
    /// callers make sure no read is in flight when it is disposed (table readers close on their last lease).
    /// </summary>
    private sealed unsafe class MappedRandomAccessFile : IRandomAccessFile
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

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int fdatasync(int fd);
    }
}
