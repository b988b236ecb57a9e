using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class IntegerKeyTests
{
    private enum SmallSigned : sbyte
    {
        Low = sbyte.MinValue,
        Zero = 0,
        High = sbyte.MaxValue,
    }

    private enum Wide : ulong
    {
        Zero = 0,
        Top = ulong.MaxValue,
    }

    [Theory]
    [InlineData(0L, "14")]
    [InlineData(1L, "1501")]
    [InlineData(255L, "15FF")]
    [InlineData(256L, "160100")]
    [InlineData(-1L, "13FE")]
    [InlineData(-255L, "1300")]
    [InlineData(-256L, "12FEFF")]
    [InlineData(long.MaxValue, "1C7FFFFFFFFFFFFFFF")]
    [InlineData(long.MinValue, "0C7FFFFFFFFFFFFFFF")]
    public void Bytes_match_the_documented_examples(long value, string hex)
    {
        Assert.Equal(hex, Hex(Encode((ref KeyWriter w) => w.Write(value))));
    }

    [Fact]
    public void UInt64_max_and_descending_bytes_match_the_documented_examples()
    {
        Assert.Equal("1CFFFFFFFFFFFFFFFF", Hex(Encode((ref KeyWriter w) => w.Write(ulong.MaxValue))));
        Assert.Equal("EA", Hex(Encode((ref KeyWriter w) => w.Write(0, descending: true))));
        Assert.Equal("E9FE", Hex(Encode((ref KeyWriter w) => w.Write(1, descending: true))));
        Assert.Equal("EB01", Hex(Encode((ref KeyWriter w) => w.Write(-1, descending: true))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Byte_order_is_value_order_and_byte_equality_is_value_equality(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomInteger(random);
            var b = random.Next(8) == 0 ? a : RandomInteger(random);
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => WriteInteger(ref w, a, descending));
            var kb = Encode((ref KeyWriter w) => WriteInteger(ref w, b, descending));
            var expected = a.CompareTo(b) * (descending ? -1 : 1);
            Assert.True(Math.Sign(expected) == Memcmp(ka, kb), $"{a} vs {b} (descending {descending}): {Hex(ka)} vs {Hex(kb)}");
            Assert.Equal(a == b, ka.AsSpan().SequenceEqual(kb));
        }
    }

    [Fact]
    public void Every_width_of_the_same_value_encodes_identically_and_round_trips()
    {
        var random = new Random(4);
        for (var i = 0; i < 10_000; i++)
        {
            var value = RandomInteger(random);
            var descending = random.Next(2) == 0;
            var key = Encode((ref KeyWriter w) => WriteInteger(ref w, value, descending));
            AssertWidth(value, sbyte.MinValue, sbyte.MaxValue, key, (ref KeyWriter w) => w.Write((sbyte)value, descending),
                k => new KeyReader(k).ReadSByte());
            AssertWidth(value, byte.MinValue, byte.MaxValue, key, (ref KeyWriter w) => w.Write((byte)value, descending),
                k => new KeyReader(k).ReadByte());
            AssertWidth(value, short.MinValue, short.MaxValue, key, (ref KeyWriter w) => w.Write((short)value, descending),
                k => new KeyReader(k).ReadInt16());
            AssertWidth(value, ushort.MinValue, ushort.MaxValue, key, (ref KeyWriter w) => w.Write((ushort)value, descending),
                k => new KeyReader(k).ReadUInt16());
            AssertWidth(value, char.MinValue, char.MaxValue, key, (ref KeyWriter w) => w.Write((char)value, descending),
                k => new KeyReader(k).ReadChar());
            AssertWidth(value, int.MinValue, int.MaxValue, key, (ref KeyWriter w) => w.Write((int)value, descending),
                k => new KeyReader(k).ReadInt32());
            AssertWidth(value, uint.MinValue, uint.MaxValue, key, (ref KeyWriter w) => w.Write((uint)value, descending),
                k => new KeyReader(k).ReadUInt32());
            AssertWidth(value, long.MinValue, long.MaxValue, key, (ref KeyWriter w) => w.Write((long)value, descending),
                k => new KeyReader(k).ReadInt64());
            AssertWidth(value, ulong.MinValue, ulong.MaxValue, key, (ref KeyWriter w) => w.Write((ulong)value, descending),
                k => new KeyReader(k).ReadUInt64());
        }
    }

    private static void AssertWidth(Int128 value, Int128 min, Int128 max, byte[] key, WriteParts write, Func<byte[], Int128> read)
    {
        if (value < min || value > max)
        {
            var error = Assert.Throws<LsmKeyFormatException>(() => read(key));
            Assert.Contains("does not fit", error.Message, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(key, Encode(write));
        Assert.Equal(value, read(key));
    }

    [Fact]
    public void Enums_encode_as_their_underlying_integer_and_round_trip()
    {
        foreach (var value in new[] { SmallSigned.Low, SmallSigned.Zero, SmallSigned.High, (SmallSigned)(-3) })
        {
            var key = Encode((ref KeyWriter w) => w.WriteEnum(value));
            Assert.Equal(Encode((ref KeyWriter w) => w.Write((long)value)), key);
            Assert.Equal(value, new KeyReader(key).ReadEnum<SmallSigned>());
        }

        foreach (var value in new[] { Wide.Zero, Wide.Top, (Wide)12345 })
        {
            var key = Encode((ref KeyWriter w) => w.WriteEnum(value, descending: true));
            Assert.Equal(Encode((ref KeyWriter w) => w.Write((ulong)value, descending: true)), key);
            Assert.Equal(value, new KeyReader(key).ReadEnum<Wide>());
        }

        foreach (var value in new[] { DayOfWeek.Sunday, DayOfWeek.Saturday })
        {
            Assert.Equal(value, new KeyReader(Encode((ref KeyWriter w) => w.WriteEnum(value))).ReadEnum<DayOfWeek>());
        }

        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Encode((ref KeyWriter w) => w.Write(200))).ReadEnum<SmallSigned>());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Encode((ref KeyWriter w) => w.Write(-1))).ReadEnum<Wide>());
    }

    [Fact]
    public void Non_minimal_integers_are_rejected()
    {
        // 1 written in two bytes, and -1 written in two bytes: a second encoding of one value would split an identity.
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader([0x16, 0x00, 0x01]).ReadInt64());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader([0x12, 0xFF, 0xFE]).ReadInt64());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader([0xE8, 0xFF, 0xFE]).ReadInt64()); // descending 0x16 00 01
    }

    [Fact]
    public void Temporal_values_encode_as_their_tick_or_day_integers()
    {
        var random = new Random(5);
        for (var i = 0; i < 10_000; i++)
        {
            var ticks = random.NextInt64(0, DateTime.MaxValue.Ticks + 1);
            var kind = (DateTimeKind)random.Next(3);
            var otherKind = (DateTimeKind)random.Next(3);
            var date = new DateTime(ticks, kind);
            var key = Encode((ref KeyWriter w) => w.Write(date));
            Assert.Equal(Encode((ref KeyWriter w) => w.Write(ticks)), key);
            Assert.Equal(key, Encode((ref KeyWriter w) => w.Write(new DateTime(ticks, otherKind)))); // Equals ignores Kind
            Assert.Equal(ticks, new KeyReader(key).ReadDateTime().Ticks);

            var offset = TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1));
            var utc = random.NextInt64(DateTimeOffset.MinValue.UtcTicks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay);
            var instant = new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(offset);
            var other = instant.ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1)));
            var instantKey = Encode((ref KeyWriter w) => w.Write(instant));
            Assert.Equal(instantKey, Encode((ref KeyWriter w) => w.Write(other)));
            Assert.Equal(instant, new KeyReader(instantKey).ReadDateTimeOffset());

            var day = DateOnly.FromDayNumber(random.Next(0, DateOnly.MaxValue.DayNumber + 1));
            Assert.Equal(day, new KeyReader(Encode((ref KeyWriter w) => w.Write(day, descending: true))).ReadDateOnly());
            var time = new TimeOnly(random.NextInt64(0, TimeOnly.MaxValue.Ticks + 1));
            Assert.Equal(time, new KeyReader(Encode((ref KeyWriter w) => w.Write(time))).ReadTimeOnly());
            var span = new TimeSpan(random.NextInt64(long.MinValue, long.MaxValue));
            Assert.Equal(span, new KeyReader(Encode((ref KeyWriter w) => w.Write(span, descending: true))).ReadTimeSpan());

            var later = date.AddTicks(random.NextInt64(0, DateTime.MaxValue.Ticks - ticks + 1));
            Assert.True(Memcmp(key, Encode((ref KeyWriter w) => w.Write(later))) <= 0);
        }

        foreach (var edge in new[] { DateTime.MinValue, DateTime.MaxValue })
        {
            Assert.Equal(edge, new KeyReader(Encode((ref KeyWriter w) => w.Write(edge))).ReadDateTime());
        }

        Assert.Equal(TimeSpan.MinValue, new KeyReader(Encode((ref KeyWriter w) => w.Write(TimeSpan.MinValue))).ReadTimeSpan());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Encode((ref KeyWriter w) => w.Write(-1L))).ReadDateTime());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Encode((ref KeyWriter w) => w.Write(long.MaxValue))).ReadDateOnly());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Encode((ref KeyWriter w) => w.Write(TimeSpan.TicksPerDay))).ReadTimeOnly());
    }
}
