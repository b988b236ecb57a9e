using EFCore.Lsm.Engine.Diagnostics;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>Returns a copy of the value of <paramref name="key"/>, or null when it is absent or deleted.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key, ReadOptions? options = null)
        => TryGet(key, out var value, options) ? value.ToArray() : null;

    /// <summary>
    /// Looks <paramref name="key"/> up without allocating. The returned span points into an immutable memtable arena or
    /// a cached, immutable block; it stays valid for as long as the caller keeps it, even after later writes.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, ReadOptions? options = null)
    {
        ThrowIfDisposed();
        var sequence = ReadSequence(options);
        var started = LsmMetrics.Start(LsmMetrics.GetDuration);
        var state = AcquireReadState();
        try
        {
            ValueKind kind;
            if (!state.Mem.TryGet(key, sequence, out kind, out value))
            {
                var found = false;
                foreach (var imm in state.Immutables)
                {
                    if (imm.TryGet(key, sequence, out kind, out value))
                    {
                        found = true;
                        break;
                    }
                }

                if (!found && !state.Version.TryGet(_tableCache, key, sequence, out kind, out value))
                {
                    value = default;
                    return false;
                }
            }

            if (kind == ValueKind.Delete)
            {
                value = default;
                return false;
            }

            return true;
        }
        finally
        {
            state.Version.Unref();
            LsmMetrics.Stop(LsmMetrics.GetDuration, started, this);
        }
    }

    /// <summary>
    /// Opens a cursor over the database as of one sequence number (the snapshot's, or the latest at this call),
    /// limited to <see cref="ReadOptions.LowerBound"/>/<see cref="ReadOptions.UpperBound"/>. Dispose it: it pins the
    /// files it reads.
    /// </summary>
    public LsmIterator NewIterator(ReadOptions? options = null)
    {
        ThrowIfDisposed();
        options ??= ReadOptions.Default;
        var sequence = ReadSequence(options);
        var state = AcquireReadState();
        var children = new List<IInternalIterator>(2 + state.Immutables.Length + state.Version.FileCount(0) + state.Version.NumLevels);
        try
        {
            children.Add(state.Mem.NewIterator());
            foreach (var imm in state.Immutables)
            {
                children.Add(imm.NewIterator());
            }

            state.Version.AddIterators(children, _tableCache, options.FillCache);
            var merged = new MergingIterator(children.ToArray());
            return new LsmIterator(merged, sequence, options.LowerBound, options.UpperBound, new VersionPin(state.Version));
        }
        catch
        {
            foreach (var child in children)
            {
                child.Dispose();
            }

            state.Version.Unref();
            throw;
        }
    }

    /// <summary>Captures the current state; reads through it see exactly what was committed before this call.</summary>
    public Snapshot GetSnapshot()
    {
        ThrowIfDisposed();
        return _snapshots.Acquire(LastSequence);
    }

    private ulong ReadSequence(ReadOptions? options)
    {
        if (options?.Snapshot is not { } snapshot)
        {
            return LastSequence;
        }

        ObjectDisposedException.ThrowIf(snapshot.IsDisposed, snapshot);
        if (snapshot.Owner != _snapshots)
        {
            throw new ArgumentException("The snapshot belongs to another database.", nameof(options));
        }

        return snapshot.Sequence;
    }

    /// <summary>
    /// Pins the published memtables and version. The sequence to read at must be taken before this: everything at or
    /// below it is then in the memtables or tables of the state returned.
    /// </summary>
    private ReadState AcquireReadState()
    {
        while (true)
        {
            var state = Volatile.Read(ref _readState);
            if (state.Version.TryRef())
            {
                return state;
            }

            // The version was retired between the load and the pin: a newer state is being published.
            Thread.Yield();
        }
    }

    /// <summary>Publishes the current memtables and version for readers; called under the state lock on every change.</summary>
    private void PublishReadState()
    {
        var version = _versions.Current;
        if (!version.TryRef())
        {
            throw new InvalidOperationException("The current version has no references.");
        }

        var immutables = new MemTable[_immutables.Count];
        for (var i = 0; i < immutables.Length; i++)
        {
            immutables[i] = _immutables[^(i + 1)].Table; // newest first
        }

        var previous = Interlocked.Exchange(ref _readState, new ReadState(_mem, immutables, version));
        previous?.Version.Unref();
    }

    /// <summary>What a read sees: the active memtable, frozen memtables newest first, and the SST version.</summary>
    private sealed record ReadState(MemTable Mem, MemTable[] Immutables, Manifest.Version Version);

    /// <summary>Released when an iterator is disposed: unpins the version so its files may be deleted.</summary>
    private sealed class VersionPin(Manifest.Version version) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                version.Unref();
            }
        }
    }
}
