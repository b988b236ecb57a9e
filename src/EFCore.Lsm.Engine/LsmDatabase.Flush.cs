using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Commit;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>
    /// Freezes the active memtable (if it holds anything) and waits until every memtable frozen so far is written to an
    /// SST and recorded in the manifest, so the WALs behind them are deleted.
    /// </summary>
    public void Flush()
    {
        ThrowIfDisposed();
        ThrowIfReadOnly("flushing");
        var write = new PendingWrite(null, sync: false, PendingWriteKind.SwitchMemtable);
        Submit(write);
        RunInlineBackgroundWork();
        lock (_stateLock)
        {
            // Everything up to the newest frozen WAL is flushed once the manifest's log number has passed it.
            var target = write.FrozenLogNumber ?? (_immutables.Count > 0 ? _immutables[^1].LogNumber : (ulong?)null);
            while (target is { } t && _versions.LogNumber <= t)
            {
                ThrowIfBackgroundError();
                Monitor.Wait(_stateLock);
            }
        }
    }

    /// <summary>
    /// With <see cref="LsmOptions.InlineBackgroundWork"/>, does on the calling thread what the flush and compaction threads
    /// would: every waiting memtable is flushed, oldest first, then compactions run until every level is within its
    /// target. A failure puts the database in the error state, as on the threads. Does nothing otherwise.
    /// </summary>
    private void RunInlineBackgroundWork()
    {
        if (!_options.InlineBackgroundWork)
        {
            return;
        }

        while (true)
        {
            ImmutableMemTable? imm = null;
            lock (_stateLock)
            {
                if (_closing || _backgroundError is not null)
                {
                    return;
                }

                if (_immutables.Count > 0)
                {
                    imm = _immutables[0];
                }
                else if (_compactionRequested)
                {
                    _compactionRequested = false;
                }
                else
                {
                    return;
                }
            }

            try
            {
                if (imm is not null)
                {
                    FlushImmutable(imm);
                }
                else
                {
                    while (BackgroundCompactOnce())
                    {
                    }
                }
            }
            catch (Exception e)
            {
                SetBackgroundError(e);
                return;
            }
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            ImmutableMemTable imm;
            lock (_stateLock)
            {
                while (!_closing && (_immutables.Count == 0 || _backgroundError is not null))
                {
                    Monitor.Wait(_stateLock);
                }

                if (_closing)
                {
                    return;
                }

                imm = _immutables[0];
            }

            try
            {
                FlushImmutable(imm);
            }
            catch (Exception e)
            {
                SetBackgroundError(e);
            }
        }
    }

    /// <summary>Writes the oldest frozen memtable to an L0 SST and retires it and its WAL in one manifest edit.</summary>
    private void FlushImmutable(ImmutableMemTable imm)
    {
        var flushStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var number = _versions.NewFileNumber();
        lock (_stateLock)
        {
            _pendingOutputs.Add(number);
        }

        try
        {
            var file = WriteLevel0Table(imm.Table, number);
            lock (_stateLock)
            {
                var edit = new VersionEdit();
                if (file is not null)
                {
                    edit.NewFiles.Add((0, file));
                }

                // WALs older than the next memtable's are no longer needed once this edit is durable.
                edit.LogNumber = _immutables.Count > 1 ? _immutables[1].LogNumber : _memLogNumber;
                edit.LastSequence = LastSequence;
                _versions.LogAndApply(edit);
                _immutables.RemoveAt(0);
                PublishReadState();
                imm.Table.Unref(); // the list's reference; readers still holding older states keep it alive
                MaybeScheduleCompaction();
                Monitor.PulseAll(_stateLock);
            }
        }
        finally
        {
            lock (_stateLock)
            {
                _pendingOutputs.Remove(number);
            }

            Diagnostics.EngineStatistics.AddElapsed(ref _statistics.FlushTicks, flushStart);
        }

        DeleteObsoleteFiles();
    }

    /// <summary>
    /// Writes every entry of <paramref name="mem"/> to table <paramref name="number"/>, fsyncs it and its directory
    /// entry, and returns its metadata (null when the memtable is empty, in which case no file is left behind).
    /// </summary>
    private FileMetadata? WriteLevel0Table(MemTable mem, ulong number)
    {
        if (mem.IsEmpty)
        {
            return null;
        }

        var path = FileNames.TableFile(_path, number);
        TableProperties properties;
        long size;
        try
        {
            using var file = _fs.CreateFile(path);
            var builder = new TableBuilder(file, _tableOptions);
            using (var iterator = mem.NewIterator())
            {
                for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
                {
                    builder.Add(iterator.Key, iterator.Value);
                }
            }

            properties = builder.Finish();
            file.Sync();
            size = file.Length;
        }
        catch
        {
            _fs.TryDeleteFile(path);
            throw;
        }

        _fs.SyncDirectory(_path);
        _statistics.RecordFlush(size);
        return new FileMetadata(number, size, properties.SmallestKey, properties.LargestKey,
            properties.SmallestSequence, properties.LargestSequence);
    }

    /// <summary>
    /// Deletes files no longer needed: WALs older than the manifest's log number, SSTs no live version references
    /// (recovery proved the ones it found redundant, and keeps the others), manifests older than the
    /// current one and leftover temporary files. Only files named as ours, in a folder recovery proved ours. Runs under
    /// the state lock so it never races a manifest switch.
    /// </summary>
    private void DeleteObsoleteFiles()
    {
        lock (_stateLock)
        {
            if (_backgroundError is not null)
            {
                return; // After an I/O error we cannot be sure what is referenced; leave everything for recovery.
            }

            var live = _versions.LiveFileNumbers();
            foreach (var name in _fs.ListFiles(_path))
            {
                if (!FileNames.TryParse(name, out var kind, out var number))
                {
                    continue;
                }

                var keep = kind switch
                {
                    DbFileKind.Log => number >= _versions.LogNumber || number == _logNumber,
                    DbFileKind.Table => live.Contains(number) || _pendingOutputs.Contains(number) || _keptTables.Contains(number),

                    // Older manifests are obsolete; a newer one is a rotation CURRENT never switched to (kept until the
                    // next rotation makes it older: deleting what CURRENT does not name needs no guess about why).
                    DbFileKind.Manifest => number >= _versions.ManifestNumber,
                    DbFileKind.Temp => false,
                    _ => true,
                };
                if (!keep)
                {
                    if (kind == DbFileKind.Table)
                    {
                        _tableCache.Evict(number);
                    }

                    _fs.TryDeleteFile(System.IO.Path.Combine(_path, name));
                }
            }
        }
    }
}
