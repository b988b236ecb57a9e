using System.Buffers.Binary;
using System.Numerics;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Reading MessagePack as the provider does: the package's reader, with the provider's typed reads
/// (<see cref="RowValueCodec"/>, <see cref="ProviderExtensionTypes"/>) and strict checks (<see cref="StrictMessagePack"/>)
/// on top. Every form the specification allows is read; everything malformed ends in <see cref="MessagePackFormatException"/>.
/// </summary>
public sealed class MessagePackReaderTests
{
    public static TheoryData<long> IntegerSamples() =>
    [
        0, 1, 31, 127, 128, 255, 256, 32767, 32768, 65535, 65536, int.MaxValue, 2147483648L, uint.MaxValue, 4294967296L,
        long.MaxValue, -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, -2147483649L, long.MinValue,
    ];

    [Theory]
    [MemberData(nameof(IntegerSamples))]
    public void Every_integer_form_that_holds_a_value_reads_back_through_every_integer_reader(long value)
    {
        var forms = AllIntegerForms(value);
        Assert.NotEmpty(forms);
        foreach (var form in forms)
        {
            AssertIntegerReaders(form, value);
        }
    }

    [Fact]
    public void Values_above_int64_read_only_as_uint64()
    {
        var form = Convert.FromHexString("CFFFFFFFFFFFFFFFFE");
        var reader = new MessagePackReader(form);
        Assert.Equal(ulong.MaxValue - 1, RowValueCodec.Read<ulong>(ref reader));
        reader = new MessagePackReader(form);
        Assert.Equal(1.8446744073709552E+19, RowValueCodec.Read<double>(ref reader));
        var error = MessagePackAssert.ThrowsFormat(form, (ref r) => RowValueCodec.Read<long>(ref r));
        Assert.Contains("does not fit in Int64", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Theory]
    [InlineData("CD0100", "Byte")]
    [InlineData("CC80", "SByte")]
    [InlineData("D1FF7F", "SByte")]
    [InlineData("CE00010000", "UInt16")]
    [InlineData("CE00010000", "Char")]
    [InlineData("FF", "UInt64")]
    [InlineData("D3FFFFFFFFFFFFFFFF", "UInt32")]
    [InlineData("CF0000000100000000", "UInt32")]
    [InlineData("D2FFFF7FFF", "Int16")]
    [InlineData("CE80000000", "Int32")]
    public void Narrow_readers_refuse_values_out_of_their_range(string hex, string type)
    {
        var error = MessagePackAssert.ThrowsFormat(Convert.FromHexString(hex), (ref r) => ReadAs(ref r, type));
        Assert.Contains($"does not fit in {type}", error.Message, StringComparison.Ordinal);
        Assert.IsType<OverflowException>(error.InnerException);
    }

    [Fact]
    public void A_type_mismatch_names_both_types_and_the_offset()
    {
        // [1, "a", nil]
        var buffer = Convert.FromHexString("9301A161C0");
        var reader = new MessagePackReader(buffer);
        Assert.Equal(3, reader.ReadArrayHeader());
        Assert.Equal(1, RowValueCodec.Read<int>(ref reader));
        var error = MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<long>(ref r));
        Assert.Equal(2, error.Offset);
        Assert.Contains("expected Int64 but found fixstr (0xa1)", error.Message, StringComparison.Ordinal);
        MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<bool>(ref r));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<byte[]>(ref r));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<Guid>(ref r));
        Assert.Equal("a", RowValueCodec.Read<string>(ref reader));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => r.ReadStrictString());
        Assert.Null(RowValueCodec.Read<string>(ref reader));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("C1")]
    [InlineData("91C1")]
    [InlineData("81C1C0")]
    public void The_never_used_code_is_refused(string hex)
    {
        var buffer = Convert.FromHexString(hex);
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => r.SkipValue());
        var error = MessagePackAssert.ThrowsFormat(Convert.FromHexString("C1"), (ref r) => RowValueCodec.Read<long>(ref r));
        Assert.Contains("0xc1 is never used", error.Message, StringComparison.Ordinal);
        Assert.Equal(MessagePackType.Unknown, new MessagePackReader(Convert.FromHexString("C1")).NextMessagePackType);
    }

    [Theory]
    [InlineData("A2C328")] // broken 2-byte sequence
    [InlineData("A3EDA080")] // UTF-8 encoded surrogate
    [InlineData("A2C0AF")] // overlong '/'
    [InlineData("A4F4908080")] // above U+10FFFF
    [InlineData("D901FF")]
    public void Invalid_utf8_in_a_str_is_refused_where_the_package_would_replace_it(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var error = MessagePackAssert.ThrowsFormat(bytes, (ref r) => RowValueCodec.Read<string>(ref r));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
        MessagePackAssert.ThrowsFormat(bytes, (ref r) => r.ReadStrictString());

        // The package alone decodes it with U+FFFD: the reason for the strict read.
        Assert.Contains('\uFFFD', new MessagePackReader(bytes).ReadString()!);

        // Skipping does not look inside a str.
        var reader = new MessagePackReader(bytes);
        reader.SkipValue();
        Assert.True(reader.End);
    }

    [Fact]
    public void A_str_is_not_read_as_binary_and_nil_is_not_a_string()
    {
        // The package reads fixstr/str16/str32 as bytes for the old spec; a row's byte[] is bin only.
        var error = MessagePackAssert.ThrowsFormat(Convert.FromHexString("A3616263"), (ref r) => RowValueCodec.Read<byte[]>(ref r));
        Assert.Contains("expected Binary but found fixstr (0xa3)", error.Message, StringComparison.Ordinal);
        MessagePackAssert.ThrowsFormat(Convert.FromHexString("DA0001"), (ref r) => r.ReadStrictBytes());
        error = MessagePackAssert.ThrowsFormat(Convert.FromHexString("C0"), (ref r) => r.ReadStrictString());
        Assert.Contains("expected String but found nil (0xc0)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DDFFFFFFFF")]
    [InlineData("DC000301")]
    [InlineData("DF7FFFFFFF")]
    [InlineData("DE0002C0C0C0")]
    [InlineData("8201")]
    public void A_collection_count_beyond_the_remaining_bytes_fails_at_once(string hex)
    {
        var buffer = Convert.FromHexString(hex);
        var error = MessagePackAssert.ThrowsFormat(
            buffer, (ref r) => _ = r.NextMessagePackType == MessagePackType.Array ? r.ReadArrayHeader() : r.ReadMapHeader());
        Assert.Equal(0, error.Offset);
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => r.SkipValue());
    }

    [Theory]
    [InlineData("DD80000000")]
    [InlineData("DDFFFFFFFF01")]
    [InlineData("DF80000000C0")]
    [InlineData("91DD80000000")]
    public void Skipping_refuses_a_32_bit_count_of_2_pow_31_or_more(string hex)
    {
        var buffer = Convert.FromHexString(hex);
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => r.SkipValue());

        // The package's own skip takes such a count as negative and stops after the header, as if the value were whole.
        var reader = new MessagePackReader(buffer);
        reader.Skip();
        Assert.True(reader.Consumed <= 6);
    }

    [Theory]
    [InlineData("DBFFFFFFFF")]
    [InlineData("C680000000")]
    public void A_32_bit_length_of_2_pow_31_or_more_is_refused(string hex)
    {
        var buffer = Convert.FromHexString(hex);
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => r.SkipValue());
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => RowValueCodec.Read<string>(ref r));
        MessagePackAssert.ThrowsFormat(buffer, (ref r) => RowValueCodec.Read<byte[]>(ref r));
    }

    [Fact]
    public void Skip_handles_nesting_far_deeper_than_the_stack_would()
    {
        const int depth = 500_000;
        var buffer = new byte[depth + 1];
        buffer.AsSpan(0, depth).Fill(0x91); // fixarray of one element, nested
        var reader = new MessagePackReader(buffer);
        reader.SkipValue();
        Assert.True(reader.End);

        MessagePackAssert.ThrowsFormat(buffer.AsSpan(0, depth).ToArray(), (ref r) => r.SkipValue());

        // Maps nested in value position: {0: {0: ... {0: 0}}}.
        var maps = new byte[(2 * depth) + 1];
        for (var i = 0; i < depth; i++)
        {
            maps[2 * i] = 0x81;
        }

        var mapReader = new MessagePackReader(maps);
        mapReader.SkipValue();
        Assert.True(mapReader.End);
        MessagePackAssert.ThrowsFormat(maps.AsSpan(0, 2 * depth).ToArray(), (ref r) => r.SkipValue());
    }

    [Fact]
    public void Skip_covers_exactly_one_value()
    {
        // {"a": [1, 2.5, "x"], "b": bin[2], "c": fixext1} then a trailing 0x07
        var buffer = Convert.FromHexString("83A16193" + "01" + "CB4004000000000000" + "A178" + "A162C4020102" + "A163D40599" + "07");
        var reader = new MessagePackReader(buffer);
        reader.SkipValue();
        Assert.Equal(buffer.Length - 1, reader.Consumed);
        Assert.Equal(7, RowValueCodec.Read<int>(ref reader));
        Assert.True(reader.End);
    }

    [Fact]
    public void Floats_and_integers_cross_read_as_documented()
    {
        Assert.Equal(1.5, Read<double>("CA3FC00000"));
        Assert.Equal(-3.0, Read<double>("FD"));
        Assert.Equal(0.1f, Read<float>("CB3FB999999999999A"));
        Assert.Equal(300f, Read<float>("CD012C"));
        MessagePackAssert.ThrowsFormat(Convert.FromHexString("CA3FC00000"), (ref r) => RowValueCodec.Read<long>(ref r));
        MessagePackAssert.ThrowsFormat(Convert.FromHexString("A0"), (ref r) => RowValueCodec.Read<double>(ref r));
        MessagePackAssert.ThrowsFormat(Convert.FromHexString("C3"), (ref r) => RowValueCodec.Read<float>(ref r));
    }

    [Theory]
    [InlineData("D5FF0000", "4, 8 or 12 bytes")]
    [InlineData("C70CFF3B9ACA000000000000000000", "nanoseconds")]
    [InlineData("D7FFEE6B28000000000000", "nanoseconds")]
    [InlineData("D60500000000", "extension type 5")]
    [InlineData("C0", "expected DateTime")]
    [InlineData("C70CFF000000007FFFFFFFFFFFFFFF", "outside the range of DateTime")]
    [InlineData("C70CFF00000000FFFFFFF1868B8400", "outside the range of DateTime")] // year 0
    public void Malformed_or_unrepresentable_timestamps_are_refused_as_datetime(string hex, string reason)
    {
        var error = MessagePackAssert.ThrowsFormat(Convert.FromHexString(hex), (ref r) => ProviderExtensionTypes.ReadDateTime(ref r));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Theory]
    [InlineData("D4011D", "scale")] // scale 29
    [InlineData("D40160", "scale")] // reserved bits set
    [InlineData("C70E010000000000000000000000000000", "1 to 13 bytes")]
    [InlineData("C70001", "1 to 13 bytes")]
    [InlineData("D703C000000000000000", "kind")]
    [InlineData("D7032BCA2875F4374000", "ticks")] // DateTime.MaxValue.Ticks + 1 with kind 0
    [InlineData("C70A0200000000000000000349", "offset")] // +841 minutes
    [InlineData("C70902000000000000000000", "DateTimeOffset payload")] // 9 bytes
    [InlineData("C70A020000000000000000FFFF", "not a valid DateTimeOffset")] // clock time before year 1
    [InlineData("D604FFFFFFFF", "day number")]
    [InlineData("D6040037B9DB", "day number")] // MaxValue.DayNumber + 1 = 3652059
    [InlineData("D705000000C92A69C000", "TimeOnly")] // exactly one day
    [InlineData("D707000000000000000000", "Guid payload is 16")]
    [InlineData("D80600000000000000000000000000000000", "expected TimeOnly")]
    [InlineData("D60300000000", "DateTime payload is 8")]
    [InlineData("C7FF01", "truncated")]
    public void Malformed_provider_extensions_are_refused(string hex, string reason)
    {
        var buffer = Convert.FromHexString(hex);
        var typeCode = buffer[0] is 0xc7 ? (sbyte)buffer[2] : (sbyte)buffer[1];
        if (reason == "expected TimeOnly")
        {
            typeCode = MessagePackExtensionTypeCodes.TimeOnly;
        }

        var error = MessagePackAssert.ThrowsFormat(buffer, (ref r) => ReadProviderExtension(ref r, typeCode));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void DateTime_also_accepts_a_spec_timestamp_as_utc()
    {
        var reader = new MessagePackReader(Convert.FromHexString("D6FF5A4AF6A5"));
        var value = RowValueCodec.Read<DateTime>(ref reader);
        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal(new DateTime(2018, 1, 2, 3, 4, 5, DateTimeKind.Utc), value);
        Assert.True(reader.End);

        // 96-bit form, nanoseconds truncated to ticks.
        reader = new MessagePackReader(Convert.FromHexString("C70CFF3B9AC9FFFFFFFFFF7C55817F"));
        Assert.Equal(new DateTime(1899, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_999), RowValueCodec.Read<DateTime>(ref reader));
    }

    [Fact]
    public void Reading_at_the_end_reports_truncation_with_the_offset()
    {
        var reader = new MessagePackReader(Convert.FromHexString("01"));
        RowValueCodec.Read<int>(ref reader);
        var error = MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<int>(ref r));
        Assert.Equal(1, error.Offset);
        Assert.Contains("the buffer ends before the value", error.Message, StringComparison.Ordinal);
        MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<string>(ref r));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<int?>(ref r));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => ProviderValueCodec.Find(typeof(int))!.ReadValue(ref r));
        MessagePackAssert.ThrowsFormat(reader, (ref r) => r.SkipValue());
    }

    internal static void ReadProviderExtension(ref MessagePackReader reader, sbyte typeCode)
    {
        switch (typeCode)
        {
            case MessagePackExtensionTypeCodes.Decimal:
                RowValueCodec.Read<decimal>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.DateTimeOffset:
                RowValueCodec.Read<DateTimeOffset>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.DateTime or ReservedMessagePackExtensionTypeCode.DateTime:
                RowValueCodec.Read<DateTime>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.DateOnly:
                RowValueCodec.Read<DateOnly>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.TimeOnly:
                RowValueCodec.Read<TimeOnly>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.TimeSpan:
                RowValueCodec.Read<TimeSpan>(ref reader);
                break;
            case MessagePackExtensionTypeCodes.Guid:
                RowValueCodec.Read<Guid>(ref reader);
                break;
            default:
                reader.ReadExtensionFormat();
                break;
        }
    }

    private static T Read<T>(string hex)
    {
        var reader = new MessagePackReader(Convert.FromHexString(hex));
        var value = RowValueCodec.Read<T>(ref reader);
        Assert.True(reader.End);
        return value;
    }

    private static void AssertIntegerReaders(byte[] form, long value)
    {
        var big = new BigInteger(value);
        CheckReader(form, big, long.MinValue, long.MaxValue, "Int64");
        CheckReader(form, big, int.MinValue, int.MaxValue, "Int32");
        CheckReader(form, big, short.MinValue, short.MaxValue, "Int16");
        CheckReader(form, big, sbyte.MinValue, sbyte.MaxValue, "SByte");
        CheckReader(form, big, 0, ulong.MaxValue, "UInt64");
        CheckReader(form, big, 0, uint.MaxValue, "UInt32");
        CheckReader(form, big, 0, ushort.MaxValue, "UInt16");
        CheckReader(form, big, 0, byte.MaxValue, "Byte");
        CheckReader(form, big, 0, char.MaxValue, "Char");

        var reader = new MessagePackReader(form);
        Assert.Equal(MessagePackType.Integer, reader.NextMessagePackType);
        Assert.Equal((double)value, RowValueCodec.Read<double>(ref reader));
        Assert.True(reader.End);
    }

    private static void CheckReader(byte[] form, BigInteger value, BigInteger min, BigInteger max, string type)
    {
        var reader = new MessagePackReader(form);
        if (value < min || value > max)
        {
            MessagePackAssert.ThrowsFormat(reader, (ref r) => ReadAs(ref r, type));
            return;
        }

        Assert.Equal(value, ReadAs(ref reader, type));
        Assert.True(reader.End);
    }

    private static BigInteger ReadAs(ref MessagePackReader reader, string type) => type switch
    {
        "Int64" => RowValueCodec.Read<long>(ref reader),
        "Int32" => RowValueCodec.Read<int>(ref reader),
        "Int16" => RowValueCodec.Read<short>(ref reader),
        "SByte" => RowValueCodec.Read<sbyte>(ref reader),
        "UInt64" => RowValueCodec.Read<ulong>(ref reader),
        "UInt32" => RowValueCodec.Read<uint>(ref reader),
        "UInt16" => RowValueCodec.Read<ushort>(ref reader),
        "Byte" => RowValueCodec.Read<byte>(ref reader),
        "Char" => RowValueCodec.Read<char>(ref reader),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Every MessagePack integer form able to hold <paramref name="value"/>, built by hand (not by the writer under test).</summary>
    internal static List<byte[]> AllIntegerForms(long value)
    {
        var forms = new List<byte[]>();
        if (value is >= 0 and <= 127)
        {
            forms.Add([(byte)value]);
        }

        if (value is >= -32 and < 0)
        {
            forms.Add([unchecked((byte)value)]);
        }

        void Add(byte code, int size, bool fits)
        {
            if (!fits)
            {
                return;
            }

            var form = new byte[1 + size];
            form[0] = code;
            var body = form.AsSpan(1);
            switch (size)
            {
                case 1:
                    body[0] = unchecked((byte)value);
                    break;
                case 2:
                    BinaryPrimitives.WriteInt16BigEndian(body, unchecked((short)value));
                    break;
                case 4:
                    BinaryPrimitives.WriteInt32BigEndian(body, unchecked((int)value));
                    break;
                default:
                    BinaryPrimitives.WriteInt64BigEndian(body, value);
                    break;
            }

            forms.Add(form);
        }

        Add(0xcc, 1, value is >= 0 and <= byte.MaxValue);
        Add(0xcd, 2, value is >= 0 and <= ushort.MaxValue);
        Add(0xce, 4, value is >= 0 and <= uint.MaxValue);
        Add(0xcf, 8, value >= 0);
        Add(0xd0, 1, value is >= sbyte.MinValue and <= sbyte.MaxValue);
        Add(0xd1, 2, value is >= short.MinValue and <= short.MaxValue);
        Add(0xd2, 4, value is >= int.MinValue and <= int.MaxValue);
        Add(0xd3, 8, true);
        return forms;
    }
}
