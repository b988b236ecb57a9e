using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;
using EFCore.Lsm.Engine.Commit;
using EFCore.Lsm.Engine.Diagnostics;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    // A leader stops adding followers' batches to its WAL record past this size, so one huge group
    // does not delay the leader's own acknowledgement for long.
    private const long MaxGroupBytes = 1L << 20;

    // Put/Delete reuse one batch per thread instead of allocating one per call.
    [ThreadStatic]
    private static WriteBatch? t_singleBatch;

    // A thread waits for each write it submits, so one queue entry per thread serves all of its writes.
    [ThreadStatic]
    private static PendingWrite? t_pendingWrite;

    private readonly object _writeGate = new();
    private readonly Queue<PendingWrite> _writers = new();

    // Writers waiting in the queue behind its head (changed under the write gate). A leader reads it to skip the follower
    // scan and the wake-up when nobody waits, the common case of one writer: a stale read only misses a follower that
    // arrived just now, which then leads the next group itself.
    private int _waitingWriters;

    // Owned by the current leader: the merged record of a group of several batches, and the group's members.
    private readonly WriteBatch _groupBatch = new();
    private readonly List<PendingWrite> _group = [];

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options = null)
    {
        var batch = t_singleBatch ?? new WriteBatch();
        t_singleBatch = null;
        try
        {
            batch.Put(key, value);
            Write(batch, options);
        }
        finally
        {
            batch.Clear();
            t_singleBatch = batch;
        }
    }

    /// <summary>Removes <paramref name="key"/> (writes a tombstone; deleting a missing key is not an error).</summary>
    public void Delete(ReadOnlySpan<byte> key, WriteOptions? options = null)
    {
        var batch = t_singleBatch ?? new WriteBatch();
        t_singleBatch = null;
        try
        {
            batch.Delete(key);
            Write(batch, options);
        }
        finally
        {
            batch.Clear();
            t_singleBatch = batch;
        }
    }

    /// <summary>
    /// Applies every operation of <paramref name="batch"/> atomically: after a crash either all of it is there or none.
    /// With <see cref="WriteOptions.Sync"/> the WAL is fsynced before this returns (shared with concurrent writers).
    /// </summary>
    public void Write(WriteBatch batch, WriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        ThrowIfReadOnly("writing");
        if (batch.Count == 0 && batch.ConditionCount == 0)
        {
            return;
        }

        var started = LsmMetrics.Start(LsmMetrics.WriteDuration);
        var write = t_pendingWrite ??= new PendingWrite(null, sync: false);
        write.Reset(batch, (options ?? WriteOptions.Default).Sync);
        try
        {
            Submit(write);
        }
        finally
        {
            write.Reset(null, sync: false); // drop the reference to the caller's batch
        }

        RunInlineBackgroundWork();
        LsmMetrics.Stop(LsmMetrics.WriteDuration, started, this);
    }

    /// <summary>Queues a write and either waits for a leader to complete it or leads a group itself.</summary>
    private void Submit(PendingWrite write)
    {
        lock (_writeGate)
        {
            _writers.Enqueue(write);
            if (!write.Done && _writers.Peek() != write)
            {
                // Behind another writer: timed only here, so a writer that finds the queue empty pays nothing.
                var waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                _waitingWriters++;
                do
                {
                    Monitor.Wait(_writeGate);
                }
                while (!write.Done && _writers.Peek() != write);

                _waitingWriters--;

                _statistics.CommitQueueWaits++;
                _statistics.CommitQueueWaitTicks += System.Diagnostics.Stopwatch.GetElapsedTime(waitStart).Ticks;
            }
        }

        if (!write.Done)
        {
            LeadGroup(write);
        }

        if (write.Error is { } error)
        {
            throw error is LsmException or ObjectDisposedException
                ? error
                : new LsmException($"The write failed: {error.Message}", error);
        }
    }

    /// <summary>Runs on the thread at the head of the queue: commits its own write and those queued behind it.</summary>
    private void LeadGroup(PendingWrite leader)
    {
        // The list is reused: the next leader only starts once this one has marked its group done under the queue lock.
        var group = _group;
        group.Clear();
        group.Add(leader);
        Exception? error = null;
        try
        {
            switch (leader.Kind)
            {
                case PendingWriteKind.Close:
                    lock (_stateLock)
                    {
                        _closing = true;
                        if (_backgroundError is null)
                        {
                            _log?.Flush();
                        }
                    }

                    break;
                case PendingWriteKind.SwitchMemtable:
                    leader.FrozenLogNumber = MakeRoomForWrite(force: true);
                    break;
                default:
                    MakeRoomForWrite(force: false);
                    CommitGroup(leader, group);
                    break;
            }
        }
        catch (Exception e)
        {
            error = e;
        }

        lock (_writeGate)
        {
            foreach (var member in group)
            {
                var dequeued = _writers.Dequeue();
                System.Diagnostics.Debug.Assert(ReferenceEquals(dequeued, member), "The group is the head of the queue.");
                member.Error ??= error; // a batch whose condition failed keeps that error
                member.Done = true;
            }

            if (_waitingWriters > 0)
            {
                Monitor.PulseAll(_writeGate);
            }
        }
    }

    /// <summary>Adds the batches queued behind the leader to its group, up to <see cref="MaxGroupBytes"/>.</summary>
    private void AddFollowers(List<PendingWrite> group, ref long bytes, ref bool conditional)
    {
        lock (_writeGate)
        {
            var first = true;
            foreach (var follower in _writers)
            {
                if (first)
                {
                    first = false; // the leader itself
                    continue;
                }

                if (follower.Kind != PendingWriteKind.Batch || bytes + follower.Batch!.ApproximateSize > MaxGroupBytes)
                {
                    break;
                }

                bytes += follower.Batch.ApproximateSize;
                conditional |= follower.Batch.ConditionCount > 0;
                group.Add(follower);
            }
        }
    }

    private void CommitGroup(PendingWrite leader, List<PendingWrite> group)
    {
        var conditional = leader.Batch!.ConditionCount > 0;
        var bytes = leader.Batch.ApproximateSize;
        if (Volatile.Read(ref _waitingWriters) > 0)
        {
            AddFollowers(group, ref bytes, ref conditional);
        }

        if (conditional)
        {
            // Checked here, by the one thread that writes, against everything committed before this group and the
            // members of the group accepted before each batch: no other write can land between a check and its record.
            CheckConditions(group);
        }

        // Accepted batches with entries go into the record; a batch of conditions only was checked and is done.
        var sync = false;
        var accepted = 0;
        PendingWrite? only = null;
        bytes = 0;
        foreach (var member in group)
        {
            if (member.Error is null && member.Batch!.Count > 0)
            {
                sync |= member.Sync;
                bytes += member.Batch.ApproximateSize;
                accepted++;
                only = member;
            }
        }

        if (accepted == 0)
        {
            foreach (var member in group)
            {
                member.Batch!.CommittedSequence = LastSequence; // conditions only: checked at this sequence
            }

            return;
        }

        WriteBatch record;
        if (accepted == 1)
        {
            record = only!.Batch!;
        }
        else
        {
            record = _groupBatch;
            record.Clear();
            foreach (var member in group)
            {
                if (member.Error is null && member.Batch!.Count > 0)
                {
                    record.Append(member.Batch);
                }
            }
        }

        var firstSequence = LastSequence + 1;
        record.Sequence = firstSequence;
        var walBytesBefore = _log!.Length;
        try
        {
            _log!.AddRecord(record.Contents);
            if (sync)
            {
                // fdatasync: the records and the file length, as the peers sync their WALs; the WAL only appends.
                var syncStart = System.Diagnostics.Stopwatch.GetTimestamp();
                _log.SyncData();
                _statistics.WalSyncs++;
                EngineStatistics.AddElapsed(ref _statistics.WalSyncTicks, syncStart);
            }
            else
            {
                _log.Flush();
            }
        }
        catch (Exception e)
        {
            // The WAL may now hold a partial or unsynced record: no later write may be acknowledged on top of it.
            SetBackgroundError(e);
            throw new LsmException($"Writing the WAL of '{_path}' failed; the database is now read-only: {e.Message}", e);
        }

        var sequence = firstSequence;
        var entries = record.GetEnumerator();
        while (entries.MoveNext())
        {
            var entry = entries.Current;
            _mem.Add(sequence++, entry.Kind, entry.Key, entry.Value);
        }

        // Only the write leader changes these, one leader at a time (the queue orders them), so plain adds suffice;
        // readers see whole 64-bit values.
        _statistics.UserBytesWritten += bytes;
        _statistics.WalBytesWritten += _log.Length - walBytesBefore;
        _statistics.Writes += accepted;
        if (accepted > 1)
        {
            _statistics.GroupedCommits++;
        }

        var next = firstSequence;
        foreach (var member in group)
        {
            if (member.Error is null)
            {
                next += (ulong)member.Batch!.Count;
                member.Batch.CommittedSequence = member.Batch.Count > 0 ? next - 1 : firstSequence - 1;
            }
        }

        // Publishing the sequence is what makes the group visible to readers, all of it at once.
        Volatile.Write(ref _lastSequence, (long)(sequence - 1));
        if (accepted > 1)
        {
            _groupBatch.Clear();
        }
    }

    /// <summary>
    /// Makes sure the active memtable has room, freezing it when full (or when <paramref name="force"/>d and not empty)
    /// and waiting while too many frozen memtables wait for flush. Returns the WAL number of the memtable it froze.
    /// Only the write leader calls this.
    /// </summary>
    private ulong? MakeRoomForWrite(bool force)
    {
        // The common case, decided without the state lock: room in the active memtable (only the leader switches it) and
        // L0 below the slowdown. Flush and compaction only ever make more room, and an error or close they raise after
        // this check is one the write would have raced past under the lock as well.
        if (!force
            && _mem.ApproximateMemoryUsage < _options.WriteBufferSize
            && (_options.DisableAutoCompactions || _versions.Current.FileCount(0) < _options.Level0SlowdownWritesTrigger)
            && Volatile.Read(ref _backgroundError) is null
            && !Volatile.Read(ref _closing))
        {
            return null;
        }

        lock (_stateLock)
        {
            var allowDelay = !force;
            var throttle = !_options.DisableAutoCompactions;
            long stallStart = 0;
            long waitStart;
            try
            {
                while (true)
                {
                    ThrowIfBackgroundError();
                    var level0Files = _versions.Current.FileCount(0);
                    if (allowDelay && throttle && level0Files >= _options.Level0SlowdownWritesTrigger)
                    {
                        // Near the L0 limit: give each write about a millisecond so compaction gets CPU, instead of
                        // letting writers run into the hard stop and wait for seconds (LevelDB's slowdown).
                        allowDelay = false;
                        _statistics.SlowdownWrites++;
                        stallStart = stallStart == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : stallStart;
                        waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                        Monitor.Wait(_stateLock, 1);
                        _statistics.SlowdownTicks += System.Diagnostics.Stopwatch.GetElapsedTime(waitStart).Ticks;
                        continue;
                    }

                    if (force ? _mem.IsEmpty : _mem.ApproximateMemoryUsage < _options.WriteBufferSize)
                    {
                        return null;
                    }

                    if (_immutables.Count >= _options.MaxImmutableMemtables
                        || (throttle && level0Files >= _options.Level0StopWritesTrigger))
                    {
                        // Stall: flush and compaction pulse the lock when they retire a memtable or shrink L0.
                        // Writers wait; they never fail for this. Inline background work drains after every write, so it
                        // never gets here: waiting would be for a thread that does not exist.
                        if (_options.InlineBackgroundWork)
                        {
                            throw new InvalidOperationException("A write stalled on background work that runs inline.");
                        }

                        _statistics.StoppedWrites++;
                        stallStart = stallStart == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : stallStart;
                        waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                        var memtablesFull = _immutables.Count >= _options.MaxImmutableMemtables;
                        Monitor.Wait(_stateLock);
                        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(waitStart).Ticks;
                        if (memtablesFull)
                        {
                            _statistics.MemtableStops++;
                            _statistics.MemtableStopTicks += waited;
                        }
                        else
                        {
                            _statistics.Level0Stops++;
                            _statistics.Level0StopTicks += waited;
                        }

                        continue;
                    }

                    return SwitchMemtable();
                }
            }
            finally
            {
                if (stallStart != 0)
                {
                    _statistics.StallTicks += System.Diagnostics.Stopwatch.GetElapsedTime(stallStart).Ticks;
                }
            }
        }
    }

    /// <summary>Freezes the active memtable, starts a new WAL for its successor and wakes the flush thread.</summary>
    private ulong SwitchMemtable()
    {
        var newLogNumber = _versions.NewFileNumber();
        IWritableFile? newFile = null;
        try
        {
            newFile = _fs.CreateFile(FileNames.LogFile(_path, newLogNumber));

            // The old WAL is synced so that writes acknowledged without sync still form a prefix after a power loss
            // (never a hole before later synced writes in the new WAL), and the new WAL's entry is made durable.
            // The writer waits here; the file system starts the WAL's writeback as it grows, so little is left to wait for.
            var syncStart = System.Diagnostics.Stopwatch.GetTimestamp();
            _log!.SyncData();
            _fs.SyncDirectory(_path);
            _statistics.MemtableSwitches++;
            _statistics.SwitchSyncTicks += System.Diagnostics.Stopwatch.GetElapsedTime(syncStart).Ticks;
        }
        catch (Exception e)
        {
            newFile?.Dispose();
            SetBackgroundError(e);
            throw new LsmException($"Starting a new WAL in '{_path}' failed; the database is now read-only: {e.Message}", e);
        }

        _log.Dispose();
        _logFile!.Dispose();
        var frozenLogNumber = _memLogNumber;
        _immutables.Add(new ImmutableMemTable(_mem, frozenLogNumber));
        _mem = new MemTable(_slabPool);
        _logNumber = newLogNumber;
        _memLogNumber = newLogNumber;
        _logFile = newFile;
        _log = new LogWriter(newFile);
        PublishReadState();
        Monitor.PulseAll(_stateLock);
        return frozenLogNumber;
    }

    /// <summary>Puts the database in the read-only error state (under or outside the state lock).</summary>
    private void SetBackgroundError(Exception error)
    {
        lock (_stateLock)
        {
            _backgroundError ??= error;
            Monitor.PulseAll(_stateLock);
        }
    }

    private void ThrowIfBackgroundError()
    {
        if (_closing)
        {
            throw new ObjectDisposedException(nameof(LsmDatabase));
        }

        if (_backgroundError is { } error)
        {
            throw new LsmException(
                $"The database '{_path}' is read-only after an I/O error: {error.Message}. Reopen it to recover.", error);
        }
    }
}
