using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>The file-system calls a <see cref="FaultInjectionFileSystem"/> counts and can fail.</summary>
internal enum FaultOp
{
    Create,
    Append,
    Sync,
    Rename,
    Delete,
    SyncDirectory,
}

/// <summary>What an armed fault does when its call comes.</summary>
internal enum FaultMode
{
    /// <summary>The call throws an <see cref="IOException"/> and changes nothing.</summary>
    IOError,

    /// <summary>Like a full disk: an append writes the first half of its bytes, then the call throws (ENOSPC).</summary>
    DiskFull,

    /// <summary>
    /// The process "dies" here: the call and every later mutating call throw <see cref="SimulatedCrashException"/>, so
    /// nothing more becomes durable; the test then calls <see cref="MemoryFileSystem.SimulateCrash"/> on the inner file system.
    /// </summary>
    Crash,
}

/// <summary>Thrown by a <see cref="FaultInjectionFileSystem"/> at and after a simulated crash point.</summary>
internal sealed class SimulatedCrashException(string message) : IOException(message);

/// <summary>
/// A <see cref="MemoryFileSystem"/> wrapper that counts every mutating call by kind of call and kind of file and can
/// fail the Nth one of a given kind (in the spirit of LevelDB's fault_injection_test and Pebble's errorfs): with an I/O
/// error, a "disk full" short write, or a crash point after which nothing more reaches the disk. Reads always pass.
/// </summary>
internal sealed class FaultInjectionFileSystem(MemoryFileSystem inner) : IFileSystem
{
    /// <summary>ENOSPC as .NET reports it on Linux.</summary>
    public const int DiskFullHResult = 28;

    private readonly object _gate = new();
    private readonly Dictionary<(FaultOp, DbFileKind?), int> _counts = [];
    private readonly List<string> _trace = [];
    private readonly List<string> _violations = [];
    private (FaultOp Op, DbFileKind? Kind, int Remaining, FaultMode Mode)? _armed;
    private bool _crashed;

    public MemoryFileSystem Inner => inner;

    /// <summary>Whether a crash point was reached (every mutating call fails until <see cref="Heal"/>).</summary>
    public bool Crashed
    {
        get
        {
            lock (_gate)
            {
                return _crashed;
            }
        }
    }

    /// <summary>Faults injected so far.</summary>
    public int FaultsInjected { get; private set; }

    /// <summary>A description of the last fault injected, for failure messages.</summary>
    public string? LastFault { get; private set; }

    /// <summary>Every mutating call so far, in order ("Append MANIFEST-000005"): two runs of one seed must give the same.</summary>
    public IReadOnlyList<string> Trace
    {
        get
        {
            lock (_gate)
            {
                return [.. _trace];
            }
        }
    }

    /// <summary>
    /// Writes to a file after a write or fsync of that same file failed: each is a bug (the file's tail is unknown, and
    /// an append after a half-written record puts damage in the middle of a log, where recovery must refuse it).
    /// </summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>
    /// Fails the <paramref name="n"/>th (1-based, counted from now) call of kind <paramref name="op"/> on a file of kind
    /// <paramref name="kind"/> (null: any file) as <paramref name="mode"/> says. One fault is armed at a time.
    /// </summary>
    public void FailAt(FaultOp op, DbFileKind? kind, int n, FaultMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        lock (_gate)
        {
            _armed = (op, kind, n, mode);
        }
    }

    /// <summary>Disarms any fault and ends a crash: later calls pass through again.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _armed = null;
            _crashed = false;
        }
    }

    /// <summary>Calls of kind <paramref name="op"/> on files of kind <paramref name="kind"/> seen so far (null: all files).</summary>
    public int Count(FaultOp op, DbFileKind? kind)
    {
        lock (_gate)
        {
            return kind is null
                ? _counts.Where(c => c.Key.Item1 == op).Sum(c => c.Value)
                : _counts.GetValueOrDefault((op, kind));
        }
    }

    public IWritableFile CreateFile(string path)
    {
        ThrowIfInjected(FaultOp.Create, path);
        return new Writer(this, path, inner.CreateFile(path));
    }

    public IRandomAccessFile OpenRandomAccess(string path) => inner.OpenRandomAccess(path);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public void DeleteFile(string path)
    {
        ThrowIfInjected(FaultOp.Delete, path);
        inner.DeleteFile(path);
    }

    public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

    public void RenameFile(string source, string destination)
    {
        ThrowIfInjected(FaultOp.Rename, destination);
        inner.RenameFile(source, destination);
    }

    public void SyncDirectory(string directory)
    {
        ThrowIfInjected(FaultOp.SyncDirectory, null);
        inner.SyncDirectory(directory);
    }

    public void SyncFile(string path)
    {
        ThrowIfInjected(FaultOp.Sync, path);
        inner.SyncFile(path);
    }

    public long GetFileSize(string path) => inner.GetFileSize(path);

    public IDisposable LockFile(string path) => inner.LockFile(path);

    /// <summary>Counts the call; throws at a crash point, and returns the mode of an I/O fault the caller must raise.</summary>
    private FaultMode? Check(FaultOp op, string? path)
    {
        DbFileKind? kind = path is not null && FileNames.TryParse(Path.GetFileName(path), out var k, out _) ? k : null;
        lock (_gate)
        {
            if (_crashed)
            {
                throw new SimulatedCrashException($"The process has crashed; {op} of '{path}' never happens.");
            }

            _counts[(op, kind)] = _counts.GetValueOrDefault((op, kind)) + 1;
            _trace.Add(path is null ? op.ToString() : $"{op} {Path.GetFileName(path)}");
            if (_armed is not { } armed || armed.Op != op || (armed.Kind is { } want && want != kind))
            {
                return null;
            }

            if (armed.Remaining > 1)
            {
                _armed = armed with { Remaining = armed.Remaining - 1 };
                return null;
            }

            _armed = null;
            FaultsInjected++;
            LastFault = $"{armed.Mode} at {op} of {kind?.ToString() ?? "directory"} '{path}'";
            if (armed.Mode == FaultMode.Crash)
            {
                _crashed = true;
                throw new SimulatedCrashException($"Simulated crash at {op} of '{path}'.");
            }

            return armed.Mode;
        }
    }

    private static IOException Injected(FaultMode mode, FaultOp op, string? path) => mode == FaultMode.DiskFull
        ? new IOException($"No space left on device (injected at {op} of '{path}').", DiskFullHResult)
        : new IOException($"Injected I/O error at {op} of '{path}'.");

    private void ThrowIfInjected(FaultOp op, string? path)
    {
        if (Check(op, path) is { } mode)
        {
            throw Injected(mode, op, path);
        }
    }

    private void Violation(string path, FaultOp op, string failure)
    {
        lock (_gate)
        {
            _violations.Add($"{op} of '{path}' after {failure}");
        }
    }

    private sealed class Writer(FaultInjectionFileSystem fs, string path, IWritableFile file) : IWritableFile
    {
        // The injected fault this file already had, if any: nothing may be written to it afterwards.
        private string? _failed;

        public long Length => file.Length;

        public void Append(ReadOnlySpan<byte> data)
        {
            CheckNotFailed(FaultOp.Append);
            if (fs.Check(FaultOp.Append, path) is { } mode)
            {
                _failed = $"{mode} at its Append";
                if (mode == FaultMode.DiskFull)
                {
                    file.Append(data[..(data.Length / 2)]);
                }

                throw Injected(mode, FaultOp.Append, path);
            }

            file.Append(data);
        }

        public void Flush() => file.Flush();

        public void Sync()
        {
            CheckNotFailed(FaultOp.Sync);
            if (fs.Check(FaultOp.Sync, path) is { } mode)
            {
                _failed = $"{mode} at its Sync";
                throw Injected(mode, FaultOp.Sync, path);
            }

            file.Sync();
        }

        public void Dispose() => file.Dispose();

        private void CheckNotFailed(FaultOp op)
        {
            if (_failed is not null && !fs.Crashed)
            {
                fs.Violation(path, op, _failed);
            }
        }
    }
}
