namespace EFCore.Lsm.Engine.Iterators;

/// <summary>
/// A cursor over internal keys (user key + trailer, see <see cref="Format.InternalKey"/>) in internal-key order.
/// Implemented by the memtable, SST blocks and tables, level concatenation and the merging iterator; the database
/// iterator (<see cref="LsmIterator"/>) turns one of these into a user-visible view at a snapshot.
/// <para>
/// <see cref="Key"/> and <see cref="Value"/> stay valid only until the next positioning call. Positioning calls on an
/// iterator that is not <see cref="Valid"/> are allowed only for the Seek* methods. Corrupt data raises
/// <see cref="LsmCorruptionException"/>.
/// </para>
/// </summary>
internal interface IInternalIterator : IDisposable
{
    bool Valid { get; }

    /// <summary>The current internal key.</summary>
    ReadOnlySpan<byte> Key { get; }

    ReadOnlySpan<byte> Value { get; }

    void SeekToFirst();

    void SeekToLast();

    /// <summary>Positions at the first entry whose internal key is &gt;= <paramref name="internalKey"/>.</summary>
    void Seek(ReadOnlySpan<byte> internalKey);

    /// <summary>
    /// Announces that <see cref="Seek"/> with the same key comes next: an iterator may find what that seek will read
    /// and start loading it (a table's data block), so that a merger seeking several children lets those loads run
    /// while it seeks the others. Afterwards the iterator is not <see cref="Valid"/> until the Seek; only a Seek* may
    /// follow. The default does nothing.
    /// </summary>
    void PrepareSeek(ReadOnlySpan<byte> internalKey)
    {
    }

    void Next();

    void Prev();
}

internal static class InternalIteratorExtensions
{
    /// <summary>Positions at the last entry whose internal key is &lt;= <paramref name="internalKey"/>.</summary>
    public static void SeekForPrev(this IInternalIterator iterator, ReadOnlySpan<byte> internalKey)
    {
        iterator.Seek(internalKey);
        if (!iterator.Valid)
        {
            iterator.SeekToLast();
        }
        else if (Format.InternalKey.Compare(iterator.Key, internalKey) > 0)
        {
            iterator.Prev();
        }
    }
}
