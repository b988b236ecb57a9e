using System.Buffers.Binary;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    // WAL files an open may keep instead of flushing them (each open that finds its newest WAL non-empty adds one): past
    // this, recovery flushes them, so they never pile up and replay stays short.
    private const int MaxLogsKeptAtOpen = 8;

    /// <summary>
    /// Opens the folder as RocksDB's paranoid checks do: refuse anything that is not provably a whole database of ours
    /// before writing a byte, then recover. In order: the folder is classified (another engine's files, or ours without
    /// CURRENT, are refused untouched) before the lock file is created and again under the lock; a new database is
    /// created only in a folder that provably holds no data; the manifest is read; every table it names must exist with
    /// its recorded size and key range, and the WAL its log number names must exist; the WALs are replayed into memory,
    /// and their sequence numbers must continue the manifest's without a hole; a table the manifest does not name must
    /// be proven redundant before it is deleted. Only then does recovery write, and as little as it can: usually one WAL
    /// and a folder fsync (<see cref="KeepReplayedLogs"/>), else tables, a WAL and a manifest (<see cref="FlushReplayedLogs"/>);
    /// then it deletes files it has proven obsolete. A crash at any point of this leaves either the old state or the new one.
    /// </summary>
    private void Recover()
    {
        // Refuse a folder that is not ours before the lock file is created in it; decide again once the lock is held,
        // since another process may have created or changed the database in between.
        FolderContents.Read(_fs, _path).Classify(_fs);
        _fileLock = _fs.LockFile(FileNames.LockFile(_path));
        var folder = FolderContents.Read(_fs, _path);
        if (folder.Classify(_fs) == FolderKind.Empty)
        {
            if (!_options.CreateIfMissing)
            {
                throw new LsmException($"The database '{_path}' does not exist (no CURRENT file) and CreateIfMissing is off.");
            }

            CreateDatabase();
            folder = FolderContents.Read(_fs, _path);
        }
        else if (_options.ErrorIfExists)
        {
            throw new LsmException($"The database '{_path}' already exists and ErrorIfExists is on.");
        }

        _versions.Recover();
        foreach (var number in folder.Logs.Keys.Concat(folder.Tables).Concat(folder.Manifests))
        {
            _versions.MarkFileNumberUsed(number);
        }

        CheckFilesTheManifestNames(folder);
        var replayed = ReplayLogs(folder);
        KeepUnprovenTables(folder, replayed.LastSequence);

        // From here on recovery writes. A database created before the IDENTITY marker gets one now that its manifest
        // proved it ours; the folder sync below makes it durable.
        if (folder.Identity == IdentityStatus.Missing)
        {
            IdentityFile.Write(_fs, _path, _versions.NewFileNumber());
        }

        var logs = folder.Logs.Where(l => l.Key >= _versions.LogNumber).ToList();
        if (replayed.MemTables.Count == 1 && logs.Count < MaxLogsKeptAtOpen)
        {
            KeepReplayedLogs(replayed, logs);
        }
        else
        {
            FlushReplayedLogs(replayed);
        }

        Volatile.Write(ref _lastSequence, (long)replayed.LastSequence);
        PublishReadState();
        DeleteObsoleteFiles();
    }

    /// <summary>
    /// RocksDB's avoid_flush_during_recovery: what the WALs held fits in one memtable, so it becomes the active memtable
    /// and the WALs stay until that memtable is flushed (they are at or after the manifest's log number, so they are
    /// replayed again by a crash before that). Writes go to the newest WAL when it is empty, else to a new one; the
    /// newest non-empty WAL is fsynced first, since it may end in writes the last run acknowledged without a sync, and
    /// a synced write in the next WAL must never survive a power loss that takes them (a hole; every older WAL was synced
    /// when the next one was started). Nothing else is written: no table and no manifest edit, so opening a database
    /// costs a WAL fsync and a folder fsync, not a tiny L0 table and a manifest rotation per open.
    /// </summary>
    private void KeepReplayedLogs(ReplayedLogs replayed, List<KeyValuePair<ulong, long>> logs)
    {
        _mem.Unref();
        _mem = replayed.MemTables[0];
        var written = logs.Where(l => l.Value > 0).ToList();
        if (written.Count > 0)
        {
            _fs.SyncFile(FileNames.LogFile(_path, written[^1].Key));
        }

        if (logs.Count > 0 && logs[^1].Value == 0)
        {
            _logNumber = logs[^1].Key; // empty: nothing was ever written after whatever failed in it, if anything did
        }
        else
        {
            _logNumber = _versions.NewFileNumber();
        }

        _memLogNumber = logs.Count > 0 ? logs[0].Key : _logNumber;
        _logFile = _fs.CreateFile(FileNames.LogFile(_path, _logNumber));
        _log = new LogWriter(_logFile);
        _fs.SyncDirectory(_path);
    }

    /// <summary>
    /// Writes what the WALs held to L0 tables (more than one memtable's worth, or too many WALs kept by earlier opens),
    /// starts a new WAL and records both in one manifest edit; the old WALs are then obsolete. A crash before the edit is
    /// durable leaves the old state: the WALs are deleted only after it. The tables are synced, so what the WALs held is
    /// durable afterwards even where their tails were not.
    /// </summary>
    private void FlushReplayedLogs(ReplayedLogs replayed)
    {
        var edit = new VersionEdit();
        foreach (var mem in replayed.MemTables)
        {
            FlushRecoveredMemTable(mem, edit);
        }

        _logNumber = _versions.NewFileNumber();
        _memLogNumber = _logNumber;
        _logFile = _fs.CreateFile(FileNames.LogFile(_path, _logNumber));
        _log = new LogWriter(_logFile);
        _fs.SyncDirectory(_path);

        edit.LogNumber = _logNumber;
        edit.LastSequence = replayed.LastSequence;
        _versions.LogAndApply(edit);
    }

    /// <summary>
    /// <see cref="LsmOptions.ReadOnly"/>: the checks of <see cref="Recover"/> without the lock and without a write. Every
    /// table the manifest names is opened (and stays open in the table cache) and every WAL replayed into memory, so the
    /// files of the state read stay readable even if a writer in another process deletes them later; an attempt that a
    /// concurrent writer disturbed starts over from CURRENT (<see cref="ConsistentRead"/>). Tables the manifest does not
    /// name are left alone: beside a live writer they are its outputs in progress.
    /// </summary>
    private void RecoverReadOnly()
    {
        var replayed = ConsistentRead.Run(
            _fs,
            _path,
            () =>
            {
                var folder = FolderContents.Read(_fs, _path);
                if (folder.Classify(_fs) == FolderKind.Empty)
                {
                    throw new LsmException($"The database '{_path}' does not exist (no CURRENT file; a read-only open never creates one).");
                }

                _versions.Recover();
                CheckFilesTheManifestNames(folder);
                return ReplayLogs(folder);
            });

        lock (_stateLock)
        {
            foreach (var full in replayed.MemTables.SkipLast(1))
            {
                _immutables.Add(new ImmutableMemTable(full, LogNumber: 0));
            }

            _mem.Unref();
            _mem = replayed.MemTables[^1];
            Volatile.Write(ref _lastSequence, (long)replayed.LastSequence);
            PublishReadState();
        }
    }

    /// <summary>
    /// Creates a database in a folder that holds no data: IDENTITY, the first (empty) WAL, MANIFEST-000001 naming it, and
    /// CURRENT, in that order, each synced, so a crash leaves either a whole new database or a folder that still
    /// classifies as empty. Numbers 1 (manifest), 2 (temp files) and 3 (WAL) are fixed; the counter continues at 4.
    /// </summary>
    private void CreateDatabase()
    {
        const ulong firstLogNumber = 3;
        IdentityFile.Write(_fs, _path, tempNumber: 2);
        _fs.CreateFile(FileNames.LogFile(_path, firstLogNumber)).Dispose();
        _versions.CreateNew(firstLogNumber);
    }

    /// <summary>
    /// Every table the manifest names must be in the folder with the size, key range and sequence range recorded for
    /// it (a missing table is an open error, never a read error later; a table copied over another is caught here), and
    /// the WAL the manifest's log number names must exist: it holds the writes not yet in any table.
    /// </summary>
    private void CheckFilesTheManifestNames(FolderContents folder)
    {
        var manifest = _versions.ManifestName;
        var files = _versions.Current.Files;
        for (var level = 0; level < files.Length; level++)
        {
            foreach (var file in files[level])
            {
                var name = System.IO.Path.GetFileName(FileNames.TableFile(_path, file.Number));
                if (!folder.Tables.Contains(file.Number))
                {
                    throw new LsmMissingFileException(
                        name, $"the manifest {manifest} lists it in level {level} ({file.Size} bytes, sequences "
                        + $"{file.SmallestSequence}..{file.LargestSequence}) and no other file holds its data");
                }

                using var lease = AcquireTable(name, file);
                var properties = lease.Reader.Properties;
                if (!properties.SmallestKey.AsSpan().SequenceEqual(file.Smallest)
                    || !properties.LargestKey.AsSpan().SequenceEqual(file.Largest)
                    || properties.SmallestSequence != file.SmallestSequence
                    || properties.LargestSequence != file.LargestSequence)
                {
                    throw new LsmCorruptionException(
                        name, 0, $"it holds sequences {properties.SmallestSequence}..{properties.LargestSequence}, but the manifest "
                        + $"{manifest} records {file} for it: another table's bytes are in its place");
                }
            }
        }

        var logNumber = _versions.LogNumber;
        if (logNumber != 0 && !folder.Logs.ContainsKey(logNumber))
        {
            throw new LsmMissingFileException(
                System.IO.Path.GetFileName(FileNames.LogFile(_path, logNumber)),
                $"the manifest {manifest} names it as the oldest WAL still needed (the writes after sequence "
                + $"{_versions.LastSequence} that are in no table start there)");
        }
    }

    private TableLease AcquireTable(string name, FileMetadata file)
    {
        try
        {
            return _tableCache.Acquire(file.Number, file.Size);
        }
        catch (LsmException e) when (e.InnerException is FileNotFoundException)
        {
            throw new LsmMissingFileException(name, $"the manifest {_versions.ManifestName} lists it ({file.Size} bytes)");
        }
    }

    /// <summary>
    /// Replays every WAL at or after the manifest's log number, oldest first, into memtables (a new one each time one
    /// fills), checking that sequence numbers continue without a hole (<see cref="SequenceContinuity"/>).
    /// </summary>
    private ReplayedLogs ReplayLogs(FolderContents folder)
    {
        var continuity = new SequenceContinuity(_versions.LastSequence, _versions.ManifestName!, _options.TolerateCorruptedWalRecords);
        var memTables = new List<MemTable>();
        var mem = new MemTable(_slabPool);
        try
        {
            foreach (var logNumber in folder.Logs.Keys.Where(n => n >= _versions.LogNumber))
            {
                var path = FileNames.LogFile(_path, logNumber);
                var name = System.IO.Path.GetFileName(path);
                using var file = _fs.OpenRandomAccess(path);
                var reader = new LogReader(file, name, _options.TolerateCorruptedWalRecords);
                while (reader.TryReadRecord(out var record, out var offset))
                {
                    var count = WriteBatch.Validate(record, name, offset);
                    if (count == 0)
                    {
                        continue;
                    }

                    var sequence = WriteBatch.ReadSequence(record);
                    continuity.Check(sequence, (ulong)count, name, offset);
                    var entries = WriteBatch.Enumerate(record);
                    while (entries.MoveNext())
                    {
                        var entry = entries.Current;
                        mem.Add(sequence++, entry.Kind, entry.Key, entry.Value);
                    }

                    if (mem.ApproximateMemoryUsage >= _options.WriteBufferSize)
                    {
                        memTables.Add(mem);
                        mem = new MemTable(_slabPool);
                    }
                }
            }

            memTables.Add(mem);
        }
        catch
        {
            mem.Unref();
            foreach (var full in memTables)
            {
                full.Unref();
            }

            throw;
        }

        return new ReplayedLogs(memTables, Math.Max(_versions.LastSequence, continuity.LastReplayed));
    }

    /// <summary>
    /// A table the manifest does not name is what a crash leaves of a flush or compaction whose edit never became
    /// durable. The obsolete-file sweep deletes it only when it is proven redundant: everything in it is at or below the
    /// recovered last sequence (so the manifest's tables or the WALs hold it: lost edits were refused above), or it was
    /// never finished (no footer magic; a table is referenced only once complete). Every other one is kept and never
    /// used: one holding newer sequences (after a power loss it may be the last copy of acknowledged but unsynced
    /// writes, since it was written from a WAL whose tail did not survive), or one complete but unreadable.
    /// </summary>
    private void KeepUnprovenTables(FolderContents folder, ulong recoveredLastSequence)
    {
        var live = _versions.LiveFileNumbers();
        foreach (var number in folder.Tables.Where(n => !live.Contains(n)))
        {
            var path = FileNames.TableFile(_path, number);
            using var file = _fs.OpenRandomAccess(path);
            bool keep;
            try
            {
                using var reader = TableReader.Open(file, System.IO.Path.GetFileName(path), number, cache: null);
                keep = reader.Properties.EntryCount > 0 && reader.Properties.LargestSequence > recoveredLastSequence;
            }
            catch (LsmCorruptionException)
            {
                keep = HasTableMagic(file);
            }

            if (keep)
            {
                lock (_stateLock)
                {
                    _keptTables.Add(number);
                }
            }
        }
    }

    private static bool HasTableMagic(IRandomAccessFile file)
    {
        Span<byte> magic = stackalloc byte[sizeof(ulong)];
        return file.Length >= TableFormat.FooterSize
            && file.Read(file.Length - magic.Length, magic) == magic.Length
            && BinaryPrimitives.ReadUInt64LittleEndian(magic) == TableFormat.Magic;
    }

    /// <summary>Writes a memtable rebuilt from a WAL to an L0 table (nothing for an empty one) and recycles it.</summary>
    private void FlushRecoveredMemTable(MemTable mem, VersionEdit edit)
    {
        if (!mem.IsEmpty && WriteLevel0Table(mem, _versions.NewFileNumber()) is { } file)
        {
            edit.NewFiles.Add((0, file));
        }

        mem.Unref();
    }

    private void StartBackgroundWork()
    {
        if (_options.InlineBackgroundWork)
        {
            lock (_stateLock)
            {
                MaybeScheduleCompaction();
            }

            RunInlineBackgroundWork();
            return;
        }

        _flushThread = new Thread(FlushLoop)
        {
            IsBackground = true,
            Name = "lsm-flush " + System.IO.Path.GetFileName(_path),
        };
        _flushThread.Start();
        StartCompactionThread();
        lock (_stateLock)
        {
            MaybeScheduleCompaction();
        }
    }

    /// <summary>The memtables rebuilt from the WALs (oldest first; the last may be partly full) and the newest sequence.</summary>
    private sealed record ReplayedLogs(List<MemTable> MemTables, ulong LastSequence);
}
