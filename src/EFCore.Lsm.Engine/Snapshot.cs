namespace EFCore.Lsm.Engine;

/// <summary>
/// A point in time of the database: reads through <see cref="ReadOptions.Snapshot"/> see exactly the writes committed
/// before it was taken. Holding one keeps the versions it can see from being dropped by compaction, so dispose it.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private readonly SnapshotList _owner;

    internal Snapshot(SnapshotList owner, ulong sequence)
    {
        _owner = owner;
        Sequence = sequence;
    }

    /// <summary>The last sequence number visible through this snapshot.</summary>
    public ulong Sequence { get; }

    internal bool IsDisposed { get; private set; }

    internal SnapshotList Owner => _owner;

    /// <summary>Releases the snapshot: compaction may then drop the versions only it could see.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            _owner.Release(this);
        }
    }
}

/// <summary>The live snapshots of a database, so compaction knows the oldest sequence someone can still read.</summary>
internal sealed class SnapshotList
{
    private readonly object _gate = new();

    // Sequence -> number of live snapshots at that sequence. Snapshots are taken in increasing sequence order,
    // so a sorted map keeps "oldest" at the front cheaply.
    private readonly SortedDictionary<ulong, int> _live = new();

    public Snapshot Acquire(ulong sequence)
    {
        lock (_gate)
        {
            _live[sequence] = _live.TryGetValue(sequence, out var n) ? n + 1 : 1;
            return new Snapshot(this, sequence);
        }
    }

    public void Release(Snapshot snapshot)
    {
        lock (_gate)
        {
            if (_live.TryGetValue(snapshot.Sequence, out var n))
            {
                if (n == 1)
                {
                    _live.Remove(snapshot.Sequence);
                }
                else
                {
                    _live[snapshot.Sequence] = n - 1;
                }
            }
        }
    }

    /// <summary>All live snapshot sequences, ascending (compaction keeps one version per snapshot "stripe").</summary>
    public ulong[] LiveSequences()
    {
        lock (_gate)
        {
            return _live.Keys.ToArray();
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _live.Values.Sum();
            }
        }
    }
}
