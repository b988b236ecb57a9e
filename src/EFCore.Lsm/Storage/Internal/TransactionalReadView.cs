using System.Buffers;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// What a query inside a transaction reads: the transaction's view of the store with the transaction's own staged writes
/// merged in (they win on equal keys; a staged delete hides the row). Disposing it leaves the transaction's view open.
/// </summary>
internal sealed class TransactionalReadView(LsmTransaction transaction) : ILsmReadView
{
    public long Version => transaction.StoreView.Version;

    public byte[]? Get(ReadOnlySpan<byte> key) => transaction.Read(key);

    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value)
    {
        if (transaction.Read(key) is not { } found)
        {
            return false;
        }

        value.Write(found);
        return true;
    }

    /// <summary>The transaction's staged writes where it has them; every other key in one multi-get of the store view.</summary>
    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => transaction.ReadMany(keys);

    /// <summary>The same, into a sink: staged values from the transaction, the others straight from the store view's multi-get.</summary>
    public int GetMany(IReadOnlyList<byte[]> keys, ILsmValueSink sink) => transaction.ReadMany(keys, sink);

    public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null) =>
        transaction.StagedCount == 0
            ? transaction.StoreView.Scan(lower, upper, reverse, limit)
            : new MergedCursor(transaction.StoreView.Scan(lower, upper, reverse), transaction.StagedWrites(lower, upper), reverse, limit);

    /// <summary>The store view's estimate: the transaction's staged writes are few next to what an estimate is for.</summary>
    public long? ApproximateCount(byte[] lower, byte[] upper) => transaction.StoreView.ApproximateCount(lower, upper);

    public void Dispose()
    {
    }

    /// <summary>The store cursor and the staged writes of its range, merged in scan order.</summary>
    private sealed class MergedCursor(ILsmCursor stored, List<KeyValuePair<byte[], byte[]?>> staged, bool reverse, int? limit) : ILsmCursor
    {
        private int _next = reverse ? staged.Count - 1 : 0;
        private bool _storedValid;
        private bool _started;
        private bool _onStaged;
        private int _returned;

        public ReadOnlySpan<byte> Key => _onStaged ? staged[_next + (reverse ? 1 : -1)].Key : stored.Key;

        public ReadOnlySpan<byte> Value => _onStaged ? staged[_next + (reverse ? 1 : -1)].Value : stored.Value;

        public bool MoveNext()
        {
            if (_returned == limit)
            {
                return false;
            }

            if (!_started)
            {
                _started = true;
                _storedValid = stored.MoveNext();
            }
            else if (!_onStaged)
            {
                _storedValid = stored.MoveNext();
            }

            while (true)
            {
                var hasStaged = reverse ? _next >= 0 : _next < staged.Count;
                if (!hasStaged && !_storedValid)
                {
                    _onStaged = false;
                    return false;
                }

                var order = !hasStaged ? 1 : !_storedValid ? -1 : staged[_next].Key.AsSpan().SequenceCompareTo(stored.Key);
                if (reverse && hasStaged && _storedValid)
                {
                    order = -order;
                }

                if (order > 0)
                {
                    _onStaged = false;
                    _returned++;
                    return true;
                }

                if (order == 0)
                {
                    // The staged write replaces the stored row of the same key.
                    _storedValid = stored.MoveNext();
                }

                var entry = staged[_next];
                _next += reverse ? -1 : 1;
                if (entry.Value is null)
                {
                    continue;
                }

                _onStaged = true;
                _returned++;
                return true;
            }
        }

        public void Dispose() => stored.Dispose();
    }
}
