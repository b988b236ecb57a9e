using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Writing MessagePack as the provider does: the package's writer, driven by <see cref="RowValueCodec"/>, always in the
/// shortest form (docs/row_encoding.md, "Shortest forms"), which is what makes the stored bytes of equal values equal.
/// </summary>
public sealed class MessagePackWriterTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(127UL, "7F")]
    [InlineData(128UL, "CC80")]
    [InlineData(255UL, "CCFF")]
    [InlineData(256UL, "CD0100")]
    [InlineData(65535UL, "CDFFFF")]
    [InlineData(65536UL, "CE00010000")]
    [InlineData(4294967295UL, "CEFFFFFFFF")]
    [InlineData(4294967296UL, "CF0000000100000000")]
    [InlineData(ulong.MaxValue, "CFFFFFFFFFFFFFFFFF")]
    public void Unsigned_integers_use_the_shortest_form(ulong value, string hex)
    {
        Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, value)));
        if (value <= long.MaxValue)
        {
            // A non-negative value takes the same unsigned form whichever type writes it.
            Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, (long)value)));
        }

        if (value <= uint.MaxValue)
        {
            Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, (uint)value)));
        }

        if (value <= int.MaxValue)
        {
            Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, (int)value)));
        }

        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(value, RowValueCodec.Read<ulong>(ref reader));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(-1L, "FF")]
    [InlineData(-32L, "E0")]
    [InlineData(-33L, "D0DF")]
    [InlineData(-128L, "D080")]
    [InlineData(-129L, "D1FF7F")]
    [InlineData(-32768L, "D18000")]
    [InlineData(-32769L, "D2FFFF7FFF")]
    [InlineData(-2147483648L, "D280000000")]
    [InlineData(-2147483649L, "D3FFFFFFFF7FFFFFFF")]
    [InlineData(long.MinValue, "D38000000000000000")]
    public void Negative_integers_use_the_shortest_form(long value, string hex)
    {
        Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, value)));
        if (value >= int.MinValue)
        {
            Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, (int)value)));
        }

        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(value, RowValueCodec.Read<long>(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void Random_integers_round_trip_in_the_size_their_magnitude_needs()
    {
        var random = new Random(1234);
        for (var i = 0; i < 20_000; i++)
        {
            var value = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            var encoded = MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, value));
            Assert.Equal(ExpectedIntegerSize(value), encoded.Length);
            var reader = new MessagePackReader(encoded);
            Assert.Equal(value, RowValueCodec.Read<long>(ref reader));
            Assert.True(reader.End);
        }
    }

    [Theory]
    [InlineData(0, "A0", 1)]
    [InlineData(31, "BF", 1)]
    [InlineData(32, "D920", 2)]
    [InlineData(255, "D9FF", 2)]
    [InlineData(256, "DA0100", 3)]
    [InlineData(65535, "DAFFFF", 3)]
    [InlineData(65536, "DB00010000", 5)]
    public void Strings_use_the_shortest_header(int length, string headerHex, int headerSize)
    {
        var text = new string('x', length);
        var encoded = MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, text));
        Assert.Equal(headerHex, Convert.ToHexString(encoded, 0, headerSize));
        Assert.Equal(headerSize + length, encoded.Length);
        var reader = new MessagePackReader(encoded);
        Assert.Equal(text, RowValueCodec.Read<string>(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void Random_unicode_strings_match_a_reference_encoding_near_every_header_boundary()
    {
        // Mixes 1-, 2-, 3- and 4-byte characters so the char count and the UTF-8 length fall on different sides of a
        // boundary, where the package's writer guesses the header from the char count and must move the bytes.
        string[] pieces = ["a", "é", "€", "🍺"];
        var random = new Random(42);
        int[] targets = [31, 32, 255, 256, 65535, 65536];
        for (var i = 0; i < 600; i++)
        {
            var target = targets[i % targets.Length] + random.Next(-6, 7);
            var builder = new StringBuilder();
            var bytes = 0;
            while (bytes < target)
            {
                var piece = pieces[random.Next(pieces.Length)];
                builder.Append(piece);
                bytes += Encoding.UTF8.GetByteCount(piece);
            }

            var text = builder.ToString();
            var utf8 = Encoding.UTF8.GetBytes(text);
            var expected = ReferenceStringHeader(utf8.Length).Concat(utf8).ToArray();
            Assert.Equal(expected, MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, text)));
            Assert.Equal(expected, MessagePackAssert.Encode((ref w) => w.WriteStrictString(text)));
        }
    }

    [Theory]
    [InlineData("a", 0xD800, "b")]
    [InlineData("", 0xDC00, "")]
    [InlineData("abc", 0xD83D, "")]
    [InlineData("abc", 0xDC00, "\uD83D\uDE00")]
    [InlineData("\uD83D\uDE00", 0xDBFF, "x")]
    public void A_lone_surrogate_is_refused_not_replaced(string before, int surrogate, string after)
    {
        // Built here: attribute arguments are stored as UTF-8, which would turn the surrogate into U+FFFD.
        var text = before + (char)surrogate + after;
        var index = before.Length;
        var error = Assert.Throws<ArgumentException>(() => MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, text)));
        Assert.Contains($"index {index}", error.Message, StringComparison.Ordinal);

        var longText = new string('x', 70_000) + text;
        error = Assert.Throws<ArgumentException>(() => MessagePackAssert.Encode((ref w) => w.WriteStrictString(longText)));
        Assert.Contains($"index {70_000 + index}", error.Message, StringComparison.Ordinal);

        // The package alone writes U+FFFD (EF BF BD) instead: the reason for the strict write.
        Assert.Contains("EFBFBD", MessagePackAssert.EncodeHex((ref w) => w.Write(text)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "C400", 2)]
    [InlineData(255, "C4FF", 2)]
    [InlineData(256, "C50100", 3)]
    [InlineData(65535, "C5FFFF", 3)]
    [InlineData(65536, "C600010000", 5)]
    public void Binary_uses_the_shortest_header(int length, string headerHex, int headerSize)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var encoded = MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, data));
        Assert.Equal(headerHex, Convert.ToHexString(encoded, 0, headerSize));
        var reader = new MessagePackReader(encoded);
        Assert.Equal(data, RowValueCodec.Read<byte[]>(ref reader));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(0u, "90", "80")]
    [InlineData(15u, "9F", "8F")]
    [InlineData(16u, "DC0010", "DE0010")]
    [InlineData(65535u, "DCFFFF", "DEFFFF")]
    [InlineData(65536u, "DD00010000", "DF00010000")]
    [InlineData(uint.MaxValue, "DDFFFFFFFF", "DFFFFFFFFF")]
    public void Collection_headers_use_the_shortest_form(uint count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, MessagePackAssert.EncodeHex((ref w) => w.WriteArrayHeader(count)));
        Assert.Equal(mapHex, MessagePackAssert.EncodeHex((ref w) => w.WriteMapHeader(count)));
    }

    [Theory]
    [InlineData(0, "C70005")]
    [InlineData(1, "D405")]
    [InlineData(2, "D505")]
    [InlineData(3, "C70305")]
    [InlineData(4, "D605")]
    [InlineData(8, "D705")]
    [InlineData(16, "D805")]
    [InlineData(17, "C71105")]
    [InlineData(255, "C7FF05")]
    [InlineData(256, "C8010005")]
    [InlineData(65535, "C8FFFF05")]
    [InlineData(65536, "C90001000005")]
    public void Extensions_use_fixext_or_the_shortest_ext_header(int length, string headerHex)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var encoded = MessagePackAssert.Encode((ref w) =>
        {
            w.WriteExtensionFormatHeader(new ExtensionHeader(5, length));
            w.WriteRaw(data);
        });
        Assert.Equal(headerHex, Convert.ToHexString(encoded, 0, headerHex.Length / 2));
        Assert.Equal(headerHex.Length / 2 + length, encoded.Length);

        var reader = new MessagePackReader(encoded);
        var extension = reader.ReadExtensionFormat();
        Assert.Equal(5, extension.TypeCode);
        Assert.Equal(data, extension.Data.ToArray());
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData(0.5, "CA3F000000")]
    [InlineData(-0.0, "CA80000000")]
    [InlineData(0.0, "CA00000000")]
    [InlineData(double.PositiveInfinity, "CA7F800000")]
    [InlineData(double.NegativeInfinity, "CAFF800000")]
    [InlineData(double.NaN, "CAFFC00000")]
    [InlineData(0.1, "CB3FB999999999999A")]
    [InlineData(double.Epsilon, "CB0000000000000001")]
    [InlineData(double.MaxValue, "CB7FEFFFFFFFFFFFFF")]
    [InlineData(3.4028234663852886E+38, "CA7F7FFFFF")]
    public void Doubles_use_float32_only_when_it_holds_them_bit_for_bit(double value, string hex)
    {
        Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, value)));
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(RowValueCodec.Read<double>(ref reader)));
    }

    [Fact]
    public void Random_doubles_and_nan_payloads_round_trip_bit_for_bit()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var bits = random.NextInt64(long.MinValue, long.MaxValue);
            if (i % 4 == 0)
            {
                bits |= 0x7ff0_0000_0000_0000; // NaNs with payloads (signalling too) and infinities
            }
            else if (i % 4 == 1)
            {
                bits = BitConverter.DoubleToInt64Bits(BitConverter.Int32BitsToSingle(random.Next()));
            }

            var value = BitConverter.Int64BitsToDouble(bits);
            var reader = new MessagePackReader(MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, value)));
            Assert.Equal(bits, BitConverter.DoubleToInt64Bits(RowValueCodec.Read<double>(ref reader)));
            Assert.True(reader.End);
        }
    }

    [Fact]
    public void Floats_are_always_float32()
    {
        Assert.Equal("CA3DCCCCCD", MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, 0.1f)));
        Assert.Equal("CAFFFFFFFF", MessagePackAssert.EncodeHex((ref w) => RowValueCodec.Write(ref w, BitConverter.Int32BitsToSingle(-1))));
        var reader = new MessagePackReader(Convert.FromHexString("CAFFFFFFFF"));
        Assert.Equal(-1, BitConverter.SingleToInt32Bits(RowValueCodec.Read<float>(ref reader)));
    }

    [Theory]
    [InlineData(0L, 0u, "D6FF00000000")]
    [InlineData(4294967295L, 0u, "D6FFFFFFFFFF")]
    [InlineData(4294967296L, 0u, "D7FF0000000100000000")]
    [InlineData(0L, 100u, "D7FF0000019000000000")]
    [InlineData(17179869183L, 999999900u, "D7FFEE6B2673FFFFFFFF")]
    [InlineData(17179869184L, 0u, "C70CFF000000000000000400000000")]
    [InlineData(-1L, 0u, "C70CFF00000000FFFFFFFFFFFFFFFF")]
    [InlineData(-62135596800L, 0u, "C70CFF00000000FFFFFFF1886E0900")]
    [InlineData(253402300799L, 999999900u, "C70CFF3B9AC99C0000003AFFF4417F")]
    public void Timestamps_of_datetimes_use_the_shortest_of_the_three_forms(long seconds, uint nanoseconds, string hex)
    {
        // The spec's timestamp is not a row format (docs/row_encoding.md); the package writes it for a UTC DateTime and
        // the provider's DateTime reader accepts it.
        var value = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100);
        Assert.Equal(hex, MessagePackAssert.EncodeHex((ref w) => w.Write(value)));
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        Assert.Equal(value, RowValueCodec.Read<DateTime>(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void Rows_keep_earlier_bytes_while_the_pooled_buffer_grows()
    {
        static string Text(int i) =>
            i % 7 == 0 ? new string('s', i % 300) : (i * 7919L).ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var buffer = new PooledByteBufferWriter(1);
        var row = new RowWriter(buffer, 10_000);
        for (var i = 0; i < 10_000; i++)
        {
            row.WriteValue((uint)i, Text(i));
        }

        row.Complete();
        using var reader = new RowReader(buffer.WrittenSpan);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(reader.MoveNext());
            Assert.Equal(Text(i), reader.ReadValue<string>());
        }

        Assert.False(reader.MoveNext());
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(buffer.GetSpan().Length + 1));
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.GetSpan());
    }

    private static int ExpectedIntegerSize(long value) => value switch
    {
        >= -32 and <= 127 => 1,
        >= sbyte.MinValue and <= byte.MaxValue => 2,
        >= short.MinValue and <= ushort.MaxValue => 3,
        >= int.MinValue and <= uint.MaxValue => 5,
        _ => 9,
    };

    private static byte[] ReferenceStringHeader(int length)
    {
        if (length <= 31)
        {
            return [(byte)(0xa0 | length)];
        }

        if (length <= 255)
        {
            return [0xd9, (byte)length];
        }

        var header = new byte[length <= 65535 ? 3 : 5];
        header[0] = length <= 65535 ? (byte)0xda : (byte)0xdb;
        if (header.Length == 3)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(1), (ushort)length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)length);
        }

        return header;
    }
}
