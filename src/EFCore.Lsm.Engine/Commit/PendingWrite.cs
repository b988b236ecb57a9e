namespace EFCore.Lsm.Engine.Commit;

/// <summary>
/// One caller waiting in the commit queue. The caller at the head of the queue becomes the leader: it writes its own
/// batch and the batches of the callers queued behind it as one WAL record with one fsync (group commit), applies
/// them to the memtable, then wakes the followers with their outcome.
/// </summary>
internal sealed class PendingWrite
{
    public PendingWrite(WriteBatch? batch, bool sync, PendingWriteKind kind = PendingWriteKind.Batch)
    {
        Reset(batch, sync, kind);
    }

    public WriteBatch? Batch { get; private set; }

    public bool Sync { get; private set; }

    public PendingWriteKind Kind { get; private set; }

    /// <summary>Prepares the object for another write (a thread reuses one, since it waits for each write it submits).</summary>
    public void Reset(WriteBatch? batch, bool sync, PendingWriteKind kind = PendingWriteKind.Batch)
    {
        Batch = batch;
        Sync = sync;
        Kind = kind;
        Done = false;
        Error = null;
        FrozenLogNumber = null;
    }

    /// <summary>Set by the leader that completed this write (under the queue lock).</summary>
    public bool Done { get; set; }

    /// <summary>The failure to rethrow on the caller's thread, if any.</summary>
    public Exception? Error { get; set; }

    /// <summary>For <see cref="PendingWriteKind.SwitchMemtable"/>: the WAL number of the memtable that was frozen, if any.</summary>
    public ulong? FrozenLogNumber { get; set; }
}

internal enum PendingWriteKind
{
    /// <summary>An ordinary batch of puts and deletes.</summary>
    Batch,

    /// <summary>Freeze the active memtable so it gets flushed (used by <see cref="LsmDatabase.Flush"/>).</summary>
    SwitchMemtable,

    /// <summary>Stop accepting writes: the database is closing.</summary>
    Close,
}
