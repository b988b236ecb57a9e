namespace EFCore.Lsm.Engine.Iterators;

/// <summary>
/// An iterator with no entries: stands in for a source that has nothing to contribute (an empty level, an empty
/// memtable) so callers need no null checks. Stateless, so one shared instance serves everyone; disposing it is a no-op.
/// </summary>
internal sealed class EmptyIterator : IInternalIterator
{
    public static readonly EmptyIterator Instance = new();

    private EmptyIterator()
    {
    }

    public bool Valid => false;

    public ReadOnlySpan<byte> Key => throw NotPositioned();

    public ReadOnlySpan<byte> Value => throw NotPositioned();

    public void SeekToFirst()
    {
    }

    public void SeekToLast()
    {
    }

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
    }

    public void Next() => throw NotPositioned();

    public void Prev() => throw NotPositioned();

    public void Dispose()
    {
    }

    private static InvalidOperationException NotPositioned() => new("The iterator is empty and never valid.");
}
