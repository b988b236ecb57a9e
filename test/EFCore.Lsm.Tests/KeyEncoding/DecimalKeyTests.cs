using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class DecimalKeyTests
{
    public static TheoryData<string, string> Examples => new()
    {
        { "0", "23" },
        { "1", "248102" },
        { "1.5", "24810364" },
        { "-1.5", "227EFC9B" },
        { "100", "248202" },
        { "1000", "248214" },
        { "0.01", "248002" },
        { "123.456", "2482032F5B78" },
        { "0.0000000000000000000000000001", "247302" },
        { "79228162514264337593543950335", "248F0FB93921331D35574B774757BF0746" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Bytes_match_the_documented_examples(string text, string hex)
    {
        var value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(hex, Hex(Encode((ref KeyWriter w) => w.Write(value))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Byte_order_is_CompareTo_order_and_byte_equality_is_Equals(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomDecimal(random);
            var b = random.Next(6) switch
            {
                0 => Rescaled(a, random.Next(1, 10)),
                1 => -a,
                _ => RandomDecimal(random),
            };
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => w.Write(a, descending));
            var kb = Encode((ref KeyWriter w) => w.Write(b, descending));
            Assert.True(Math.Sign(a.CompareTo(b)) * (descending ? -1 : 1) == Memcmp(ka, kb), $"{a} vs {b}, descending {descending}: {Hex(ka)} {Hex(kb)}");
            Assert.Equal(a.Equals(b), ka.AsSpan().SequenceEqual(kb));
        }
    }

    [Fact]
    public void Round_trips_to_the_same_value_at_its_smallest_scale()
    {
        var random = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            var value = random.Next(10) == 0 ? Rescaled(RandomDecimal(random), 28) : RandomDecimal(random);
            var descending = random.Next(2) == 0;
            var key = Encode((ref KeyWriter w) => w.Write(value, descending));
            var decoded = new KeyReader(key).ReadDecimal();
            Assert.Equal(value, decoded);
            Assert.Equal(SmallestScale(value), decoded.Scale);
            Assert.True(key.Length <= DecimalKey.MaxEncodedLength);
        }
    }

    [Fact]
    public void Edge_values_round_trip_and_sort()
    {
        decimal[] ordered =
        [
            decimal.MinValue, -1e20m, -1.00000000000000000000000001m, -1m, -0.5m, -0.0000000000000000000000000001m, 0m,
            0.0000000000000000000000000001m, 0.0000000000000000000000000010m + 0.0000000000000000000000000001m, 0.01m, 0.1m, 0.99m,
            1m, 1.0000000000000000000000000001m, 9.999999999999999999999999999m, 10m, 99m, 100m, 101m, 1e28m, decimal.MaxValue,
        ];
        for (var i = 0; i < ordered.Length; i++)
        {
            var key = Encode((ref KeyWriter w) => w.Write(ordered[i]));
            Assert.Equal(ordered[i], new KeyReader(key).ReadDecimal());
            if (i > 0)
            {
                Assert.True(Memcmp(Encode((ref KeyWriter w) => w.Write(ordered[i - 1])), key) < 0, $"{ordered[i - 1]} < {ordered[i]}");
            }
        }
    }

    [Fact]
    public void Scales_and_signed_zeros_of_one_value_give_one_key()
    {
        Assert.Equal(Encode((ref KeyWriter w) => w.Write(1.0m)), Encode((ref KeyWriter w) => w.Write(1.00m)));
        Assert.Equal(Encode((ref KeyWriter w) => w.Write(1m)), Encode((ref KeyWriter w) => w.Write(1.0000000000000000000000000000m)));
        Assert.Equal(Encode((ref KeyWriter w) => w.Write(0m)), Encode((ref KeyWriter w) => w.Write(new decimal(0, 0, 0, true, 5))));
        Assert.Equal(Encode((ref KeyWriter w) => w.Write(-2.5m)), Encode((ref KeyWriter w) => w.Write(-2.500m)));
    }

    [Theory]
    [InlineData("2481", "ends before its last digit")]
    [InlineData("24", "ends before its exponent")]
    [InlineData("248100", "not a decimal digit byte")] // last digit 0: not normalised
    [InlineData("2481C8", "not a decimal digit byte")] // 200 is not 2d or 2d+1 for a digit below 100
    [InlineData("24810102", "first base-100 digit is zero")]
    [InlineData("249002", "exponent 16")]
    [InlineData("247202", "exponent -14")]
    [InlineData("248FC7C7C7C7C7C7C7C7C7C7C7C7C7C702", "outside the range")] // 0.99999… × 100^15 > decimal.MaxValue
    [InlineData("2480C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C6", "more than 15")]
    public void Malformed_decimals_are_rejected(string hex, string reason)
    {
        var error = Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString(hex)).ReadDecimal());
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    private static int SmallestScale(decimal value)
    {
        var mantissa = Mantissa(value);
        var scale = value.Scale;
        while (scale > 0 && mantissa % 10 == 0)
        {
            mantissa /= 10;
            scale--;
        }

        return mantissa == 0 ? 0 : scale;
    }
}
