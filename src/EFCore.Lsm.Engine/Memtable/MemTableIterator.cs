using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;

namespace EFCore.Lsm.Engine.Memtable;

/// <summary>
/// A cursor over a <see cref="MemTable"/>. Its only state is the current node's address, so moving allocates nothing.
/// It may be used while the writer adds (each iterator by one thread at a time): entries added after positioning may
/// or may not be seen by later moves, but what is seen is always in order and complete. <see cref="Prev"/> searches
/// from the head for the last node before the current one (the list has no back links), so it costs O(log n).
/// <see cref="Key"/> and <see cref="Value"/> point into the memtable's arena and stay valid while the memtable is alive.
/// </summary>
internal sealed class MemTableIterator : IInternalIterator
{
    private readonly MemTable _table;

    // 0 when not positioned on an entry.
    private long _node;

    public MemTableIterator(MemTable table)
    {
        _table = table;
    }

    public bool Valid => _node != 0;

    public ReadOnlySpan<byte> Key => _table.KeyOf(Current());

    public ReadOnlySpan<byte> Value => _table.ValueOf(Current());

    public void SeekToFirst() => _node = _table.NextAt(_table.Head, 0);

    public void SeekToLast() => _node = NodeOrNull(_table.FindLast());

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        if (internalKey.Length < InternalKey.TrailerSize)
        {
            throw new ArgumentException("Not an internal key: shorter than its trailer.", nameof(internalKey));
        }

        _node = _table.FindGreaterOrEqual(InternalKey.UserKey(internalKey), InternalKey.Trailer(internalKey), default);
    }

    public void Next()
    {
        var node = _table.NextAt(Current(), 0);
        _node = node;
        if (node != 0)
        {
            // Nodes sit in the arena in insertion order, so a scan in key order jumps around memory: start loading the
            // node after this one now (this one's link is in the line its key is read from anyway), so that it is in
            // cache when the scan gets there.
            _table.Prefetch(_table.NextAt(node, 0));
        }
    }

    public void Prev()
    {
        var key = _table.KeyOf(Current());
        _node = NodeOrNull(_table.FindLessThan(InternalKey.UserKey(key), InternalKey.Trailer(key)));
    }

    public void Dispose() => _node = 0;

    private long NodeOrNull(long node) => node == _table.Head ? 0 : node;

    private long Current()
    {
        if (_node == 0)
        {
            ThrowNotValid();
        }

        return _node;
    }

    private static void ThrowNotValid() => throw new InvalidOperationException("The iterator is not positioned on an entry.");
}
