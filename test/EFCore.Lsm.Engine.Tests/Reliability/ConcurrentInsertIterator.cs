using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// An <see cref="IInternalIterator"/> over a sorted list that behaves like a memtable being written while it is read:
/// after every <see cref="Seek"/> it runs a hook that may insert entries (newer versions, invisible to the reader), and
/// <see cref="Prev"/>/<see cref="Next"/> move relative to the current key, so they meet what was inserted next to it.
/// </summary>
internal sealed class ConcurrentInsertIterator(IEnumerable<(byte[] Key, byte[] Value)> entries) : IInternalIterator
{
    private readonly List<(byte[] Key, byte[] Value)> _entries = entries.OrderBy(e => e.Key, InternalKeyComparer.Instance).ToList();
    private byte[]? _current;

    /// <summary>Runs after each seek, with the seek target; may call <see cref="Insert"/>.</summary>
    public Action<ConcurrentInsertIterator, byte[]>? AfterSeek { get; set; }

    public bool Valid => _current is not null;

    public ReadOnlySpan<byte> Key => _current ?? throw new InvalidOperationException("not valid");

    public ReadOnlySpan<byte> Value => _entries[IndexOf(_current!)].Value;

    public void Insert(byte[] key, byte[] value)
    {
        var index = _entries.FindIndex(e => InternalKey.Compare(e.Key, key) > 0);
        _entries.Insert(index < 0 ? _entries.Count : index, (key, value));
    }

    public void SeekToFirst() => _current = _entries.Count > 0 ? _entries[0].Key : null;

    public void SeekToLast() => _current = _entries.Count > 0 ? _entries[^1].Key : null;

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        var target = internalKey.ToArray();
        var index = _entries.FindIndex(e => InternalKey.Compare(e.Key, target) >= 0);
        _current = index < 0 ? null : _entries[index].Key;
        AfterSeek?.Invoke(this, target);
    }

    public void Next()
    {
        var index = IndexOf(_current!) + 1;
        _current = index < _entries.Count ? _entries[index].Key : null;
    }

    public void Prev()
    {
        // Like a skiplist: the largest entry smaller than the current key, whatever was inserted meanwhile.
        var index = IndexOf(_current!) - 1;
        _current = index >= 0 ? _entries[index].Key : null;
    }

    public void Dispose()
    {
    }

    private int IndexOf(byte[] key) => _entries.FindIndex(e => ReferenceEquals(e.Key, key));
}
