using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Iterators;

/// <summary>
/// Merges several internal iterators into one stream in internal-key order, in both directions.
/// <para>
/// The valid children sit in a binary heap of child indices: a min-heap while moving forward, a max-heap while moving
/// backward, so each step costs O(log n) comparisons and allocates nothing. The order is total over
/// (internal key, child index): equal internal keys (impossible in practice, sequence numbers are unique) come out
/// lowest child index first going forward and exactly reversed going backward, so a lower index (a newer source) always
/// behaves as the newer entry and a direction switch never skips or repeats an entry.
/// </para>
/// <para>
/// Each valid child's current key is copied into a buffer of the merger's whenever that child moves, so ordering the
/// heap compares bytes the merger holds instead of asking each child for its key through the interface (for a level,
/// two more calls down to its file) on every comparison: a step costs one move, one key fetch and the comparisons.
/// <see cref="Key"/> is served from that copy too.
/// </para>
/// <para>
/// Like LevelDB's merger, only the current child is positioned "at" the current entry. When the direction changes,
/// every other child is repositioned relative to the current key: just after it before moving forward, just before it
/// before moving backward.
/// </para>
/// Owns its children and disposes them.
/// </summary>
internal sealed class MergingIterator : IInternalIterator
{
    private readonly IInternalIterator[] _children;

    // Fast path: a single child is passed straight through (no heap, no key copies).
    private readonly IInternalIterator? _single;

    // Child indices; _heap[0] is the current child while _heapSize > 0.
    private readonly int[] _heap;

    // Per child, a copy of its current key, taken when it last moved; meaningful only for children in the heap.
    private readonly byte[][] _keys;
    private readonly int[] _keyLengths;
    private int _heapSize;
    private bool _reverse;

    // Set while the heap holds one child whose current key was not copied: with every other child exhausted (the usual
    // case of a scan past the memtable's few entries) a step is that child's move alone, no key copy, no heap work, and
    // the key is read from the child itself.
    private bool _topKeyUnsaved;

    // The current key, copied on a direction switch because repositioning the other children must not depend on the
    // current child's span staying put (children may share decoding buffers).
    private byte[] _switchKey = [];
    private int _switchKeyLength;
    private bool _disposed;

    public MergingIterator(IInternalIterator[] children)
    {
        ArgumentNullException.ThrowIfNull(children);
        for (var i = 0; i < children.Length; i++)
        {
            if (children[i] is null)
            {
                throw new ArgumentException($"Child iterator {i} is null.", nameof(children));
            }
        }

        _children = children;
        _heap = new int[children.Length];
        if (children.Length == 1)
        {
            _single = children[0];
            _keys = [];
            _keyLengths = [];
        }
        else
        {
            _keys = new byte[children.Length][];
            _keyLengths = new int[children.Length];
            for (var i = 0; i < children.Length; i++)
            {
                _keys[i] = ArrayPool<byte>.Shared.Rent(64);
            }
        }
    }

    public bool Valid => _single?.Valid ?? _heapSize > 0;

    public ReadOnlySpan<byte> Key => _single is not null ? _single.Key : CurrentKey(Current);

    public ReadOnlySpan<byte> Value => _single is not null ? _single.Value : _children[Current].Value;

    private int Current
    {
        get
        {
            if (_heapSize == 0)
            {
                ThrowNotValid();
            }

            return _heap[0];
        }
    }

    public void SeekToFirst()
    {
        if (_single is not null)
        {
            _single.SeekToFirst();
            return;
        }

        _heapSize = 0;
        foreach (var child in _children)
        {
            child.SeekToFirst();
        }

        BuildHeap(reverse: false);
    }

    public void SeekToLast()
    {
        if (_single is not null)
        {
            _single.SeekToLast();
            return;
        }

        _heapSize = 0;
        foreach (var child in _children)
        {
            child.SeekToLast();
        }

        BuildHeap(reverse: true);
    }

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        if (_single is not null)
        {
            _single.Seek(internalKey);
            return;
        }

        _heapSize = 0;

        // Every child is announced first, so the tables' data blocks load while the memtables (the first children)
        // search their skiplists, instead of each load starting only after the previous child's seek is done.
        foreach (var child in _children)
        {
            child.PrepareSeek(internalKey);
        }

        foreach (var child in _children)
        {
            child.Seek(internalKey);
        }

        BuildHeap(reverse: false);
    }

    public void PrepareSeek(ReadOnlySpan<byte> internalKey)
    {
        // Seek announces to the children itself.
    }

    public void Next()
    {
        if (_single is not null)
        {
            _single.Next();
            return;
        }

        var current = Current;
        try
        {
            if (_heapSize == 1 && !_reverse)
            {
                StepSole(current, forward: true);
                return;
            }

            if (_reverse)
            {
                SwitchToForward(current);
            }

            _children[current].Next();
            ReplaceTop(current);
        }
        catch
        {
            // A child failed part-way: the heap no longer describes the children, so only a Seek may follow.
            _heapSize = 0;
            _topKeyUnsaved = false;
            throw;
        }
    }

    public void Prev()
    {
        if (_single is not null)
        {
            _single.Prev();
            return;
        }

        var current = Current;
        try
        {
            if (_heapSize == 1 && _reverse)
            {
                StepSole(current, forward: false);
                return;
            }

            if (!_reverse)
            {
                SwitchToReverse(current);
            }

            _children[current].Prev();
            ReplaceTop(current);
        }
        catch
        {
            _heapSize = 0;
            _topKeyUnsaved = false;
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _heapSize = 0;
        if (_switchKey.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_switchKey);
            _switchKey = [];
        }

        for (var i = 0; i < _keys.Length; i++)
        {
            ArrayPool<byte>.Shared.Return(_keys[i]);
            _keys[i] = [];
        }

        List<Exception>? errors = null;
        foreach (var child in _children)
        {
            try
            {
                child.Dispose();
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }

        if (errors is not null)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
        }
    }

    /// <summary>The only child left in the heap moves on in the current direction; its key is not copied.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StepSole(int current, bool forward)
    {
        var child = _children[current];
        if (forward)
        {
            child.Next();
        }
        else
        {
            child.Prev();
        }

        if (child.Valid)
        {
            _topKeyUnsaved = true;
        }
        else
        {
            _heapSize = 0;
            _topKeyUnsaved = false;
        }
    }

    /// <summary>The current key of child <paramref name="index"/>, the top of the heap: the merger's copy, or the child's own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> CurrentKey(int index) => _topKeyUnsaved ? _children[index].Key : KeyOf(index);

    /// <summary>
    /// Before moving forward from the current entry (key K of child c): every other child i goes to its first entry
    /// after (K, c) in (key, index) order, i.e. its first key &gt; K, or &gt;= K when i &gt; c.
    /// </summary>
    private void SwitchToForward(int current)
    {
        var key = CopySwitchKey(CurrentKey(current));
        for (var i = 0; i < _children.Length; i++)
        {
            if (i == current)
            {
                continue;
            }

            PositionAfter(_children[i], i, current, key);
        }

        BuildHeapAround(current, reverse: false);
    }

    /// <summary>
    /// Before moving backward from the current entry (key K of child c): every other child i goes to its last entry
    /// before (K, c) in (key, index) order, i.e. its last key &lt; K, or &lt;= K when i &lt; c.
    /// </summary>
    private void SwitchToReverse(int current)
    {
        var key = CopySwitchKey(CurrentKey(current));
        for (var i = 0; i < _children.Length; i++)
        {
            if (i == current)
            {
                continue;
            }

            var child = _children[i];
            PositionAfter(child, i, current, key);
            if (child.Valid)
            {
                child.Prev();
            }
            else
            {
                child.SeekToLast();
            }

            // A memtable written meanwhile may have gained entries between the seek target and where the seek landed
            // (newer versions, invisible to this read); stepping back stops on them, so keep stepping.
            while (child.Valid && InternalKey.Compare(child.Key, key) >= (i < current ? 1 : 0))
            {
                child.Prev();
            }
        }

        BuildHeapAround(current, reverse: true);
    }

    /// <summary>Moves child <paramref name="index"/> to its first entry after (key, current) in (key, index) order.</summary>
    private static void PositionAfter(IInternalIterator child, int index, int current, ReadOnlySpan<byte> key)
    {
        child.Seek(key);
        if (index < current)
        {
            while (child.Valid && InternalKey.Compare(child.Key, key) == 0)
            {
                child.Next();
            }
        }
    }

    private ReadOnlySpan<byte> CopySwitchKey(ReadOnlySpan<byte> key)
    {
        _switchKeyLength = key.Length;
        return PooledCopy.Into(ref _switchKey, key);
    }

    private void BuildHeap(bool reverse)
    {
        _reverse = reverse;
        _heapSize = 0;
        _topKeyUnsaved = false;
        for (var i = 0; i < _children.Length; i++)
        {
            if (_children[i].Valid)
            {
                SaveKey(i);
                _heap[_heapSize++] = i;
            }
        }

        for (var i = (_heapSize / 2) - 1; i >= 0; i--)
        {
            SiftDown(i);
        }
    }

    /// <summary>Rebuilds the heap after a direction switch; <paramref name="current"/> is still the top by construction.</summary>
    private void BuildHeapAround(int current, bool reverse)
    {
        BuildHeap(reverse);
        if (_heapSize == 0 || _heap[0] != current)
        {
            // Only possible when a child's Seek disagrees with its own iteration order, i.e. damaged data that the
            // child did not detect. Carrying on would return entries out of order, so refuse instead.
            var key = InternalKey.Describe(_switchKey.AsSpan(0, _switchKeyLength));
            throw new LsmCorruptionException("(merging iterator)", -1, $"child iterators are not consistently ordered around key {key}");
        }
    }

    /// <summary>The top child moved: restore the heap, dropping the child if it ran out.</summary>
    private void ReplaceTop(int top)
    {
        if (!_children[top].Valid)
        {
            _heapSize--;
            if (_heapSize == 0)
            {
                return;
            }

            _heap[0] = _heap[_heapSize];
        }
        else
        {
            SaveKey(top);
        }

        SiftDown(0);
    }

    /// <summary>Copies child <paramref name="index"/>'s current key (it is valid) into the merger's buffer for it.</summary>
    private void SaveKey(int index)
    {
        var key = _children[index].Key;
        var buffer = _keys[index];
        if (buffer.Length < key.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _keys[index] = buffer = ArrayPool<byte>.Shared.Rent(key.Length);
        }

        key.CopyTo(buffer);
        _keyLengths[index] = key.Length;
    }

    /// <summary>The saved key of child <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> KeyOf(int index)
        => MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(_keys[index]), _keyLengths[index]);

    private void SiftDown(int position)
    {
        var heap = _heap;
        var size = _heapSize;
        var item = heap[position];
        while (true)
        {
            var child = (2 * position) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && Before(heap[child + 1], heap[child]))
            {
                child++;
            }

            if (!Before(heap[child], item))
            {
                break;
            }

            heap[position] = heap[child];
            position = child;
        }

        heap[position] = item;
    }

    /// <summary>Whether child <paramref name="a"/> comes out before child <paramref name="b"/> in the current direction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Before(int a, int b)
    {
        var c = InternalKey.Compare(KeyOf(a), KeyOf(b));
        if (c == 0)
        {
            c = a - b;
        }

        return _reverse ? c > 0 : c < 0;
    }

    private static void ThrowNotValid() => throw new InvalidOperationException("The iterator is not positioned on an entry.");
}
