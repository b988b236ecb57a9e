using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Tool.Inspection;

/// <summary>What walking one WAL found.</summary>
internal readonly record struct WalSummary(
    long Length, long Records, long Entries, ulong FirstSequence, ulong LastSequence, long EndOfLastRecord)
{
    /// <summary>Bytes after the last complete record: a torn final write, which recovery ignores.</summary>
    public long TrailingBytes => Length - EndOfLastRecord;
}

/// <summary>Reads a WAL strictly (no tolerance for damage before the tail), checking every record's batch encoding.</summary>
internal static class WalFile
{
    /// <summary>Called per record with its file offset and its validated batch contents (valid only during the call).</summary>
    public delegate void RecordVisitor(long offset, ReadOnlySpan<byte> batch);

    /// <summary>
    /// Walks every record of the WAL at <paramref name="path"/>. Damage raises <see cref="LsmCorruptionException"/> naming
    /// the file and the offset, after <paramref name="visitor"/> has seen every record before it.
    /// </summary>
    public static WalSummary Walk(string path, RecordVisitor? visitor)
    {
        var name = Path.GetFileName(path);
        using var file = LocalFileSystem.Instance.OpenRandomAccess(path);
        var reader = new LogReader(file, name, tolerateCorruption: false);
        long records = 0, entries = 0;
        ulong first = 0, last = 0;
        while (reader.TryReadRecord(out var record, out var offset))
        {
            var count = WriteBatch.Validate(record, name, offset);
            var sequence = WriteBatch.ReadSequence(record);
            if (records == 0)
            {
                first = sequence;
            }

            records++;
            entries += count;
            if (count > 0)
            {
                last = Math.Max(last, sequence + (ulong)count - 1);
            }

            visitor?.Invoke(offset, record);
        }

        return new WalSummary(file.Length, records, entries, first, last, reader.LastRecordEndOffset);
    }
}
