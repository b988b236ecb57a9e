using System.Buffers;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Statistics;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>
    /// Estimates the size of the keys in [<paramref name="start"/>, <paramref name="end"/>) without reading any data block
    /// (the approach of LevelDB's and RocksDB's GetApproximateSizes). For each table whose key range overlaps, the range's
    /// ends are located in the table's index block (already in memory for an open table) and the bytes between their data
    /// blocks are scaled to entries by the table's entry count over its data size; a range that falls inside one data
    /// block counts as half a block. Each memtable is estimated from the highest skiplist level where the range holds a few
    /// dozen nodes, scaled by the branching factor: a bounded walk of a few hundred nodes at most.
    /// </summary>
    /// <remarks>
    /// Error: per table up to one data block (about 4 KiB) at each end of the range; per memtable a random error of about
    /// 20% (the range is sampled at a level where it holds 32 or more nodes; exact when it holds fewer than 32 entries). Overwrites and deletion
    /// markers not yet compacted count as entries (see <see cref="RangeSizeEstimate"/>). The estimate reads the current
    /// state, not a snapshot. An empty or inverted range estimates 0.
    /// </remarks>
    public RangeSizeEstimate ApproximateSize(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        ThrowIfDisposed();
        if (start.SequenceCompareTo(end) >= 0)
        {
            return default;
        }

        var state = AcquireReadState();
        try
        {
            double entries = 0, bytes = 0;
            AddMemTable(state.Mem, start, end, ref entries, ref bytes);
            foreach (var imm in state.Immutables)
            {
                AddMemTable(imm, start, end, ref entries, ref bytes);
            }

            var length = Math.Max(start.Length, end.Length) + InternalKey.TrailerSize;
            var buffer = ArrayPool<byte>.Shared.Rent(2 * length);
            try
            {
                var startKey = buffer.AsSpan(0, InternalKey.Write(buffer, start, InternalKey.MaxSequence, InternalKey.KindForSeek));
                var endKey = buffer.AsSpan(length, InternalKey.Write(buffer.AsSpan(length), end, InternalKey.MaxSequence, InternalKey.KindForSeek));
                foreach (var level in state.Version.Files)
                {
                    foreach (var file in level)
                    {
                        AddTable(file, start, end, startKey, endKey, ref entries, ref bytes);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return new RangeSizeEstimate((long)Math.Round(bytes), (long)Math.Round(entries));
        }
        finally
        {
            state.Unref();
        }
    }

    private static void AddMemTable(Memtable.MemTable table, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, ref double entries, ref double bytes)
    {
        var count = table.EntryCount;
        if (count == 0)
        {
            return;
        }

        var inRange = Math.Min(table.EstimateCount(start, end), count);
        entries += inRange;
        bytes += (double)inRange * table.ApproximateMemoryUsage / count;
    }

    private void AddTable(
        FileMetadata file, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, ReadOnlySpan<byte> startKey, ReadOnlySpan<byte> endKey,
        ref double entries, ref double bytes)
    {
        // Skip tables entirely outside [start, end): their smallest user key is >= end or their largest is < start.
        if (InternalKey.UserKey(file.Smallest).SequenceCompareTo(end) >= 0 || InternalKey.UserKey(file.Largest).SequenceCompareTo(start) < 0)
        {
            return;
        }

        using var lease = _tableCache.Acquire(file.Number, file.Size);
        var reader = lease.Reader;
        var properties = reader.Properties;
        if (properties.EntryCount == 0 || properties.DataSize == 0)
        {
            return;
        }

        double span = reader.ApproximateOffsetOf(endKey) - reader.ApproximateOffsetOf(startKey);
        if (span <= 0)
        {
            // Both ends in one data block: the range holds part of it.
            span = properties.DataSize / (2.0 * Math.Max(1, properties.DataBlockCount));
        }

        bytes += span;
        entries += span * properties.EntryCount / properties.DataSize;
    }
}
