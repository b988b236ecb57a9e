using System.Buffers;
using EFCore.Lsm.Engine.Diagnostics;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Lookup;
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
    /// Looks up many keys at one sequence number (the snapshot's, or the latest at this call) and returns their values in
    /// the caller's order: a copy of the value where the key has one, null where it is absent or deleted, exactly what
    /// <see cref="Get"/> of each key at that sequence returns. Keys may be in any order and repeat; see
    /// <see cref="MultiGet(IReadOnlyList{byte[]}, IMultiGetSink, ReadOptions?)"/> for how the lookup shares work.
    /// </summary>
    /// <exception cref="ArgumentException">An element of <paramref name="keys"/> is null.</exception>
    public byte[]?[] MultiGet(IReadOnlyList<byte[]> keys, ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new byte[]?[keys.Count];
        MultiGet(keys, new CopyingSink(values), options);
        return values;
    }

    /// <summary>
    /// Looks up many keys at one sequence number (the snapshot's, or the latest at this call) and hands each value found
    /// to <paramref name="sink"/> with the key's index in <paramref name="keys"/>; returns how many keys had a value.
    /// A key has a value exactly when <see cref="Get"/> at that sequence would return one, and it is the same value.
    /// <para>
    /// The keys are sorted (when the caller has not sorted them already) and equal keys looked up once; then the memtables
    /// and tables are consulted in the order a point lookup consults them, each in one pass over the keys still open, in
    /// key order, so that consecutive keys reuse work: the memtable searches several keys at once, interleaved so that their
    /// cache misses overlap, each from the position an earlier key's search reached,
    /// each table gets one Bloom probe per key, and a data block (read, checksum-verified and parsed when it is loaded,
    /// as for a point lookup) serves every following key that falls in it. Values are passed straight from the memtable
    /// or block to the sink. With cached or memory-mapped blocks and keys already sorted this allocates nothing.
    /// </para>
    /// <para>
    /// Each call is one measurement of the <c>lsm.multiget.duration</c> histogram (and its number of keys, repeats
    /// included, one of <c>lsm.multiget.keys</c>); it records nothing in <c>lsm.get.duration</c>, whose measurements are
    /// single keys.
    /// </para>
    /// </summary>
    /// <exception cref="ArgumentException">An element of <paramref name="keys"/> is null.</exception>
    /// <exception cref="LsmCorruptionException">A block read for the lookup is damaged (it names the file and offset).</exception>
    public int MultiGet(IReadOnlyList<byte[]> keys, IMultiGetSink sink, ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(sink);
        ThrowIfDisposed();
        var sequence = ReadSequence(options);
        var started = LsmMetrics.Start(LsmMetrics.MultiGetDuration);
        var batch = new MultiGetBatch(keys, sink);
        try
        {
            if (batch.PendingCount == 0)
            {
                return 0;
            }

            var state = AcquireReadState();
            try
            {
                state.Mem.MultiGet(ref batch, sequence);
                foreach (var imm in state.Immutables)
                {
                    imm.MultiGet(ref batch, sequence);
                }

                state.Version.MultiGet(_tableCache, ref batch, sequence);
            }
            finally
            {
                state.Unref();
            }

            return batch.FoundCount;
        }
        finally
        {
            batch.Dispose();
            LsmMetrics.StopMultiGet(started, keys.Count, this);
        }
    }

    /// <summary>Copies each value found into the result array of <see cref="MultiGet(IReadOnlyList{byte[]}, ReadOptions?)"/>.</summary>
    private sealed class CopyingSink(byte[]?[] values) : IMultiGetSink
    {
        public void Found(int index, ReadOnlySpan<byte> value) => values[index] = value.ToArray();
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
