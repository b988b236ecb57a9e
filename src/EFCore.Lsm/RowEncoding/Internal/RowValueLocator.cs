using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Finds where the values of chosen properties lie in a stored row (docs/row_encoding.md, "Row layout") by reading the
/// MessagePack headers alone: a value's length follows from its first bytes (a str's or ext's length field, a collection's
/// count), so a value nobody asked for is stepped over without being decoded, and nothing is copied or allocated. The
/// values found are then read by the MessagePack package (<see cref="RowValueCodec"/>) or compared as bytes (docs/row_encoding.md,
/// "Reading one value without decoding the others"). Bytes that
/// break the format (a truncated value, the unused code 0xc1, ids that do not ascend, bytes after the map) raise
/// <see cref="MessagePackFormatException"/>, as <see cref="RowReader"/> does.
/// </summary>
internal static class RowValueLocator
{
    /// <summary>
    /// For each pair of <paramref name="row"/> whose id maps to an index <c>i &gt;= 0</c> through <paramref name="indexById"/>
    /// (ids beyond it map to -1), records the value's offset and length in <paramref name="starts"/>[i] and
    /// <paramref name="lengths"/>[i]; the caller fills <paramref name="starts"/> with -1 first, so -1 means "the row lacks it".
    /// Stops early once <paramref name="wanted"/> values were found.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Locate(ReadOnlySpan<byte> row, ReadOnlySpan<int> indexById, int wanted, Span<int> starts, Span<int> lengths)
    {
        if (row.IsEmpty || !RowFormat.IsVersion1(row[0]))
        {
            throw new MessagePackFormatException(
                0, row.IsEmpty ? "a row value is empty; a row is a MessagePack map" : $"a row starts with {MessagePackFormatException.Describe(row[0])}, not a map header");
        }

        var offset = 0;
        var count = ReadMapHeader(row, ref offset);
        var found = 0;
        var previousId = -1L;
        for (var pair = 0; pair < count; pair++)
        {
            var idOffset = offset;
            var id = ReadPropertyId(row, ref offset);
            if (id <= previousId)
            {
                throw IdsDoNotAscend(idOffset, id, previousId);
            }

            previousId = id;
            var length = ValueLength(row, offset);
            var index = id < indexById.Length ? indexById[(int)id] : -1;
            if (index >= 0)
            {
                starts[index] = offset;
                lengths[index] = length;
                if (++found == wanted)
                {
                    return;
                }
            }

            offset += length;
        }

        if (offset != row.Length)
        {
            throw new MessagePackFormatException(offset, $"{row.Length - offset} bytes follow the row's {count} properties");
        }
    }

    /// <summary>The payload of a str value (fixstr, str8/16/32) at <paramref name="value"/>'s start; false for anything else (nil too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGetStringPayload(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> payload)
    {
        var code = value[0];
        var header = code switch
        {
            >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr => 1,
            MessagePackCode.Str8 => 2,
            MessagePackCode.Str16 => 3,
            MessagePackCode.Str32 => 5,
            _ => -1,
        };
        payload = header < 0 ? default : value[header..];
        return header >= 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadMapHeader(ReadOnlySpan<byte> row, ref int offset)
    {
        var code = row[offset];
        if (code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap && (code & 0x0f) * 2 <= row.Length - offset - 1)
        {
            // A fixmap (up to 15 properties), the common row: no length field to read.
            offset += 1;
            return code & 0x0f;
        }

        return ReadLongMapHeader(row, ref offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ReadLongMapHeader(ReadOnlySpan<byte> row, ref int offset)
    {
        var code = row[offset];
        long count;
        switch (code)
        {
            case MessagePackCode.Map16:
                count = BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 3)[1..]);
                offset += 3;
                break;
            case MessagePackCode.Map32:
                count = BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 5)[1..]);
                offset += 5;
                break;
            default:
                count = code & 0x0f;
                offset += 1;
                break;
        }

        // Each pair takes at least two bytes: a larger count cannot be real (and would make the loop long).
        if (count * 2 > row.Length - offset)
        {
            throw new MessagePackFormatException(0, $"the map header counts {count} pairs but only {row.Length - offset} bytes follow");
        }

        return count;
    }

    /// <summary>A property id: any MessagePack integer form with a value in 0..2^32-1, as <see cref="RowReader"/> accepts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadPropertyId(ReadOnlySpan<byte> row, ref int offset)
    {
        // Ids below 128, what the writer gives every model up to that many properties: a positive fixint.
        if ((uint)offset < (uint)row.Length && row[offset] <= MessagePackCode.MaxFixInt)
        {
            return row[offset++];
        }

        return ReadWiderPropertyId(row, ref offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ReadWiderPropertyId(ReadOnlySpan<byte> row, ref int offset)
    {
        var start = offset;
        if (offset >= row.Length)
        {
            throw new MessagePackFormatException(offset, "the row ends before a property id");
        }

        var code = row[offset];
        long id;
        switch (code)
        {
            case <= MessagePackCode.MaxFixInt:
                id = code;
                offset += 1;
                return id;
            case MessagePackCode.UInt8:
                id = Need(row, offset, 2)[1];
                offset += 2;
                return id;
            case MessagePackCode.UInt16:
                id = BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 3)[1..]);
                offset += 3;
                return id;
            case MessagePackCode.UInt32:
                id = BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 5)[1..]);
                offset += 5;
                return id;
            case MessagePackCode.UInt64:
                var u64 = BinaryPrimitives.ReadUInt64BigEndian(Need(row, offset, 9)[1..]);
                offset += 9;
                return u64 <= uint.MaxValue ? (long)u64 : throw IdOutOfRange(start);
            case MessagePackCode.Int8:
                id = (sbyte)Need(row, offset, 2)[1];
                offset += 2;
                break;
            case MessagePackCode.Int16:
                id = BinaryPrimitives.ReadInt16BigEndian(Need(row, offset, 3)[1..]);
                offset += 3;
                break;
            case MessagePackCode.Int32:
                id = BinaryPrimitives.ReadInt32BigEndian(Need(row, offset, 5)[1..]);
                offset += 5;
                break;
            case MessagePackCode.Int64:
                id = BinaryPrimitives.ReadInt64BigEndian(Need(row, offset, 9)[1..]);
                offset += 9;
                break;
            default:
                throw new MessagePackFormatException(
                    start, $"expected a property id (UInt32) but found {MessagePackFormatException.Describe(code)}");
        }

        return id is >= 0 and <= uint.MaxValue ? id : throw IdOutOfRange(start);
    }

    /// <summary>The length in bytes of the whole value starting at <paramref name="start"/> (nested collections included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ValueLength(ReadOnlySpan<byte> row, int start)
    {
        // Most values (integers, nil, booleans, floats, strings under 32 bytes, fixext values) have a length their first
        // byte gives, and most others (str8, bin8, ext8 as decimals use) one length byte: a table read or two rather than
        // the walk below, which also reports a value cut short.
        if ((uint)start < (uint)row.Length)
        {
            var code = row[start];
            int length = FirstByteLengths[code];
            if (length == 0 && code is MessagePackCode.Str8 or MessagePackCode.Bin8 or MessagePackCode.Ext8 && start + 1 < row.Length)
            {
                length = (code == MessagePackCode.Ext8 ? 3 : 2) + row[start + 1];
            }

            if (length != 0 && length <= row.Length - start)
            {
                return length;
            }
        }

        return WalkedValueLength(row, start);
    }

    /// <summary>
    /// The whole length of a value whose first byte alone gives it (the MessagePack spec's fixed formats and fixstr), by that
    /// byte; 0 for the rest (a length field, a collection, the unused 0xc1), which <see cref="WalkedValueLength"/> reads.
    /// </summary>
    private static ReadOnlySpan<byte> FirstByteLengths =>
    [
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x00
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x10
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x20
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x30
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x40
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x50
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x60
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x70
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x80
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x90
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // 0xa0
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, // 0xb0
        1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 5, 9, 2, 3, 5, 9, // 0xc0
        2, 3, 5, 9, 3, 4, 6, 10, 18, 0, 0, 0, 0, 0, 0, 0, // 0xd0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xe0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xf0
    ];

    /// <summary><see cref="ValueLength"/> by walking the value's headers, nested collections included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WalkedValueLength(ReadOnlySpan<byte> row, int start)
    {
        if (start >= row.Length)
        {
            throw new MessagePackFormatException(start, "the row ends before a property's value");
        }

        var offset = start;
        long pending = 1;
        do
        {
            pending--;
            if (offset >= row.Length)
            {
                throw new MessagePackFormatException(offset, "the row ends inside a collection value");
            }

            var code = row[offset];
            long size;
            long items = 0;
            switch (code)
            {
                case <= MessagePackCode.MaxFixInt or >= MessagePackCode.MinNegativeFixInt or MessagePackCode.Nil or MessagePackCode.False
                    or MessagePackCode.True:
                    size = 1;
                    break;
                case >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap:
                    size = 1;
                    items = 2L * (code & 0x0f);
                    break;
                case >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray:
                    size = 1;
                    items = code & 0x0f;
                    break;
                case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
                    size = 1 + (code & 0x1f);
                    break;
                case MessagePackCode.Bin8 or MessagePackCode.Str8:
                    size = 2 + (long)Need(row, offset, 2)[1];
                    break;
                case MessagePackCode.Bin16 or MessagePackCode.Str16:
                    size = 3 + (long)BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 3)[1..]);
                    break;
                case MessagePackCode.Bin32 or MessagePackCode.Str32:
                    size = 5 + (long)BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 5)[1..]);
                    break;
                case MessagePackCode.Ext8:
                    size = 3 + (long)Need(row, offset, 3)[1];
                    break;
                case MessagePackCode.Ext16:
                    size = 4 + (long)BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 4)[1..]);
                    break;
                case MessagePackCode.Ext32:
                    size = 6 + (long)BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 6)[1..]);
                    break;
                case MessagePackCode.Float32 or MessagePackCode.UInt32 or MessagePackCode.Int32:
                    size = 5;
                    break;
                case MessagePackCode.Float64 or MessagePackCode.UInt64 or MessagePackCode.Int64:
                    size = 9;
                    break;
                case MessagePackCode.UInt8 or MessagePackCode.Int8:
                    size = 2;
                    break;
                case MessagePackCode.UInt16 or MessagePackCode.Int16:
                    size = 3;
                    break;
                case MessagePackCode.FixExt1:
                    size = 3;
                    break;
                case MessagePackCode.FixExt2:
                    size = 4;
                    break;
                case MessagePackCode.FixExt4:
                    size = 6;
                    break;
                case MessagePackCode.FixExt8:
                    size = 10;
                    break;
                case MessagePackCode.FixExt16:
                    size = 18;
                    break;
                case MessagePackCode.Array16:
                    size = 3;
                    items = BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 3)[1..]);
                    break;
                case MessagePackCode.Array32:
                    size = 5;
                    items = BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 5)[1..]);
                    break;
                case MessagePackCode.Map16:
                    size = 3;
                    items = 2L * BinaryPrimitives.ReadUInt16BigEndian(Need(row, offset, 3)[1..]);
                    break;
                case MessagePackCode.Map32:
                    size = 5;
                    items = 2L * BinaryPrimitives.ReadUInt32BigEndian(Need(row, offset, 5)[1..]);
                    break;
                default:
                    throw new MessagePackFormatException(offset, $"{MessagePackFormatException.Describe(code)} is not a MessagePack value");
            }

            if (size > row.Length - offset || items > row.Length - offset - size)
            {
                // Every item takes at least one byte, so a count beyond the bytes left is damage, as a length is.
                throw new MessagePackFormatException(offset, "the row ends before the value's declared length");
            }

            offset += (int)size;
            pending += items;
        }
        while (pending > 0);

        return offset - start;
    }

    private static ReadOnlySpan<byte> Need(ReadOnlySpan<byte> row, int offset, int length) =>
        length <= row.Length - offset
            ? row.Slice(offset, length)
            : throw new MessagePackFormatException(offset, "the row ends inside a value's header");

    private static MessagePackFormatException IdsDoNotAscend(int offset, long id, long previousId) =>
        new(offset, $"property ids must ascend, but {id} follows {previousId}");

    private static MessagePackFormatException IdOutOfRange(int offset) =>
        new(offset, "a property id is outside the UInt32 range");
}
