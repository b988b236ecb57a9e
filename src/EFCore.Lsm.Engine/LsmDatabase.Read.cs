using System.Buffers;
using EFCore.Lsm.Engine.Diagnostics;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Memtable;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>Returns a copy of the value of <paramref name="key"/>, or null when it is absent or deleted.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key, ReadOptions? options = null)
    {
        if (!Find(key, options, out var state, out var pin, out var value))
        {
            return null;
        }

        try
        {
            return value.ToArray();
        }
        finally
        {
            ReleaseFind(state, pin);
        }
    }

    /// <summary>
    /// Looks <paramref name="key"/> up and, when it is present, appends its value to <paramref name="value"/>.
    /// Allocates nothing when the writer has room (reuse an <see cref="ArrayBufferWriter{T}"/>) and the block is cached.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value, ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!Find(key, options, out var state, out var pin, out var found))
        {
            return false;
        }

        try
        {
            value.Write(found);
            return true;
        }
        finally
        {
            ReleaseFind(state, pin);
        }
    }

    /// <summary>
    /// Looks <paramref name="key"/> up and, when it is present, copies its value into <paramref name="destination"/>
    /// if it fits. <paramref name="valueLength"/> is the value's full length either way, so a caller whose buffer was too
    /// small (<c>valueLength &gt; destination.Length</c>) can retry with a larger one. Allocates nothing on a cached block.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength, ReadOptions? options = null)
    {
        if (!Find(key, options, out var state, out var pin, out var found))
        {
            valueLength = 0;
            return false;
        }

        try
        {
            valueLength = found.Length;
            if (found.Length <= destination.Length)
            {
                found.CopyTo(destination);
            }

            return true;
        }
        finally
        {
            ReleaseFind(state, pin);
        }
    }

    /// <summary>
    /// Finds the newest visible value of <paramref name="key"/>. On true, <paramref name="value"/> points into memory
    /// that <paramref name="state"/> (memtables) or <paramref name="pin"/> (a table block) keeps alive: the caller
    /// copies it, then calls <see cref="ReleaseFind"/>.
    /// </summary>
    private bool Find(ReadOnlySpan<byte> key, ReadOptions? options, out ReadState state, out CachedBlock? pin, out ReadOnlySpan<byte> value)
    {
        pin = null;
        ThrowIfDisposed();
        var sequence = ReadSequence(options);
        var started = LsmMetrics.Start(LsmMetrics.GetDuration);
        state = AcquireReadState();
        var keep = false;
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

                if (!found && !state.Version.TryGet(_tableCache, key, sequence, out kind, out value, out pin))
                {
                    return false;
                }
            }

            keep = kind != ValueKind.Delete;
            return keep;
        }
        finally
        {
            if (!keep)
            {
                value = default;
                pin?.Release();
                pin = null;
                state.Unref();
            }

            LsmMetrics.Stop(LsmMetrics.GetDuration, started, this);
        }
    }

    private static void ReleaseFind(ReadState state, CachedBlock? pin)
    {
        pin?.Release();
        state.Unref();
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
            return new LsmIterator(merged, sequence, options.LowerBound, options.UpperBound, new ReadStatePin(state));
        }
        catch
        {
            foreach (var child in children)
            {
                child.Dispose();
            }

            state.Unref();
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
            if (state.TryRef())
            {
                return state;
            }

            // Retired between the load and the pin: a newer state is being published.
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
        previous?.Unref();
    }

    /// <summary>
    /// What a read sees: the active memtable, frozen memtables newest first, and the SST version. Reference counted:
    /// one reference while published, one per reader; the last one releases the memtables (whose slabs are then
    /// recycled) and the version (whose obsolete files may then be deleted).
    /// </summary>
    private sealed class ReadState
    {
        private int _refs = 1;

        public ReadState(MemTable mem, MemTable[] immutables, Manifest.Version version)
        {
            Mem = mem;
            Immutables = immutables;
            Version = version;
            mem.Ref();
            foreach (var imm in immutables)
            {
                imm.Ref();
            }
        }

        public MemTable Mem { get; }

        public MemTable[] Immutables { get; }

        public Manifest.Version Version { get; }

        public bool TryRef() => Util.RefCount.TryIncrement(ref _refs);

        public void Unref()
        {
            if (Interlocked.Decrement(ref _refs) != 0)
            {
                return;
            }

            Mem.Unref();
            foreach (var imm in Immutables)
            {
                imm.Unref();
            }

            Version.Unref();
        }
    }

    /// <summary>Released when an iterator is disposed: unpins what the iterator reads.</summary>
    private sealed class ReadStatePin(ReadState state) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                state.Unref();
            }
        }
    }
}
