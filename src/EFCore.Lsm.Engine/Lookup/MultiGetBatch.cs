using System.Buffers;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Lookup;

/// <summary>
/// The keys of one multi-get, sorted and with duplicates merged, and where their values go. The memtables and tables
/// resolve them in key order, each source one pass over the keys still open (see <see cref="PendingKeys"/>), so that
/// consecutive keys reuse an earlier key's position: a skiplist finger, an index entry, a loaded data block.
/// <para>
/// A key is a group: one distinct user key and the caller's indices that listed it (<c>Order[GroupStart[g] ..
/// GroupStart[g + 1])</c>). All arrays are rented from <see cref="ArrayPool{T}.Shared"/> and returned by
/// <see cref="Dispose"/>, so a multi-get allocates nothing per key.
/// </para>
/// </summary>
internal ref struct MultiGetBatch
{
    private readonly IMultiGetSink _sink;
    private byte[][] _keys;
    private int[] _order;
    private int[] _groupStart;
    private int[] _pending;

    /// <summary>Sorts <paramref name="keys"/> (unless they already are) and merges equal ones.</summary>
    public MultiGetBatch(IReadOnlyList<byte[]> keys, IMultiGetSink sink)
    {
        _sink = sink;
        var count = keys.Count;
        _keys = ArrayPool<byte[]>.Shared.Rent(Math.Max(count, 1));
        _order = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        _groupStart = ArrayPool<int>.Shared.Rent(count + 1);
        _pending = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        var sorted = true;
        for (var i = 0; i < count; i++)
        {
            var key = keys[i] ?? throw new ArgumentException($"The key at index {i} is null.", nameof(keys));
            _keys[i] = key;
            _order[i] = i;
            if (sorted && i > 0 && Bytewise.Compare(_keys[i - 1], key) > 0)
            {
                sorted = false;
            }
        }

        if (!sorted)
        {
            // Unstable, which is harmless: equal keys become one group and all get the same value.
            Array.Sort(_keys, _order, 0, count, UserKeyComparer.Instance);
        }

        var groups = 0;
        for (var i = 0; i < count; i++)
        {
            if (groups == 0 || !_keys[groups - 1].AsSpan().SequenceEqual(_keys[i]))
            {
                _keys[groups] = _keys[i];
                _groupStart[groups] = i;
                _pending[groups] = groups;
                groups++;
            }
        }

        _groupStart[groups] = count;
        PendingCount = groups;
    }

    /// <summary>Keys listed by the caller that have a value so far (duplicates counted once per occurrence).</summary>
    public int FoundCount { get; private set; }

    /// <summary>Groups not yet resolved, ascending by key; passes over sources shrink it.</summary>
    public int PendingCount { get; set; }

    /// <summary>
    /// The open groups, ascending by key: a source's pass resolves what it can and moves the rest to the front, in order,
    /// then sets <see cref="PendingCount"/>.
    /// </summary>
    public readonly Span<int> PendingKeys => _pending.AsSpan(0, PendingCount);

    /// <summary>The user key of group <paramref name="group"/>.</summary>
    public readonly ReadOnlySpan<byte> Key(int group) => _keys[group];

    /// <summary>The group's newest visible entry is a value: hands it to the sink for every caller index of the key.</summary>
    public void Found(int group, ReadOnlySpan<byte> value)
    {
        var end = _groupStart[group + 1];
        for (var i = _groupStart[group]; i < end; i++)
        {
            _sink.Found(_order[i], value);
            FoundCount++;
        }
    }

    public void Dispose()
    {
        if (_keys is null)
        {
            return;
        }

        ArrayPool<byte[]>.Shared.Return(_keys, clearArray: true);
        ArrayPool<int>.Shared.Return(_order);
        ArrayPool<int>.Shared.Return(_groupStart);
        ArrayPool<int>.Shared.Return(_pending);
        _keys = null!;
        _order = null!;
        _groupStart = null!;
        _pending = null!;
    }

    /// <summary>Bytewise order of user keys, for sorting a batch's keys.</summary>
    private sealed class UserKeyComparer : IComparer<byte[]>
    {
        public static readonly UserKeyComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => Bytewise.Compare(x, y);
    }
}

/// <summary>Moves the open groups of one pass to the front of the pending list, keeping their order.</summary>
internal ref struct PendingWriter(Span<int> pending)
{
    private readonly Span<int> _pending = pending;

    /// <summary>How many groups were kept.</summary>
    public int Count { get; private set; }

    /// <summary>Keeps one group open (its position is at or after the write position, so nothing unread is overwritten).</summary>
    public void Keep(int group) => _pending[Count++] = group;

    /// <summary>Keeps a run of groups open; <paramref name="run"/> lies at or after the write position.</summary>
    public void Keep(ReadOnlySpan<int> run)
    {
        run.CopyTo(_pending[Count..]);
        Count += run.Length;
    }
}
