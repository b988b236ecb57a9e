using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// The database's file-level state: the current <see cref="Version"/>, the file-number counter, the last persisted
/// sequence and the oldest WAL still needed, all recorded in the manifest (docs/manifest_format.md) as a log of
/// <see cref="VersionEdit"/>s. Each open writes a fresh manifest holding one snapshot edit, then switches CURRENT to it,
/// so a torn manifest tail from a crash is never appended to.
/// </summary>
internal sealed class VersionSet : IDisposable
{
    public const string ComparatorName = "lsm.BytewiseComparator";

    // Start a new manifest once the current one grows past this, so recovery never replays a huge edit log.
    private const long MaxManifestSize = 64L << 20;

    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly object _gate = new();
    private readonly object _liveGate = new();
    private readonly HashSet<Version> _liveVersions = [];
    private readonly byte[]?[] _compactPointers = new byte[]?[ManifestConstants.NumLevels];

    private Version _current;
    private long _nextFileNumber = 2;
    private IWritableFile? _manifestFile;
    private LogWriter? _manifestLog;
    private Exception? _failure;

    public VersionSet(IFileSystem fs, string dbPath)
    {
        _fs = fs;
        _dbPath = dbPath;
        _current = new Version(this, EmptyLevels());
        Install(_current);
    }

    public Version Current => Volatile.Read(ref _current);

    /// <summary>WAL files with numbers below this are fully reflected in SSTs and can be deleted.</summary>
    public ulong LogNumber { get; private set; }

    /// <summary>The last sequence number recorded in the manifest (the database tracks newer ones itself).</summary>
    public ulong LastSequence { get; set; }

    public ulong ManifestNumber { get; private set; }

    public ulong NextFileNumber => (ulong)Interlocked.Read(ref _nextFileNumber);

    public ulong NewFileNumber() => (ulong)Interlocked.Increment(ref _nextFileNumber) - 1;

    /// <summary>Ensures the counter is past <paramref name="number"/> (a WAL found on disk during recovery).</summary>
    public void MarkFileNumberUsed(ulong number)
    {
        var target = (long)number + 1;
        long seen;
        while ((seen = Interlocked.Read(ref _nextFileNumber)) < target)
        {
            Interlocked.CompareExchange(ref _nextFileNumber, target, seen);
        }
    }

    public byte[]? CompactPointer(int level) => _compactPointers[level];

    /// <summary>
    /// Writes the manifest and CURRENT of a new, empty database whose first WAL, numbered <paramref name="logNumber"/>,
    /// the caller has already created (so the log number a manifest names always exists). Numbers: MANIFEST-000001,
    /// 000002.dbtmp for CURRENT's switch, the WAL, then the counter goes on after it.
    /// </summary>
    public void CreateNew(ulong logNumber)
    {
        var edit = new VersionEdit
        {
            ComparatorName = ComparatorName,
            LogNumber = logNumber,
            NextFileNumber = logNumber + 1,
            LastSequence = 0,
        };
        var manifestPath = FileNames.ManifestFile(_dbPath, 1);
        using (var file = _fs.CreateFile(manifestPath))
        {
            using var log = new LogWriter(file);
            log.AddRecord(edit.Encode());
            log.Sync();
        }

        CurrentFile.Write(_fs, _dbPath, manifestNumber: 1, tempNumber: 2);
    }

    /// <summary>
    /// Rebuilds the state from CURRENT and the manifest it names. Corruption raises <see cref="LsmCorruptionException"/>;
    /// a manifest of another engine (LevelDB's, RocksDB's) raises <see cref="LsmNotADatabaseException"/>. The manifest is
    /// never appended to afterwards: the first edit of this run starts a new one (it may end in a torn tail, and a
    /// previous run may have failed writing it).
    /// </summary>
    public void Recover()
    {
        var manifestName = CurrentFile.Read(_fs, _dbPath, out var manifestNumber);
        var manifestPath = Path.Combine(_dbPath, manifestName);
        if (!_fs.FileExists(manifestPath))
        {
            throw new LsmMissingFileException(manifestName, "CURRENT names it as the live manifest");
        }

        var state = ReadManifest(_fs, _dbPath, manifestName);
        if (state.LogNumber is null || state.NextFileNumber is null || state.LastSequence is null)
        {
            throw new LsmCorruptionException(
                manifestName, 0, "The manifest lacks a log number, next file number or last sequence.");
        }

        for (var level = 0; level < _compactPointers.Length; level++)
        {
            _compactPointers[level] = state.CompactPointers[level];
        }

        LogNumber = state.LogNumber.Value;
        LastSequence = state.LastSequence.Value;
        ManifestNumber = manifestNumber;
        ManifestName = manifestName;
        Interlocked.Exchange(ref _nextFileNumber, (long)state.NextFileNumber.Value);
        MarkFileNumberUsed(manifestNumber);
        AppendVersion(new Version(this, state.Files.Build()));
    }

    /// <summary>The manifest CURRENT named when the set was recovered, or the one it switched to since.</summary>
    public string? ManifestName { get; private set; }

    /// <summary>
    /// Whether the manifest <paramref name="manifestName"/> proves that no data was ever recorded: it holds no complete
    /// edit (a creation torn by a crash), or its edits name no table and last sequence 0. False when it cannot be read
    /// to its end. Another engine's manifest raises <see cref="LsmNotADatabaseException"/>.
    /// </summary>
    public static bool RecordsNoData(IFileSystem fs, string dbPath, string manifestName)
    {
        ManifestState state;
        try
        {
            state = ReadManifest(fs, dbPath, manifestName);
        }
        catch (LsmCorruptionException)
        {
            return false;
        }

        return state.Records == 0 || (state.Files.IsEmpty && (state.LastSequence ?? 0) == 0);
    }

    /// <summary>
    /// Whether the manifest <paramref name="manifestName"/> begins with an edit that names our comparator: a database of
    /// ours from before the IDENTITY marker, even when the rest of it is damaged.
    /// </summary>
    public static bool IsOurs(IFileSystem fs, string dbPath, string manifestName)
    {
        try
        {
            using var file = fs.OpenRandomAccess(Path.Combine(dbPath, manifestName));
            var reader = new LogReader(file, manifestName, tolerateCorruption: false);
            return reader.TryReadRecord(out var record, out _)
                && VersionEdit.TryPeekComparatorName(record, out var name) && name == ComparatorName;
        }
        catch (LsmCorruptionException)
        {
            return false;
        }
    }

    private static ManifestState ReadManifest(IFileSystem fs, string dbPath, string manifestName)
    {
        var state = new ManifestState();
        using var file = fs.OpenRandomAccess(Path.Combine(dbPath, manifestName));

        // A torn tail is a clean end here too: the edit that was being appended never took effect.
        var reader = new LogReader(file, manifestName, tolerateCorruption: false);
        while (reader.TryReadRecord(out var record, out var offset))
        {
            if (state.Records == 0 && VersionEdit.TryPeekComparatorName(record, out var first) && first != ComparatorName)
            {
                throw new LsmNotADatabaseException(dbPath, $"its manifest {manifestName} was written with comparator '{first}'");
            }

            var edit = VersionEdit.Decode(record, manifestName, offset);
            if (edit.ComparatorName is { } name && name != ComparatorName)
            {
                throw new LsmException(
                    $"The database at '{dbPath}' was created with comparator '{name}', but this engine uses '{ComparatorName}'.");
            }

            state.Files.Apply(edit, manifestName, offset);
            foreach (var (level, key) in edit.CompactPointers)
            {
                state.CompactPointers[level] = key;
            }

            state.LogNumber = edit.LogNumber ?? state.LogNumber;
            state.NextFileNumber = edit.NextFileNumber ?? state.NextFileNumber;
            state.LastSequence = edit.LastSequence ?? state.LastSequence;
            state.Records++;
        }

        return state;
    }

    /// <summary>
    /// Records <paramref name="edit"/> durably (manifest append + fsync, starting a new manifest and switching CURRENT
    /// when needed) and installs the resulting version. Missing log number / last sequence are filled in from the set.
    /// After a failure that leaves the live manifest's tail (or which manifest CURRENT names) unknown, every later call
    /// throws: an edit appended after a half-written one would put a checksum failure in the middle of the manifest,
    /// and the database would never reopen. The database is read-only from then on; reopening recovers.
    /// </summary>
    public void LogAndApply(VersionEdit edit)
    {
        lock (_gate)
        {
            if (_failure is { } failure)
            {
                throw new LsmException(
                    $"The manifest of '{_dbPath}' could not be written earlier ({failure.Message}); nothing more is appended "
                    + "to it. Reopen the database to recover.", failure);
            }

            edit.LogNumber ??= LogNumber;
            if (edit.LogNumber < LogNumber)
            {
                throw new InvalidOperationException("A version edit must not move the log number backwards.");
            }

            edit.LastSequence ??= LastSequence;

            var builder = new Builder(Current.Files);
            builder.Apply(edit, "version edit", 0);
            var version = new Version(this, builder.Build());

            var newManifest = _manifestLog is null || _manifestFile!.Length >= MaxManifestSize;
            ulong newManifestNumber = 0, tempNumber = 0;
            IWritableFile? newFile = null;
            LogWriter? newLog = null;
            var deleteNewManifest = newManifest;
            try
            {
                if (newManifest)
                {
                    newManifestNumber = NewFileNumber();
                    tempNumber = NewFileNumber();
                    newFile = _fs.CreateFile(FileNames.ManifestFile(_dbPath, newManifestNumber));
                    newLog = new LogWriter(newFile);
                    newLog.AddRecord(SnapshotEdit().Encode());
                }

                edit.NextFileNumber = NextFileNumber;
                var log = newLog ?? _manifestLog!;
                log.AddRecord(edit.Encode());
                log.Sync();
                if (newManifest)
                {
                    // Once the rename may have happened CURRENT may name the new manifest (a failed folder sync after
                    // it leaves that unknown): it must stay. Unreferenced, it is swept after the next open.
                    deleteNewManifest = false;
                    CurrentFile.Write(_fs, _dbPath, newManifestNumber, tempNumber);
                }
            }
            catch (Exception e)
            {
                if (newManifest)
                {
                    newLog?.Dispose();
                    newFile?.Dispose();
                    if (deleteNewManifest)
                    {
                        _fs.TryDeleteFile(FileNames.ManifestFile(_dbPath, newManifestNumber));
                    }
                }

                // A failed rotation that never reached CURRENT left the live manifest untouched; anything else did not.
                if (!deleteNewManifest)
                {
                    _failure = e;
                    _manifestLog?.Dispose();
                    _manifestFile?.Dispose();
                    _manifestLog = null;
                    _manifestFile = null;
                }

                throw;
            }

            if (newManifest)
            {
                _manifestLog?.Dispose();
                _manifestFile?.Dispose();
                _manifestLog = newLog;
                _manifestFile = newFile;
                ManifestNumber = newManifestNumber;
                ManifestName = FileNames.ManifestName(newManifestNumber);
            }

            foreach (var (level, key) in edit.CompactPointers)
            {
                _compactPointers[level] = key;
            }

            LogNumber = edit.LogNumber.Value;
            LastSequence = edit.LastSequence.Value;
            AppendVersion(version);
        }
    }

    /// <summary>Numbers of every SST referenced by a version that is current or still pinned by a reader.</summary>
    public HashSet<ulong> LiveFileNumbers()
    {
        var live = new HashSet<ulong>();
        lock (_liveGate)
        {
            foreach (var version in _liveVersions)
            {
                foreach (var level in version.Files)
                {
                    foreach (var file in level)
                    {
                        live.Add(file.Number);
                    }
                }
            }
        }

        return live;
    }

    /// <summary>Called by <see cref="Version.Unref"/> when the last reference goes.</summary>
    internal void OnVersionReleased(Version version)
    {
        lock (_liveGate)
        {
            _liveVersions.Remove(version);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _manifestLog?.Dispose();
            _manifestFile?.Dispose();
            _manifestLog = null;
            _manifestFile = null;
        }
    }

    private static FileMetadata[][] EmptyLevels()
        => Enumerable.Range(0, ManifestConstants.NumLevels).Select(_ => Array.Empty<FileMetadata>()).ToArray();

    private void Install(Version version)
    {
        version.RefInitial();
        lock (_liveGate)
        {
            _liveVersions.Add(version);
        }
    }

    private void AppendVersion(Version version)
    {
        Install(version);
        var previous = Interlocked.Exchange(ref _current, version);
        previous.Unref();
    }

    /// <summary>An edit that recreates the whole current state: the first record of every new manifest.</summary>
    private VersionEdit SnapshotEdit()
    {
        var edit = new VersionEdit
        {
            ComparatorName = ComparatorName,
            LogNumber = LogNumber,
            NextFileNumber = NextFileNumber,
            LastSequence = LastSequence,
        };
        for (var level = 0; level < _compactPointers.Length; level++)
        {
            if (_compactPointers[level] is { } key)
            {
                edit.CompactPointers.Add((level, key));
            }
        }

        var files = Current.Files;
        for (var level = 0; level < files.Length; level++)
        {
            foreach (var file in files[level])
            {
                edit.NewFiles.Add((level, file));
            }
        }

        return edit;
    }

    /// <summary>Applies edits to a set of per-level files and produces the sorted level arrays of a version.</summary>
    private sealed class Builder
    {
        private readonly Dictionary<ulong, FileMetadata>[] _levels;

        public Builder(FileMetadata[][] baseFiles)
        {
            _levels = new Dictionary<ulong, FileMetadata>[ManifestConstants.NumLevels];
            for (var level = 0; level < _levels.Length; level++)
            {
                _levels[level] = baseFiles[level].ToDictionary(f => f.Number);
            }
        }

        public void Apply(VersionEdit edit, string source, long offset)
        {
            foreach (var (level, number) in edit.DeletedFiles)
            {
                _levels[level].Remove(number);
            }

            foreach (var (level, file) in edit.NewFiles)
            {
                if (!_levels[level].TryAdd(file.Number, file))
                {
                    throw new LsmCorruptionException(source, offset, $"File {file.Number} is added to level {level} twice.");
                }
            }
        }

        public bool IsEmpty => _levels.All(level => level.Count == 0);

        public FileMetadata[][] Build()
        {
            var result = new FileMetadata[_levels.Length][];

            // L0 files overlap; a lookup must visit the newest first, and "newest" is the file holding the newest entries.
            result[0] = _levels[0].Values
                .OrderByDescending(f => f.LargestSequence).ThenByDescending(f => f.Number).ToArray();
            for (var level = 1; level < _levels.Length; level++)
            {
                var files = _levels[level].Values.ToArray();
                Array.Sort(files, (a, b) => Format.InternalKey.Compare(a.Smallest, b.Smallest));
                for (var i = 1; i < files.Length; i++)
                {
                    if (Format.InternalKey.Compare(files[i - 1].Largest, files[i].Smallest) >= 0)
                    {
                        throw new LsmCorruptionException(
                            "manifest", 0, $"Files {files[i - 1].Number} and {files[i].Number} overlap in level {level}.");
                    }
                }

                result[level] = files;
            }

            return result;
        }
    }

    /// <summary>What replaying one manifest yields.</summary>
    private sealed class ManifestState
    {
        public Builder Files { get; } = new(EmptyLevels());

        public byte[]?[] CompactPointers { get; } = new byte[]?[ManifestConstants.NumLevels];

        public ulong? LogNumber { get; set; }

        public ulong? NextFileNumber { get; set; }

        public ulong? LastSequence { get; set; }

        public int Records { get; set; }
    }
}
