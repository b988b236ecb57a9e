using System.Buffers;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// <see cref="RowValueLocator"/> finds each property's value by headers alone: exactly the bytes <see cref="RowReader"/>
/// gives as the value, for every MessagePack form a row can hold (nested maps and arrays, 16- and 32-bit lengths); damaged
/// rows end in <see cref="MessagePackFormatException"/> and nothing else.
/// </summary>
public sealed class RowValueLocatorTests
{
    [Fact]
    public void Every_value_is_located_where_the_row_reader_reads_it()
    {
        foreach (var row in new[] { SampleRow(), NestedRow() })
        {
            AssertSameAsRowReader(row);
        }
    }

    [Fact]
    public void Only_the_wanted_ids_are_located_and_a_missing_one_stays_minus_one()
    {
        var row = SampleRow();
        var indexById = new int[300];
        Array.Fill(indexById, -1);
        indexById[3] = 0;
        indexById[200] = 1;
        indexById[299] = 2;
        var starts = new[] { -1, -1, -1 };
        var lengths = new int[3];
        RowValueLocator.Locate(row, indexById, 3, starts, lengths);

        using var reader = new RowReader(row);
        Assert.True(reader.TryFind(3));
        Assert.Equal(reader.RawValue.ToArray(), row.AsSpan(starts[0], lengths[0]).ToArray());
        Assert.True(RowValueLocator.TryGetStringPayload(row.AsSpan(starts[0], lengths[0]), out var payload));
        Assert.Equal("héllo🍺"u8.ToArray(), payload.ToArray());
        Assert.True(reader.TryFind(200));
        Assert.Equal(reader.RawValue.ToArray(), row.AsSpan(starts[1], lengths[1]).ToArray());
        Assert.Equal(-1, starts[2]);
    }

    [Fact]
    public void Every_value_form_is_located_as_the_row_reader_reads_it_and_refused_when_cut_short()
    {
        // One row per form, so each form's length (from its first byte, its one length byte, or the walk) is checked alone,
        // between two other pairs, and with an id in a wider integer form before it.
        foreach (var write in ValueForms())
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader(3);
            writer.Write(1u);
            write(ref writer);
            writer.WriteUInt8(200);
            write(ref writer);
            writer.Write(299u);
            writer.Write(7);
            writer.Flush();
            var row = buffer.WrittenSpan.ToArray();
            AssertSameAsRowReader(row);
            for (var length = 0; length < row.Length; length++)
            {
                // Long rows: the cuts near the headers and near the end (each cut copies the row).
                if (length < 64 || length > row.Length - 64)
                {
                    Assert.Throws<MessagePackFormatException>(() => LocateAll(row.AsSpan(0, length).ToArray()));
                }
            }
        }
    }

    private delegate void WriteForm(ref MessagePackWriter writer);

    private static IEnumerable<WriteForm> ValueForms()
    {
        yield return (ref w) => w.Write(0);
        yield return (ref w) => w.Write(127);
        yield return (ref w) => w.Write(-1);
        yield return (ref w) => w.Write(-32);
        yield return (ref w) => w.WriteNil();
        yield return (ref w) => w.Write(true);
        yield return (ref w) => w.Write(false);
        yield return (ref w) => w.WriteUInt8(200);
        yield return (ref w) => w.WriteUInt16(60000);
        yield return (ref w) => w.WriteUInt32(4000000000);
        yield return (ref w) => w.WriteUInt64(ulong.MaxValue);
        yield return (ref w) => w.WriteInt8(-100);
        yield return (ref w) => w.WriteInt16(-30000);
        yield return (ref w) => w.WriteInt32(-2000000000);
        yield return (ref w) => w.WriteInt64(long.MinValue);
        yield return (ref w) => w.Write(1.5f);
        yield return (ref w) => w.Write(0.1);
        foreach (var length in new[] { 0, 1, 5, 31, 32, 255, 256, 70000 })
        {
            yield return (ref w) => w.Write(new string('é', length / 2) + new string('x', length % 2));
            yield return (ref w) => w.Write(new byte[length]);
            yield return (ref w) => w.WriteExtensionFormat(new ExtensionResult(5, new byte[length]));
        }

        foreach (var length in new[] { 1, 2, 4, 8, 16 })
        {
            yield return (ref w) => w.WriteExtensionFormat(new ExtensionResult(1, new byte[length]));
        }

        yield return (ref w) => w.WriteMapHeader(0);
        yield return (ref w) => w.WriteArrayHeader(0);
        yield return (ref w) =>
        {
            w.WriteArrayHeader(2);
            w.Write("a");
            w.WriteNil();
        };
    }

    [Fact]
    public void Every_truncation_of_a_row_is_refused()
    {
        foreach (var row in new[] { SampleRow(), NestedRow() })
        {
            for (var length = 0; length < row.Length; length++)
            {
                Assert.Throws<MessagePackFormatException>(() => LocateAll(row.AsSpan(0, length).ToArray()));
            }
        }
    }

    [Fact]
    public void Ids_that_do_not_ascend_and_bytes_after_the_map_are_refused()
    {
        Assert.Throws<MessagePackFormatException>(() => LocateAll([0x82, 0x02, 0x01, 0x01, 0x01]));
        Assert.Throws<MessagePackFormatException>(() => LocateAll([0x81, 0x01, 0x01, 0x00]));
        Assert.Throws<MessagePackFormatException>(() => LocateAll([0x81, 0x01, 0xc1]));
        Assert.Throws<MessagePackFormatException>(() => LocateAll([0x81, 0xa1, 0x61, 0x01]));
        Assert.Throws<MessagePackFormatException>(() => LocateAll([0x01]));
        Assert.Throws<MessagePackFormatException>(() => LocateAll([]));
    }

    [Fact]
    public void Random_damage_is_refused_with_the_typed_exception_or_located_as_the_row_reader_reads_it()
    {
        var random = new Random(4242);
        var rows = new[] { SampleRow(), NestedRow() };
        for (var round = 0; round < 20_000; round++)
        {
            var damaged = (byte[])rows[round % 2].Clone();
            damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            List<(uint, byte[])>? expected;
            try
            {
                expected = ReadWithRowReader(damaged);
            }
            catch (MessagePackFormatException)
            {
                expected = null;
            }

            try
            {
                var located = LocateAll(damaged);
                if (expected is not null)
                {
                    Assert.Equal(expected.Count, located.Count);
                    for (var i = 0; i < expected.Count; i++)
                    {
                        Assert.Equal(expected[i].Item1, located[i].Item1);
                        Assert.Equal(expected[i].Item2, located[i].Item2);
                    }
                }
            }
            catch (MessagePackFormatException)
            {
                Assert.Null(expected);
            }
        }
    }

    private static void AssertSameAsRowReader(byte[] row)
    {
        var expected = ReadWithRowReader(row);
        var located = LocateAll(row);
        Assert.Equal(expected.Count, located.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, located[i].Item1);
            Assert.Equal(expected[i].Item2, located[i].Item2);
        }
    }

    private static List<(uint, byte[])> ReadWithRowReader(byte[] row)
    {
        var values = new List<(uint, byte[])>();
        using var reader = new RowReader(row);
        while (reader.MoveNext())
        {
            // LocateAll asks for ids below 300 only; the others are walked over.
            var value = reader.RawValue.ToArray();
            if (reader.PropertyId < 300)
            {
                values.Add((reader.PropertyId, value));
            }
        }

        return values;
    }

    /// <summary>Locates ids 0..299 (the ids the test rows use) and lists the values found in id order.</summary>
    private static List<(uint, byte[])> LocateAll(byte[] row)
    {
        var indexById = Enumerable.Range(0, 300).ToArray();
        var starts = new int[300];
        var lengths = new int[300];
        Array.Fill(starts, -1);
        RowValueLocator.Locate(row, indexById, 300, starts, lengths);
        var values = new List<(uint, byte[])>();
        for (var id = 0; id < 300; id++)
        {
            if (starts[id] >= 0)
            {
                values.Add(((uint)id, row.AsSpan(starts[id], lengths[id]).ToArray()));
            }
        }

        return values;
    }

    private static byte[] SampleRow()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, 17);
        writer.WriteValue(0, 1);
        writer.WriteValue(1, -1234567890123L);
        writer.WriteValue(2, 0.1);
        writer.WriteValue(3, "héllo🍺");
        writer.WriteValue(4, new byte[] { 1, 2, 3 });
        writer.WriteValue(5, 123.4500m);
        writer.WriteValue(6, Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));
        writer.WriteValue(7, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Local));
        writer.WriteValue(8, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-7)));
        writer.WriteValue(9, new DateOnly(2024, 1, 2));
        writer.WriteValue(10, new TimeOnly(3, 4, 5));
        writer.WriteValue(11, TimeSpan.FromDays(-3.5));
        writer.WriteValue(12, 'Ω');
        writer.WriteValue(13, 1.5f);
        writer.WriteValue<int>(14, null);
        writer.WriteValue(15, new string('x', 300));
        writer.WriteValue(200, ulong.MaxValue);
        writer.Complete();
        return buffer.ToArray();
    }

    /// <summary>A row with the forms owned values and collections take: nested maps and arrays, a map16, a bin16, an ext8.</summary>
    private static byte[] NestedRow()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(6);
        writer.Write(1u);
        writer.WriteMapHeader(2);
        writer.Write(1u);
        writer.Write("a");
        writer.Write(2u);
        writer.WriteArrayHeader(2);
        writer.WriteMapHeader(1);
        writer.Write(1u);
        writer.Write(-5);
        writer.WriteNil();
        writer.Write(2u);
        writer.WriteArrayHeader(20);
        for (var i = 0; i < 20; i++)
        {
            writer.Write(i * 1000);
        }

        writer.Write(3u);
        writer.WriteMapHeader(17);
        for (var i = 0; i < 17; i++)
        {
            writer.Write((uint)i);
            writer.Write(i % 2 == 0);
        }

        writer.Write(7u);
        writer.Write(new byte[400]);
        writer.Write(299u);
        writer.WriteExtensionFormat(new ExtensionResult(5, new byte[] { 1, 2, 3 }));
        writer.Write(70000u);
        writer.Write(long.MinValue);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
