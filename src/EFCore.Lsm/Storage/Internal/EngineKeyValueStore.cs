using System.Buffers;
using System.Runtime.CompilerServices;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// The storage seam (<see cref="ILsmKeyValueStore"/>) over the embedded engine. The only part of the provider that names
/// the engine: views are engine snapshots, scans engine iterators, and conditional batches engine write batches whose
/// conditions the engine's group-commit leader checks (so concurrent saves still share one fsync).
/// </summary>
internal sealed class EngineKeyValueStore(LsmDatabase engine) : ILsmKeyValueStore
{
    // A thread waits for each commit it makes, so one engine batch per thread serves all of them.
    [ThreadStatic]
    private static WriteBatch? t_batch;

    private static readonly LsmStoreLimits EngineLimits = new(WriteBatch.MaxKeySize, WriteBatch.MaxValueSize, null, null);
    private static readonly WriteOptions Synced = new() { Sync = true };
    private static readonly WriteOptions Unsynced = new() { Sync = false };

    public string Description => $"EFCore.Lsm database '{engine.Path}'";

    public LsmStoreLimits Limits => EngineLimits;

    /// <summary>The engine, for diagnostics (statistics, properties) only; reads and writes go through the seam.</summary>
    internal LsmDatabase Engine => engine;

    public ILsmReadView OpenView() => new EngineReadView(engine, engine.GetSnapshot());

    public long Commit(LsmConditionalBatch batch, bool sync)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var write = t_batch ?? new WriteBatch();
        t_batch = null;
        try
        {
            foreach (var operation in batch.Operations)
            {
                if (operation.Value is { } value)
                {
                    write.Put(operation.Key, value);
                }
                else
                {
                    write.Delete(operation.Key);
                }
            }

            foreach (var condition in batch.Conditions)
            {
                switch (condition.Kind)
                {
                    case LsmConditionKind.Absent:
                        write.RequireAbsent(condition.Key);
                        break;
                    case LsmConditionKind.Present:
                        write.RequirePresent(condition.Key);
                        break;
                    case LsmConditionKind.UnchangedSince:
                        write.RequireUnchangedSince(condition.Key, checked((ulong)condition.Version));
                        break;
                    case LsmConditionKind.RangeUnchangedSince:
                        write.RequireRangeUnchangedSince(condition.Key, condition.Upper!, checked((ulong)condition.Version));
                        break;
                }
            }

            engine.Write(write, sync ? Synced : Unsynced);
            return (long)write.CommittedSequence;
        }
        catch (LsmConditionFailedException e)
        {
            throw new LsmWriteConflictException(e.ConditionIndex, batch.Conditions[e.ConditionIndex].Kind, e.Message, e);
        }
        finally
        {
            write.Clear();
            t_batch = write;
        }
    }

    public void Dispose() => engine.Dispose();

    private sealed class EngineReadView(LsmDatabase engine, Snapshot snapshot) : ILsmReadView
    {
        private readonly ReadOptions _read = new() { Snapshot = snapshot };

        public long Version => (long)snapshot.Sequence;

        public byte[]? Get(ReadOnlySpan<byte> key) => engine.Get(key, _read);

        public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value) => engine.TryGet(key, value, _read);

        /// <summary>The engine's multi-get at the view's snapshot: keys resolved in key order, sharing blocks between neighbours.</summary>
        public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => engine.MultiGet(keys, _read);

        /// <summary>The engine's multi-get into the sink: each value passed from the memtable or block it lies in, no copy.</summary>
        public int GetMany(IReadOnlyList<byte[]> keys, ILsmValueSink sink) =>
            engine.MultiGet(keys, sink as IMultiGetSink ?? new SinkAdapter(sink), _read);

        public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null)
        {
            // Scans fill the block cache (as LevelDB's and RocksDB's iterators do by default), so a repeated scan of a
            // compressed table decompresses each block once, not on every pass. Iterators insert at low priority
            // (BlockCache says why), so a scan larger than the cache cannot push out the blocks point reads reuse.
            var iterator = engine.NewIterator(new ReadOptions { Snapshot = snapshot, LowerBound = lower, UpperBound = upper });
            return new EngineCursor(iterator, reverse, limit);
        }

        /// <summary>The engine's index-block and skiplist estimate (<see cref="LsmDatabase.ApproximateSize"/>): no data is read.</summary>
        public long? ApproximateCount(byte[] lower, byte[] upper) => engine.ApproximateSize(lower, upper).Entries;

        public void Dispose() => snapshot.Dispose();
    }

    /// <summary>A seam sink as an engine sink (a provider sink that implements both needs none).</summary>
    private sealed class SinkAdapter(ILsmValueSink sink) : IMultiGetSink
    {
        public void Found(int index, ReadOnlySpan<byte> value) => sink.Found(index, value);
    }

    private sealed class EngineCursor(LsmIterator iterator, bool reverse, int? limit) : ILsmCursor
    {
        private bool _started;
        private int _returned;

        public ReadOnlySpan<byte> Key => iterator.Key;

        // Value and MoveNext run once per row of a scan: optimized from the first call, as the scan loop that calls them
        // (LsmEncodedRowScan says why).
        public ReadOnlySpan<byte> Value
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            get => iterator.Value;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool MoveNext()
        {
            if (_returned == limit)
            {
                return false;
            }

            if (!_started)
            {
                _started = true;
                if (reverse)
                {
                    iterator.SeekToLast();
                }
                else
                {
                    iterator.SeekToFirst();
                }
            }
            else if (reverse)
            {
                iterator.Prev();
            }
            else
            {
                iterator.Next();
            }

            if (!iterator.Valid)
            {
                return false;
            }

            _returned++;
            return true;
        }

        public void Dispose() => iterator.Dispose();
    }
}
