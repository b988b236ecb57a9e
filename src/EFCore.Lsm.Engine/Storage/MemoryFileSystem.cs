namespace EFCore.Lsm.Engine.Storage;

/// <summary>
/// An in-memory file system for tests. It remembers what a real disk would keep after a power loss: the bytes of each
/// file up to its last <see cref="IWritableFile.Sync"/>, and the directory entries as of the last
/// <see cref="IFileSystem.SyncDirectory"/>. <see cref="SimulateCrash"/> throws everything else away, the way LevelDB's
/// fault-injection Env and Pebble's strict MemFS do.
/// </summary>
public sealed class MemoryFileSystem : IFileSystem
{
    private readonly object _gate = new();
    private readonly Dictionary<string, MemoryFile> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly HashSet<string> _locks = new(StringComparer.Ordinal);

    // Per directory: the entries that survive a crash (name -> file object as of the last directory sync).
    private readonly Dictionary<string, Dictionary<string, MemoryFile>> _durableEntries = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IWritableFile CreateFile(string path)
    {
        lock (_gate)
        {
            EnsureParent(path);
            var file = new MemoryFile();
            _files[path] = file;
            return new Writer(file);
        }
    }

    /// <inheritdoc />
    public IRandomAccessFile OpenRandomAccess(string path)
    {
        lock (_gate)
        {
            if (!_files.TryGetValue(path, out var file))
            {
                throw new LsmException($"File '{path}' does not exist.", new FileNotFoundException(path));
            }

            return new Reader(file);
        }
    }

    /// <inheritdoc />
    public bool FileExists(string path)
    {
        lock (_gate)
        {
            return _files.ContainsKey(path);
        }
    }

    /// <inheritdoc />
    public bool DirectoryExists(string path)
    {
        lock (_gate)
        {
            return _directories.Contains(Normalize(path));
        }
    }

    /// <inheritdoc />
    public void CreateDirectory(string path)
    {
        lock (_gate)
        {
            // Directories themselves are treated as durable once created: the engine always creates its folder before use.
            var dir = Normalize(path);
            while (!string.IsNullOrEmpty(dir) && _directories.Add(dir))
            {
                _durableEntries.TryAdd(dir, new Dictionary<string, MemoryFile>(StringComparer.Ordinal));
                dir = Path.GetDirectoryName(dir) ?? string.Empty;
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListFiles(string directory)
    {
        lock (_gate)
        {
            var dir = Normalize(directory);
            if (!_directories.Contains(dir))
            {
                throw new DirectoryNotFoundException(directory);
            }

            return _files.Keys.Where(p => Normalize(Path.GetDirectoryName(p) ?? string.Empty) == dir)
                .Select(p => Path.GetFileName(p)).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        }
    }

    /// <inheritdoc />
    public void DeleteFile(string path)
    {
        lock (_gate)
        {
            if (!_files.Remove(path))
            {
                throw new FileNotFoundException(path);
            }
        }
    }

    /// <inheritdoc />
    public void DeleteDirectory(string path)
    {
        lock (_gate)
        {
            var dir = Normalize(path);
            foreach (var file in _files.Keys.Where(p => p.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList())
            {
                _files.Remove(file);
            }

            foreach (var d in _directories.Where(d => d == dir || d.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList())
            {
                _directories.Remove(d);
                _durableEntries.Remove(d);
            }
        }
    }

    /// <inheritdoc />
    public void RenameFile(string source, string destination)
    {
        lock (_gate)
        {
            if (!_files.Remove(source, out var file))
            {
                throw new FileNotFoundException(source);
            }

            EnsureParent(destination);
            _files[destination] = file;
        }
    }

    /// <inheritdoc />
    public void SyncDirectory(string directory)
    {
        lock (_gate)
        {
            var dir = Normalize(directory);
            if (!_directories.Contains(dir))
            {
                throw new DirectoryNotFoundException(directory);
            }

            var durable = _durableEntries[dir];
            durable.Clear();
            foreach (var (path, file) in _files)
            {
                if (Normalize(Path.GetDirectoryName(path) ?? string.Empty) == dir)
                {
                    durable[Path.GetFileName(path)] = file;
                }
            }
        }
    }

    /// <inheritdoc />
    public void SyncFile(string path)
    {
        lock (_gate)
        {
            (_files.TryGetValue(path, out var file) ? file : throw new FileNotFoundException(path)).Sync();
        }
    }

    /// <inheritdoc />
    public long GetFileSize(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(path, out var file) ? file.Length : throw new FileNotFoundException(path);
        }
    }

    /// <inheritdoc />
    public IDisposable LockFile(string path)
    {
        lock (_gate)
        {
            if (!_locks.Add(path))
            {
                throw LsmException.DatabaseInUse(Path.GetDirectoryName(path) ?? path, "its lock is held by another opener");
            }

            if (!_files.ContainsKey(path))
            {
                EnsureParent(path);
                _files[path] = new MemoryFile();
            }

            return new LockHandle(this, path);
        }
    }

    /// <summary>
    /// Simulates a power loss: every file goes back to its last synced length and every directory to its entries at
    /// its last sync. Locks are released (the process that held them is gone). Open handles must not be used afterwards.
    /// </summary>
    public void SimulateCrash()
    {
        lock (_gate)
        {
            _files.Clear();
            _locks.Clear();
            foreach (var (dir, entries) in _durableEntries)
            {
                foreach (var (name, file) in entries)
                {
                    _files[Path.Combine(dir, name)] = file.DurableCopy();
                }
            }
        }
    }

    /// <summary>Direct access to a file's bytes for corruption tests.</summary>
    public byte[] ReadAllBytes(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(path, out var file) ? file.Snapshot() : throw new FileNotFoundException(path);
        }
    }

    /// <summary>Replaces a file's bytes (synced) for corruption tests.</summary>
    public void WriteAllBytes(string path, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            EnsureParent(path);
            var file = _files.TryGetValue(path, out var existing) ? existing : _files[path] = new MemoryFile();
            file.Replace(data);
        }
    }

    private static string Normalize(string path) => path.TrimEnd(Path.DirectorySeparatorChar);

    private void EnsureParent(string path)
    {
        var dir = Normalize(Path.GetDirectoryName(path) ?? string.Empty);
        if (!_directories.Contains(dir))
        {
            throw new DirectoryNotFoundException($"Directory '{dir}' does not exist.");
        }
    }

    private sealed class LockHandle(MemoryFileSystem fs, string path) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (fs._gate)
                {
                    fs._locks.Remove(path);
                }
            }
        }
    }

    private sealed class MemoryFile
    {
        private byte[] _data = [];
        private long _length;
        private long _syncedLength;

        public long Length
        {
            get
            {
                lock (this)
                {
                    return _length;
                }
            }
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (this)
            {
                if (_length + data.Length > _data.Length)
                {
                    Array.Resize(ref _data, (int)Math.Max(_length + data.Length, Math.Max(256, _data.Length * 2L)));
                }

                data.CopyTo(_data.AsSpan((int)_length));
                _length += data.Length;
            }
        }

        public void Sync()
        {
            lock (this)
            {
                _syncedLength = _length;
            }
        }

        public int Read(long offset, Span<byte> destination)
        {
            lock (this)
            {
                if (offset >= _length)
                {
                    return 0;
                }

                var n = (int)Math.Min(destination.Length, _length - offset);
                _data.AsSpan((int)offset, n).CopyTo(destination);
                return n;
            }
        }

        public byte[] Snapshot()
        {
            lock (this)
            {
                return _data.AsSpan(0, (int)_length).ToArray();
            }
        }

        public void Replace(ReadOnlySpan<byte> data)
        {
            lock (this)
            {
                _data = data.ToArray();
                _length = _syncedLength = data.Length;
            }
        }

        public MemoryFile DurableCopy()
        {
            lock (this)
            {
                var copy = new MemoryFile();
                copy._data = _data.AsSpan(0, (int)_syncedLength).ToArray();
                copy._length = copy._syncedLength = _syncedLength;
                return copy;
            }
        }
    }

    private sealed class Writer(MemoryFile file) : IWritableFile
    {
        private bool _disposed;

        public long Length => file.Length;

        public void Append(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            file.Append(data);
        }

        public void Flush()
        {
        }

        public void Sync()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            file.Sync();
        }

        public void Dispose() => _disposed = true;
    }

    private sealed class Reader(MemoryFile file) : IRandomAccessFile
    {
        public long Length => file.Length;

        public int Read(long offset, Span<byte> destination) => file.Read(offset, destination);

        public void Dispose()
        {
        }
    }
}
