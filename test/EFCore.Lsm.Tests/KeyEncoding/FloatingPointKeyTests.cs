using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class FloatingPointKeyTests
{
    [Theory]
    [InlineData(0.0, "218000000000000000")]
    [InlineData(1.0, "21BFF0000000000000")]
    [InlineData(-1.0, "21400FFFFFFFFFFFFF")]
    [InlineData(double.PositiveInfinity, "21FFF0000000000000")]
    [InlineData(double.NegativeInfinity, "21000FFFFFFFFFFFFF")]
    [InlineData(double.NaN, "210007FFFFFFFFFFFF")]
    public void Bytes_match_the_documented_examples(double value, string hex)
    {
        Assert.Equal(hex, Hex(Encode((ref KeyWriter w) => w.Write(value))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Double_byte_order_is_CompareTo_order_and_byte_equality_is_Equals(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomDouble(random);
            var b = random.Next(8) == 0 ? a : RandomDouble(random);
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => w.Write(a, descending));
            var kb = Encode((ref KeyWriter w) => w.Write(b, descending));
            Assert.True(
                Math.Sign(a.CompareTo(b)) * (descending ? -1 : 1) == Memcmp(ka, kb),
                $"{a:R} ({BitConverter.DoubleToUInt64Bits(a):X16}) vs {b:R} ({BitConverter.DoubleToUInt64Bits(b):X16}), descending {descending}");
            Assert.Equal(a.Equals(b), ka.AsSpan().SequenceEqual(kb));

            var decoded = new KeyReader(ka).ReadDouble();
            Assert.True(decoded.Equals(a), $"{a:R} decoded as {decoded:R}");
            if (!double.IsNaN(a))
            {
                // -0 comes back as +0, the value Equals treats it as.
                Assert.Equal(a == 0 ? 0UL : BitConverter.DoubleToUInt64Bits(a), BitConverter.DoubleToUInt64Bits(decoded));
            }
        }
    }

    [Fact]
    public void Single_encodes_as_the_double_it_widens_to_and_keeps_CompareTo_order()
    {
        var random = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomSingle(random);
            var b = random.Next(8) == 0 ? a : RandomSingle(random);
            var ka = Encode((ref KeyWriter w) => w.Write(a));
            var kb = Encode((ref KeyWriter w) => w.Write(b));
            Assert.Equal(Encode((ref KeyWriter w) => w.Write((double)a)), ka);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Memcmp(ka, kb));
            Assert.Equal(a.Equals(b), ka.AsSpan().SequenceEqual(kb));
            Assert.True(new KeyReader(ka).ReadSingle().Equals(a));
        }
    }

    [Fact]
    public void Every_NaN_and_both_zeros_collapse_as_Equals_does()
    {
        var canonical = Encode((ref KeyWriter w) => w.Write(double.NaN));
        foreach (var bits in new ulong[] { 0x7FF8_0000_0000_0000, 0x7FF0_0000_0000_0001, 0xFFFF_FFFF_FFFF_FFFF, 0x7FF4_0000_0000_1234 })
        {
            var nan = BitConverter.UInt64BitsToDouble(bits);
            Assert.Equal(canonical, Encode((ref KeyWriter w) => w.Write(nan)));
        }

        Assert.Equal(canonical, Encode((ref KeyWriter w) => w.Write(float.NaN)));
        Assert.Equal(Encode((ref KeyWriter w) => w.Write(0.0)), Encode((ref KeyWriter w) => w.Write(-0.0f)));
        Assert.True(Memcmp(canonical, Encode((ref KeyWriter w) => w.Write(double.NegativeInfinity))) < 0);
    }

    [Fact]
    public void Images_no_double_is_written_as_are_rejected()
    {
        // -0 (flipped: 0x7FFF...) and a NaN other than the canonical one would be second encodings of 0 and NaN.
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString("217FFFFFFFFFFFFFFF")).ReadDouble());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString("21FFF8000000000000")).ReadDouble());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString("210000000000000000")).ReadDouble());
        Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString("2180000000000000")).ReadDouble());
        var notSingle = Encode((ref KeyWriter w) => w.Write(0.1));
        var error = Assert.Throws<LsmKeyFormatException>(() => new KeyReader(notSingle).ReadSingle());
        Assert.Contains("Single", error.Message, StringComparison.Ordinal);
    }
}
