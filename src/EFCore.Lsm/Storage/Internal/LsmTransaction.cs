using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Update.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// An optimistic transaction: reads see one view of the store plus the transaction's own writes; <c>SaveChanges</c>
/// checks against that view and stages its writes here; <see cref="Commit"/> commits them all as one batch in which every
/// written key must be unchanged since the transaction's view (first committer wins; snapshot isolation, as RocksDB's
/// optimistic transactions: keys only read are not checked).
/// </summary>
internal sealed class LsmTransaction : IDbContextTransaction
{
    private readonly LsmStore _store;
    private readonly bool _sync;
    private readonly bool _enforceForeignKeys;
    private readonly Action<LsmTransaction> _onEnd;
    private readonly Dictionary<byte[], Staged> _staged = new(ByteArrayEqualityComparer.Instance);
    private readonly List<byte[]> _order = [];
    private ILsmReadView? _view;

    public LsmTransaction(LsmStore store, bool sync, bool enforceForeignKeys, Action<LsmTransaction> onEnd)
    {
        _store = store;
        _sync = sync;
        _enforceForeignKeys = enforceForeignKeys;
        _onEnd = onEnd;
        _view = store.KeyValueStore.OpenView();
    }

    public Guid TransactionId { get; } = Guid.NewGuid();

    /// <summary>The view of the store the transaction reads at (owned by the transaction).</summary>
    public ILsmReadView StoreView => _view ?? throw new InvalidOperationException("The transaction has already ended.");

    /// <summary>The number of keys the transaction shows as written (its rows and their index entries).</summary>
    public int StagedCount => _order.Count;

    /// <summary>A view for one query: the transaction's view with its own writes merged in. Disposing it ends nothing.</summary>
    public ILsmReadView OpenQueryView() => new TransactionalReadView(this);

    /// <summary>A row as the transaction sees it: its own write, else the view's value.</summary>
    public byte[]? Read(ReadOnlySpan<byte> key) =>
        _staged.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var staged) ? staged.Value : StoreView.Get(key);

    /// <summary>
    /// <see cref="Read"/> of each of <paramref name="keys"/>, in their order: staged writes answered here, the other keys
    /// in one multi-get of the view (all of them, with no copy of the list, when none is staged).
    /// </summary>
    public byte[]?[] ReadMany(IReadOnlyList<byte[]> keys)
    {
        if (!AnyStaged(keys))
        {
            return StoreView.GetMany(keys);
        }

        var values = new byte[]?[keys.Count];
        ReadMany(keys, new CollectingSink(values));
        return values;
    }

    /// <summary>
    /// <see cref="Read"/> of each of <paramref name="keys"/> into <paramref name="sink"/> (found values only, any order): staged
    /// writes answered here, the other keys in one multi-get of the view into the sink (all of them when none is staged).
    /// </summary>
    public int ReadMany(IReadOnlyList<byte[]> keys, ILsmValueSink sink)
    {
        if (!AnyStaged(keys))
        {
            return StoreView.GetMany(keys, sink);
        }

        var found = 0;
        var unstaged = new UnstagedSink(sink, keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            if (_staged.TryGetValue(keys[i], out var staged))
            {
                if (staged.Value is { } value)
                {
                    sink.Found(i, value);
                    found++;
                }
            }
            else
            {
                unstaged.Add(keys[i], i);
            }
        }

        return unstaged.Keys.Count == 0 ? found : found + StoreView.GetMany(unstaged.Keys, unstaged);
    }

    private bool AnyStaged(IReadOnlyList<byte[]> keys)
    {
        if (_order.Count == 0)
        {
            return false;
        }

        foreach (var key in keys)
        {
            if (_staged.ContainsKey(key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Stores a copy of each value found at its index: the array form of ReadMany over the sink form.</summary>
    private sealed class CollectingSink(byte[]?[] values) : ILsmValueSink
    {
        public void Found(int index, ReadOnlySpan<byte> value) => values[index] = value.ToArray();
    }

    /// <summary>The keys a transaction has not written, and a sink that reports their values at the caller's indices.</summary>
    private sealed class UnstagedSink(ILsmValueSink sink, int capacity) : ILsmValueSink
    {
        private readonly int[] _callerIndex = new int[capacity];

        public List<byte[]> Keys { get; } = new(capacity);

        public void Add(byte[] key, int callerIndex)
        {
            _callerIndex[Keys.Count] = callerIndex;
            Keys.Add(key);
        }

        public void Found(int index, ReadOnlySpan<byte> value) => sink.Found(_callerIndex[index], value);
    }

    /// <summary>
    /// The transaction's own writes with keys in [<paramref name="lower"/>, <paramref name="upper"/>), in key order (a null
    /// value is a delete), for a scan to merge over its view's cursor.
    /// </summary>
    public List<KeyValuePair<byte[], byte[]?>> StagedWrites(ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper)
    {
        var writes = new List<KeyValuePair<byte[], byte[]?>>();
        foreach (var key in _order)
        {
            if (key.AsSpan().SequenceCompareTo(lower) >= 0 && key.AsSpan().SequenceCompareTo(upper) < 0)
            {
                writes.Add(new(key, _staged[key].Value));
            }
        }

        writes.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return writes;
    }

    /// <summary>
    /// Checks one save's writes against the transaction's view — keys, concurrency tokens, unique indexes, foreign keys —
    /// and stages them with the writes referential integrity derives from them (dependents a delete cascades to or sets
    /// null), all or none. Their index entries are staged too, for the transaction's own reads only: the commit derives the
    /// entries again from the rows.
    /// </summary>
    public void Stage(IReadOnlyList<RowWrite> writes)
    {
        using var scratch = new PooledByteBufferWriter();
        using var view = OpenQueryView();
        var plan = new LsmSavePlan(view, scratch, _enforceForeignKeys, immediate: true);
        foreach (var write in writes)
        {
            plan.Add(write);
        }

        plan.Complete();
        foreach (var write in plan.Writes)
        {
            var generated = write.GeneratedKeyValues.Count > 0
                ? write.GeneratedKeyValues
                : _staged.GetValueOrDefault(write.Key)?.GeneratedKeyValues ?? [];
            Put(write.Key, new Staged(write, write.Value, generated, Derived: false));
        }

        foreach (var (key, value) in plan.IndexOperations())
        {
            Put(key, new Staged(null, value, [], Derived: true));
        }
    }

    public void Commit()
    {
        var version = StoreView.Version;
        var writes = new List<RowWrite>(_order.Count);
        foreach (var key in _order)
        {
            var staged = _staged[key];
            if (staged.Derived)
            {
                continue;
            }

            writes.Add(new RowWrite(key, staged.Value, RowCheck.Unchanged, entry: null, staged.Write!.Mapping)
            {
                SinceVersion = version,
                GeneratedKeyValues = staged.GeneratedKeyValues,
            });
        }

        try
        {
            if (writes.Count > 0)
            {
                // The view stays open until the commit returns: "unchanged since" conditions refer to it, and the
                // dependents of the rows it deletes must be unchanged since it too (a conflict is final: first committer wins).
                LsmSaveCommitter.Commit(_store, writes, _sync, _enforceForeignKeys, guardVersion: version);
            }
        }
        finally
        {
            End();
        }
    }

    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Commit();
        return Task.CompletedTask;
    }

    public void Rollback() => End();

    public Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        Rollback();
        return Task.CompletedTask;
    }

    public void Dispose() => End();

    public ValueTask DisposeAsync()
    {
        End();
        return ValueTask.CompletedTask;
    }

    private void End()
    {
        if (_view is null)
        {
            return;
        }

        _view.Dispose();
        _view = null;
        _staged.Clear();
        _order.Clear();
        _onEnd(this);
    }

    private void Put(byte[] key, Staged staged)
    {
        if (!_staged.ContainsKey(key))
        {
            _order.Add(key);
        }

        _staged[key] = staged;
    }

    /// <summary>A staged key: a row write (<paramref name="Write"/>), or, when <paramref name="Derived"/>, an index entry shown to reads only.</summary>
    private sealed record Staged(
        RowWrite? Write,
        byte[]? Value,
        IReadOnlyList<(Metadata.Internal.LsmEntityMapping.PropertyMapping Key, long Value)> GeneratedKeyValues,
        bool Derived);
}
