using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Facts about one table, written into its properties block (docs/table_format.md, "Properties block") and returned
/// by <see cref="TableBuilder.Finish"/> and <see cref="TableReader.Properties"/>. Sizes include block trailers.
/// </summary>
internal sealed class TableProperties
{
    // Field numbers of the tagged encoding; written to disk, never renumber.
    private const int FieldEntryCount = 1;
    private const int FieldDeletionCount = 2;
    private const int FieldSmallestSequence = 3;
    private const int FieldLargestSequence = 4;
    private const int FieldSmallestKey = 5;
    private const int FieldLargestKey = 6;
    private const int FieldDataSize = 7;
    private const int FieldIndexSize = 8;
    private const int FieldFilterSize = 9;
    private const int FieldDataBlockCount = 10;
    private const int FieldFormatVersion = 11;
    private const int FieldRawKeySize = 12;
    private const int FieldRawValueSize = 13;
    private const int FieldCompression = 14;
    private const int FieldCompressedDataBlockCount = 15;

    private const int WireVarint = 0;
    private const int WireBytes = 1;

    public long EntryCount { get; set; }

    /// <summary>Entries of kind <see cref="ValueKind.Delete"/>.</summary>
    public long DeletionCount { get; set; }

    /// <summary>0 for an empty table.</summary>
    public ulong SmallestSequence { get; set; }

    public ulong LargestSequence { get; set; }

    /// <summary>First internal key of the table; empty for an empty table.</summary>
    public byte[] SmallestKey { get; set; } = [];

    /// <summary>Last internal key of the table; empty for an empty table.</summary>
    public byte[] LargestKey { get; set; } = [];

    /// <summary>Bytes of all data blocks with their trailers (the data blocks occupy [0, DataSize) of the file).</summary>
    public long DataSize { get; set; }

    /// <summary>Bytes of the index block with its trailer.</summary>
    public long IndexSize { get; set; }

    /// <summary>Bytes of the filter block with its trailer; 0 when the table has no filter.</summary>
    public long FilterSize { get; set; }

    public long DataBlockCount { get; set; }

    public uint FormatVersion { get; set; } = TableFormat.CurrentVersion;

    /// <summary>Sum of internal key lengths as added (before prefix compression).</summary>
    public long RawKeySize { get; set; }

    public long RawValueSize { get; set; }

    /// <summary>The codec the writer used for data blocks (version 2 tables; <see cref="TableCompression.None"/> otherwise).</summary>
    public TableCompression Compression { get; set; }

    /// <summary>Data blocks stored compressed (the others did not shrink enough and are stored as they are).</summary>
    public long CompressedDataBlockCount { get; set; }

    /// <summary>Total file size; not stored in the block (the footer position gives it), filled in by writer and reader.</summary>
    public long FileSize { get; set; }

    /// <summary>Appends the tagged encoding to <paramref name="output"/>.</summary>
    public void EncodeTo(List<byte> output)
    {
        void Field(int number, ulong value)
        {
            PutVarint(output, (ulong)((number << 1) | WireVarint));
            PutVarint(output, value);
        }

        void Bytes(int number, byte[] value)
        {
            PutVarint(output, (ulong)((number << 1) | WireBytes));
            PutVarint(output, (ulong)value.Length);
            output.AddRange(value);
        }

        Field(FieldFormatVersion, FormatVersion);
        Field(FieldEntryCount, (ulong)EntryCount);
        Field(FieldDeletionCount, (ulong)DeletionCount);
        Field(FieldSmallestSequence, SmallestSequence);
        Field(FieldLargestSequence, LargestSequence);
        Bytes(FieldSmallestKey, SmallestKey);
        Bytes(FieldLargestKey, LargestKey);
        Field(FieldDataSize, (ulong)DataSize);
        Field(FieldIndexSize, (ulong)IndexSize);
        Field(FieldFilterSize, (ulong)FilterSize);
        Field(FieldDataBlockCount, (ulong)DataBlockCount);
        Field(FieldRawKeySize, (ulong)RawKeySize);
        Field(FieldRawValueSize, (ulong)RawValueSize);
        if (FormatVersion >= TableFormat.VersionCompressed)
        {
            Field(FieldCompression, (ulong)Compression);
            Field(FieldCompressedDataBlockCount, (ulong)CompressedDataBlockCount);
        }
    }

    private static void PutVarint(List<byte> output, ulong value)
    {
        Span<byte> scratch = stackalloc byte[Varint.MaxLength64];
        var n = Varint.Write(scratch, value);
        for (var i = 0; i < n; i++)
        {
            output.Add(scratch[i]);
        }
    }

    /// <summary>
    /// Parses the tagged encoding. Unknown field numbers are skipped (their wire type says how), so writers of the same
    /// format version may add fields; malformed input raises <see cref="LsmCorruptionException"/>.
    /// </summary>
    public static TableProperties Decode(ReadOnlySpan<byte> data, string fileName, long fileOffset)
    {
        var p = new TableProperties();
        var pos = 0;
        while (pos < data.Length)
        {
            var fieldStart = pos;
            var n = Varint.TryRead(data[pos..], out var tag);
            if (n == 0 || tag > int.MaxValue)
            {
                throw new LsmCorruptionException(fileName, fileOffset + fieldStart, "malformed properties field tag");
            }

            pos += n;
            var number = (int)(tag >> 1);
            if ((tag & 1) == WireVarint)
            {
                n = Varint.TryRead(data[pos..], out var value);
                if (n == 0)
                {
                    throw new LsmCorruptionException(fileName, fileOffset + pos, "malformed properties varint");
                }

                pos += n;
                if (number != FieldFormatVersion && number <= FieldCompressedDataBlockCount && value > long.MaxValue)
                {
                    throw new LsmCorruptionException(fileName, fileOffset + fieldStart, "properties value out of range");
                }

                switch (number)
                {
                    case FieldEntryCount: p.EntryCount = (long)value; break;
                    case FieldDeletionCount: p.DeletionCount = (long)value; break;
                    case FieldSmallestSequence: p.SmallestSequence = value; break;
                    case FieldLargestSequence: p.LargestSequence = value; break;
                    case FieldDataSize: p.DataSize = (long)value; break;
                    case FieldIndexSize: p.IndexSize = (long)value; break;
                    case FieldFilterSize: p.FilterSize = (long)value; break;
                    case FieldDataBlockCount: p.DataBlockCount = (long)value; break;
                    case FieldRawKeySize: p.RawKeySize = (long)value; break;
                    case FieldRawValueSize: p.RawValueSize = (long)value; break;
                    case FieldCompressedDataBlockCount: p.CompressedDataBlockCount = (long)value; break;
                    case FieldCompression:
                        p.Compression = value <= (ulong)TableCompression.Zstd
                            ? (TableCompression)value
                            : throw new LsmCorruptionException(fileName, fileOffset + fieldStart, $"unknown table compression {value}");
                        break;
                    case FieldFormatVersion:
                        p.FormatVersion = value <= uint.MaxValue
                            ? (uint)value
                            : throw new LsmCorruptionException(fileName, fileOffset + fieldStart, "properties format version out of range");
                        break;
                }
            }
            else
            {
                n = Varint.TryRead(data[pos..], out var length);
                if (n == 0 || length > (ulong)(data.Length - pos - n))
                {
                    throw new LsmCorruptionException(fileName, fileOffset + fieldStart, "malformed properties byte field");
                }

                pos += n;
                var bytes = data.Slice(pos, (int)length);
                pos += (int)length;
                switch (number)
                {
                    case FieldSmallestKey: p.SmallestKey = bytes.ToArray(); break;
                    case FieldLargestKey: p.LargestKey = bytes.ToArray(); break;
                }
            }
        }

        if (p.EntryCount > 0 && (!InternalKey.IsWellFormed(p.SmallestKey) || !InternalKey.IsWellFormed(p.LargestKey)))
        {
            throw new LsmCorruptionException(fileName, fileOffset, "properties smallest/largest key malformed");
        }

        return p;
    }
}
