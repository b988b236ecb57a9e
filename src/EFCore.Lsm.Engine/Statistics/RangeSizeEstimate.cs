namespace EFCore.Lsm.Engine.Statistics;

/// <summary>
/// How much of the database a key range holds, as <see cref="LsmDatabase.ApproximateSize"/> estimates it from table
/// indexes and memtable skiplists without reading data. Both figures count stored versions: overwritten values and
/// deletion markers not yet compacted away are included, so a range that was rewritten or deleted reads larger than it is.
/// </summary>
public readonly struct RangeSizeEstimate
{
    /// <summary>An estimate of <paramref name="bytes"/> bytes holding <paramref name="entries"/> entries.</summary>
    public RangeSizeEstimate(long bytes, long entries)
    {
        Bytes = bytes;
        Entries = entries;
    }

    /// <summary>Approximate bytes of the range's entries in tables (data-block bytes) and memtables (arena bytes).</summary>
    public long Bytes { get; }

    /// <summary>Approximate number of stored entries (versions) in the range.</summary>
    public long Entries { get; }
}
