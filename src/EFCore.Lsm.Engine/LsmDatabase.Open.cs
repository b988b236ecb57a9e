using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>
    /// Loads the manifest, replays every WAL at or after the manifest's log number into L0 tables, then starts a fresh
    /// WAL and a fresh manifest that records the result. A crash at any point of this leaves either the old state
    /// (the WALs are only deleted after the new manifest is durable) or the new one.
    /// </summary>
    private void Recover()
    {
        if (!_fs.FileExists(FileNames.CurrentFile(_path)))
        {
            if (!_options.CreateIfMissing)
            {
                throw new LsmException($"The database '{_path}' does not exist (no CURRENT file) and CreateIfMissing is off.");
            }

            _versions.CreateNew();
        }
        else if (_options.ErrorIfExists)
        {
            throw new LsmException($"The database '{_path}' already exists and ErrorIfExists is on.");
        }

        _versions.Recover();

        var logs = new List<ulong>();
        foreach (var name in _fs.ListFiles(_path))
        {
            if (FileNames.TryParse(name, out var kind, out var number))
            {
                _versions.MarkFileNumberUsed(number);
                if (kind == DbFileKind.Log && number >= _versions.LogNumber)
                {
                    logs.Add(number);
                }
            }
        }

        logs.Sort();
        var edit = new VersionEdit();
        var maxSequence = _versions.LastSequence;
        foreach (var logNumber in logs)
        {
            maxSequence = Math.Max(maxSequence, ReplayLog(logNumber, edit));
        }

        _logNumber = _versions.NewFileNumber();
        _logFile = _fs.CreateFile(FileNames.LogFile(_path, _logNumber));
        _log = new LogWriter(_logFile);
        _fs.SyncDirectory(_path);

        edit.LogNumber = _logNumber;
        edit.LastSequence = maxSequence;
        _versions.LogAndApply(edit);
        Volatile.Write(ref _lastSequence, (long)maxSequence);
        PublishReadState();
        DeleteObsoleteFiles();
    }

    /// <summary>Replays one WAL into memtables, flushing each to an L0 table; returns the largest sequence seen.</summary>
    private ulong ReplayLog(ulong logNumber, VersionEdit edit)
    {
        var path = FileNames.LogFile(_path, logNumber);
        var name = System.IO.Path.GetFileName(path);
        var maxSequence = 0UL;
        var mem = new MemTable(_slabPool);
        using (var file = _fs.OpenRandomAccess(path))
        {
            var reader = new LogReader(file, name, _options.TolerateCorruptedWalRecords);
            while (reader.TryReadRecord(out var record, out var offset))
            {
                WriteBatch.Validate(record, name, offset);
                var sequence = WriteBatch.ReadSequence(record);
                var entries = WriteBatch.Enumerate(record);
                while (entries.MoveNext())
                {
                    var entry = entries.Current;
                    mem.Add(sequence++, entry.Kind, entry.Key, entry.Value);
                }

                maxSequence = Math.Max(maxSequence, sequence - 1);
                if (mem.ApproximateMemoryUsage >= _options.WriteBufferSize)
                {
                    FlushRecoveredMemTable(mem, edit);
                    mem = new MemTable(_slabPool);
                }
            }
        }

        FlushRecoveredMemTable(mem, edit);
        return maxSequence;
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
}
