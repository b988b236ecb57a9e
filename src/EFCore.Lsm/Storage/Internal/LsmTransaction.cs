using EFCore.Lsm.Engine;
using EFCore.Lsm.Storage.Internal.MessagePack;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// An optimistic transaction: reads see one engine snapshot plus the transaction's own writes; <c>SaveChanges</c> checks
/// against that view and stages its writes here; <see cref="Commit"/> appends them all as one batch, first committer wins.
/// </summary>
/// <remarks>
/// The conflict check: for every key it writes, the transaction remembers the row value its snapshot held when the key
/// was first written. At commit, under the store's commit lock, each key's latest committed value must still equal
/// that value, or the commit fails with <c>DbUpdateConcurrencyException</c> and writes nothing. The engine keeps no
/// per-key sequence numbers, so this compares values: a row changed by another commit and changed back to the same
/// bytes is not a conflict (the write would be correct against it anyway). Reads that are not written are not
/// checked (snapshot isolation, as RocksDB's optimistic transactions).
/// </remarks>
internal sealed class LsmTransaction : IDbContextTransaction
{
    private readonly LsmStore _store;
    private readonly bool _sync;
    private readonly Action<LsmTransaction> _onEnd;
    private readonly Dictionary<byte[], Staged> _staged = new(ByteArrayEqualityComparer.Instance);
    private readonly List<byte[]> _order = [];
    private Snapshot? _snapshot;

    public LsmTransaction(LsmStore store, bool sync, Action<LsmTransaction> onEnd)
    {
        _store = store;
        _sync = sync;
        _onEnd = onEnd;
        _snapshot = store.Engine.GetSnapshot();
    }

    public Guid TransactionId { get; } = Guid.NewGuid();

    /// <summary>The snapshot the transaction reads at.</summary>
    public Snapshot Snapshot => _snapshot ?? throw new InvalidOperationException("The transaction has already ended.");

    /// <summary>The number of keys the transaction will write.</summary>
    public int StagedCount => _order.Count;

    /// <summary>A row as the transaction sees it: its own write, else the snapshot's value.</summary>
    public byte[]? Read(byte[] key) =>
        _staged.TryGetValue(key, out var staged) ? staged.Value : _store.Engine.Get(key, new ReadOptions { Snapshot = Snapshot });

    /// <summary>
    /// The transaction's own writes with keys in [<paramref name="lower"/>, <paramref name="upper"/>), in key order (a null
    /// value is a delete), for a scan to merge over its snapshot iterator.
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

    /// <summary>Checks one save's writes against the transaction's view and stages them (all or none).</summary>
    public void Stage(IReadOnlyList<RowWrite> writes)
    {
        var snapshotOptions = new ReadOptions { Snapshot = Snapshot };
        using var scratch = new PooledByteBufferWriter();
        var view = new Dictionary<byte[], byte[]?>(ByteArrayEqualityComparer.Instance);
        var staged = new List<(RowWrite Write, byte[]? Expected)>(writes.Count);
        foreach (var write in writes)
        {
            byte[]? current;
            byte[]? expected;
            if (view.TryGetValue(write.Key, out var shadow))
            {
                current = shadow;
                expected = staged.First(s => ByteArrayEqualityComparer.Instance.Equals(s.Write.Key, write.Key)).Expected;
            }
            else if (_staged.TryGetValue(write.Key, out var earlier))
            {
                current = earlier.Value;
                expected = earlier.Expected;
            }
            else
            {
                current = _store.Engine.Get(write.Key, snapshotOptions);
                expected = current;
            }

            LsmStore.Check(write, current, scratch);
            view[write.Key] = write.Value;
            staged.Add((write, expected));
        }

        foreach (var (write, expected) in staged)
        {
            if (!_staged.ContainsKey(write.Key))
            {
                _order.Add(write.Key);
            }

            var generated = write.GeneratedKeyValue ?? _staged.GetValueOrDefault(write.Key)?.GeneratedKeyValue;
            _staged[write.Key] = new Staged(write, write.Value, expected, generated);
        }
    }

    public void Commit()
    {
        var writes = new List<RowWrite>(_order.Count);
        foreach (var key in _order)
        {
            var staged = _staged[key];
            writes.Add(new RowWrite(key, staged.Value, RowCheck.Unchanged, entry: null, staged.Write.Mapping)
            {
                Expected = staged.Expected,
                GeneratedKeyValue = staged.GeneratedKeyValue,
            });
        }

        try
        {
            if (writes.Count > 0)
            {
                _store.Commit(writes, _sync);
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
        if (_snapshot is null)
        {
            return;
        }

        _snapshot.Dispose();
        _snapshot = null;
        _staged.Clear();
        _order.Clear();
        _onEnd(this);
    }

    private sealed record Staged(RowWrite Write, byte[]? Value, byte[]? Expected, long? GeneratedKeyValue);
}

/// <summary>Content equality for byte-array keys.</summary>
internal sealed class ByteArrayEqualityComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteArrayEqualityComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
