using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class KeyRangeTests
{
    [Theory]
    [InlineData("", null)]
    [InlineData("FF", null)]
    [InlineData("FFFF", null)]
    [InlineData("00", "01")]
    [InlineData("01FF", "02")]
    [InlineData("0102", "0103")]
    [InlineData("02FEFFFF", "02FF")]
    public void PrefixSuccessor_increments_the_last_byte_that_is_not_0xFF(string prefix, string? expected)
    {
        var bytes = Convert.FromHexString(prefix);
        var successor = KeyRange.PrefixSuccessor(bytes);
        Assert.Equal(expected, successor is null ? null : Hex(successor));
        var inPlace = bytes.ToArray();
        Assert.Equal(expected is not null, KeyRange.TryMakePrefixSuccessor(inPlace, out var length));
        Assert.Equal(expected ?? "", Hex(inPlace[..length]));
    }

    [Fact]
    public void PrefixSuccessor_bounds_exactly_the_keys_with_the_prefix()
    {
        var random = new Random(1);
        byte[] alphabet = [0x00, 0x01, 0xFE, 0xFF];
        byte[] Next(int max)
        {
            var bytes = new byte[random.Next(0, max)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = alphabet[random.Next(alphabet.Length)];
            }

            return bytes;
        }

        for (var i = 0; i < 20_000; i++)
        {
            var prefix = Next(4);
            var key = random.Next(2) == 0 ? [.. prefix, .. Next(3)] : Next(6);
            var successor = KeyRange.PrefixSuccessor(prefix);
            var inRange = Memcmp(key, prefix) >= 0 && (successor is null || Memcmp(key, successor) < 0);
            Assert.Equal(key.AsSpan().StartsWith(prefix), inRange);
        }
    }

    [Fact]
    public void AfterParts_appends_0xFF()
    {
        Assert.Equal("0261FF", Hex(KeyRange.AfterParts([0x02, 0x61])));
        Assert.Equal("FF", Hex(KeyRange.AfterParts([])));
    }
}
