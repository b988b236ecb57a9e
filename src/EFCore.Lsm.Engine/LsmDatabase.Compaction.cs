using EFCore.Lsm.Engine.Compaction;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    // One compaction at a time, background or manual: their inputs must never overlap.
    private readonly object _compactionGate = new();
    private bool _compactionRequested;
    private bool _compactionRunning;
    private Thread? _compactionThread;

    /// <summary>
    /// Compacts the user-key range [<paramref name="begin"/>, <paramref name="end"/>] (null = unbounded on that side)
    /// down through every level, after flushing the memtable: overwritten versions and deletions that no snapshot needs
    /// are dropped and the range ends up in as few, as deep files as possible.
    /// </summary>
    public void CompactRange(byte[]? begin, byte[]? end)
    {
        ThrowIfDisposed();
        ThrowIfReadOnly("compacting");
        Flush();
        var version = _versions.Current;
        var deepest = 0;
        for (var level = 1; level < version.NumLevels; level++)
        {
            if (CompactionPicker.Overlapping(version.Files[level], begin, end, begin is not null, end is not null).Length > 0)
            {
                deepest = level;
            }
        }

        // Push the range down one level at a time, through the deepest level that holds any of it, so every version of
        // every key in the range is rewritten once and garbage is dropped everywhere; the last level compacts into itself.
        // Each level is compacted once, with the files that overlap the range at that moment: data written after the
        // call may keep arriving in L0 and L1 under concurrent writes, and chasing it would never finish.
        for (var level = 0; level <= deepest; level++)
        {
            ThrowIfDisposed();
            lock (_compactionGate)
            {
                Manifest.Version current;
                while (!(current = _versions.Current).TryRef())
                {
                    // Retired between the load and the pin: the next load gets the newer version.
                }

                try
                {
                    if (CompactionPicker.PickRange(current, level, begin, end) is { } compaction)
                    {
                        try
                        {
                            RunCompaction(compaction, allowTrivialMove: false);
                        }
                        catch (Exception e) when (e is not LsmException)
                        {
                            // As for a background compaction: the manifest may now end in a torn or unsynced edit, and
                            // nothing may be written on top of it.
                            SetBackgroundError(e);
                            throw new LsmException($"Compacting '{_path}' failed; the database is now read-only: {e.Message}", e);
                        }
                    }
                }
                finally
                {
                    current.Unref();
                }
            }

            // Only now is the input version unpinned, so its files can actually go.
            DeleteObsoleteFiles();
        }

        DeleteObsoleteFiles();
    }

    /// <summary>
    /// Waits until no memtable waits for flush and background compaction has nothing left to do (every level within
    /// its target), like RocksDB's WaitForCompact. Useful before measuring, and in tests.
    /// </summary>
    public void WaitForCompactions()
    {
        ThrowIfDisposed();
        if (_options.ReadOnly)
        {
            return; // nothing is ever flushed or compacted
        }

        RunInlineBackgroundWork();
        lock (_stateLock)
        {
            while (_immutables.Count > 0 || _compactionRequested || _compactionRunning)
            {
                ThrowIfBackgroundError();
                Monitor.Wait(_stateLock);
            }

            ThrowIfBackgroundError();
        }
    }

    private void StartCompactionThread()
    {
        _compactionThread = new Thread(CompactionLoop)
        {
            IsBackground = true,
            Name = "lsm-compaction " + System.IO.Path.GetFileName(_path),
        };
        _compactionThread.Start();
    }

    /// <summary>Wakes the compaction thread; called under the state lock whenever a new version is installed.</summary>
    private void MaybeScheduleCompaction()
    {
        if (!_options.DisableAutoCompactions)
        {
            _compactionRequested = true;
            Monitor.PulseAll(_stateLock);
        }
    }

    private void CompactionLoop()
    {
        while (true)
        {
            lock (_stateLock)
            {
                while (!_closing && (!_compactionRequested || _backgroundError is not null))
                {
                    Monitor.Wait(_stateLock);
                }

                if (_closing)
                {
                    return;
                }

                _compactionRequested = false;
                _compactionRunning = true;
            }

            try
            {
                // Keep compacting while some level is over its target.
                while (!Volatile.Read(ref _closing) && BackgroundCompactOnce())
                {
                }
            }
            catch (Exception e)
            {
                SetBackgroundError(e);
            }
            finally
            {
                lock (_stateLock)
                {
                    _compactionRunning = false;
                    Monitor.PulseAll(_stateLock);
                }
            }
        }
    }

    /// <summary>Runs the most needed compaction, if any; returns whether it did something.</summary>
    private bool BackgroundCompactOnce()
    {
        lock (_compactionGate)
        {
            var version = _versions.Current;
            if (!version.TryRef())
            {
                return true; // retired between load and pin: try again with the newer one
            }

            try
            {
                var compaction = CompactionPicker.Pick(version, _options, _versions.CompactPointer);
                if (compaction is null)
                {
                    return false;
                }

                RunCompaction(compaction, allowTrivialMove: true);
            }
            finally
            {
                version.Unref();
            }
        }

        DeleteObsoleteFiles();
        return true;
    }

    /// <summary>Executes one compaction and installs its result with one manifest edit. Caller holds the compaction gate.</summary>
    private void RunCompaction(Compaction.Compaction compaction, bool allowTrivialMove)
    {
        var compactionStart = System.Diagnostics.Stopwatch.GetTimestamp();
        var edit = new VersionEdit();
        foreach (var file in compaction.Inputs)
        {
            edit.DeletedFiles.Add((compaction.Level, file.Number));
        }

        foreach (var file in compaction.NextLevelInputs)
        {
            edit.DeletedFiles.Add((compaction.OutputLevel, file.Number));
        }

        if (compaction.Inputs.Length > 0 && compaction.Level > 0 && compaction.OutputLevel > compaction.Level)
        {
            edit.CompactPointers.Add((compaction.Level, compaction.Inputs[^1].Largest));
        }

        CompactionJob? job = null;
        if (allowTrivialMove && compaction.IsTrivialMove)
        {
            foreach (var file in compaction.Inputs)
            {
                edit.NewFiles.Add((compaction.OutputLevel, file));
            }
        }
        else
        {
            job = new CompactionJob(
                compaction,
                _fs,
                _path,
                _tableCache,
                _tableOptions,
                _options.TargetFileSize,
                SmallestSnapshot(),
                _versions.NewFileNumber,
                number =>
                {
                    lock (_stateLock)
                    {
                        _pendingOutputs.Add(number);
                    }
                });
            try
            {
                job.Run();
                _fs.SyncDirectory(_path);
            }
            catch
            {
                ReleasePendingOutputs(job);
                throw;
            }

            foreach (var output in job.Outputs)
            {
                edit.NewFiles.Add((compaction.OutputLevel, output));
            }
        }

        try
        {
            lock (_stateLock)
            {
                ThrowIfBackgroundError();
                _versions.LogAndApply(edit);
                PublishReadState();
                _statistics.RecordCompaction(compaction, job);
                Monitor.PulseAll(_stateLock); // writers stalled on L0 may go on
            }
        }
        finally
        {
            if (job is not null)
            {
                ReleasePendingOutputs(job);
            }

            Diagnostics.EngineStatistics.AddElapsed(ref _statistics.CompactionTicks, compactionStart);
        }
    }

    private void ReleasePendingOutputs(CompactionJob job)
    {
        lock (_stateLock)
        {
            foreach (var number in job.AllocatedFileNumbers)
            {
                _pendingOutputs.Remove(number);
            }
        }
    }

    /// <summary>The oldest sequence any reader may still ask for: the oldest live snapshot, else the last sequence.</summary>
    private ulong SmallestSnapshot()
    {
        var live = _snapshots.LiveSequences();
        return live.Length > 0 ? Math.Min(live[0], LastSequence) : LastSequence;
    }
}
