using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;

namespace EFCore.Lsm.Engine.Tests.Iterators;

/// <summary>
/// A reference <see cref="IInternalIterator"/> over an in-memory list of (internal key, value) pairs, sorted by
/// <see cref="InternalKey.Compare"/> on construction (stable, so duplicate keys keep their given order). Strict about
/// the interface contract (Key/Value/Next/Prev on an invalid iterator throw, use after Dispose throws) and counts
/// what it is asked to do, so tests can check that callers do not over-read or leak. Reusable by any component's tests.
/// </summary>
internal sealed class VectorIterator : IInternalIterator
{
    private readonly (byte[] Key, byte[] Value)[] _entries;
    private int _position = -1;

    public VectorIterator(IEnumerable<(byte[] Key, byte[] Value)> entries, bool sort = true)
    {
        var list = entries.ToArray();
        if (sort)
        {
            list = list.OrderBy(e => e.Key, InternalKeyComparer.Instance).ToArray();
        }

        _entries = list;
    }

    public VectorIterator(params (byte[] Key, byte[] Value)[] entries)
        : this((IEnumerable<(byte[] Key, byte[] Value)>)entries)
    {
    }

    public IReadOnlyList<(byte[] Key, byte[] Value)> Entries => _entries;

    public bool IsDisposed { get; private set; }

    public int DisposeCount { get; private set; }

    /// <summary>Next and Prev calls so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>SeekToFirst, SeekToLast and Seek calls so far.</summary>
    public int SeekCount { get; private set; }

    /// <summary>When non-null, called before every positioning call; throw from it to inject a failure.</summary>
    public Action? BeforeMove { get; set; }

    public bool Valid
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _position >= 0 && _position < _entries.Length;
        }
    }

    public ReadOnlySpan<byte> Key => Current.Key;

    public ReadOnlySpan<byte> Value => Current.Value;

    private (byte[] Key, byte[] Value) Current
    {
        get
        {
            if (!Valid)
            {
                throw new InvalidOperationException("VectorIterator is not valid.");
            }

            return _entries[_position];
        }
    }

    public void SeekToFirst()
    {
        BeginSeek();
        _position = 0;
    }

    public void SeekToLast()
    {
        BeginSeek();
        _position = _entries.Length - 1;
    }

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        BeginSeek();
        int low = 0, high = _entries.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (InternalKey.Compare(_entries[mid].Key, internalKey) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        _position = low;
    }

    public void Next()
    {
        BeginStep();
        _position++;
    }

    public void Prev()
    {
        BeginStep();
        _position--;
        if (_position < 0)
        {
            _position = -1;
        }
    }

    public void Dispose()
    {
        IsDisposed = true;
        DisposeCount++;
    }

    private void BeginSeek()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        BeforeMove?.Invoke();
        SeekCount++;
    }

    private void BeginStep()
    {
        if (!Valid)
        {
            throw new InvalidOperationException("Next/Prev on an invalid VectorIterator.");
        }

        BeforeMove?.Invoke();
        StepCount++;
    }

    /// <summary>An entry with a UTF-8 user key and value.</summary>
    public static (byte[] Key, byte[] Value) Put(string userKey, ulong sequence, string value)
        => (InternalKey.Create(Encoding.UTF8.GetBytes(userKey), sequence, ValueKind.Put), Encoding.UTF8.GetBytes(value));

    /// <summary>A tombstone with a UTF-8 user key.</summary>
    public static (byte[] Key, byte[] Value) Delete(string userKey, ulong sequence)
        => (InternalKey.Create(Encoding.UTF8.GetBytes(userKey), sequence, ValueKind.Delete), []);

    public static (byte[] Key, byte[] Value) Entry(byte[] userKey, ulong sequence, ValueKind kind, byte[] value)
        => (InternalKey.Create(userKey, sequence, kind), value);
}
