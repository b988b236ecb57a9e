using EFCore.Lsm.Tool.Commands;

namespace EFCore.Lsm.Tool.Tests.Commands;

public class KeyRangeTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFF }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xFE }, new byte[] { 0x61, 0xFF })]
    [InlineData(new byte[] { 0x00, 0xFF, 0xFF }, new byte[] { 0x01 })]
    public void Prefix_end_is_the_first_key_after_every_prefixed_key(byte[] prefix, byte[] expected)
        => Assert.Equal(expected, KeyRange.PrefixEnd(prefix));

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]
    public void A_prefix_with_no_successor_leaves_the_range_open(byte[] prefix)
        => Assert.Null(KeyRange.PrefixEnd(prefix));

    [Fact]
    public void Range_contains_exactly_the_keys_that_satisfy_from_to_and_prefix()
    {
        // Reference: the plain definition, checked over random short keys from a small alphabet (so prefixes collide).
        var random = new Random(4242);
        byte[] alphabet = [0x00, 0x01, 0x61, 0x62, 0xFE, 0xFF];
        byte[]? RandomKey(int maxLength, bool allowNull)
        {
            if (allowNull && random.Next(3) == 0)
            {
                return null;
            }

            var key = new byte[random.Next(0, maxLength + 1)];
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = alphabet[random.Next(alphabet.Length)];
            }

            return key;
        }

        for (var round = 0; round < 3000; round++)
        {
            var from = RandomKey(3, allowNull: true);
            var to = RandomKey(3, allowNull: true);
            var prefix = RandomKey(2, allowNull: true);
            var range = KeyRange.Create(from, to, prefix);
            for (var k = 0; k < 20; k++)
            {
                var key = RandomKey(4, allowNull: false)!;
                var expected = (from is null || key.AsSpan().SequenceCompareTo(from) >= 0)
                               && (to is null || key.AsSpan().SequenceCompareTo(to) < 0)
                               && (prefix is null || key.AsSpan().StartsWith(prefix));
                Assert.Equal(expected, range.Contains(key));
                if (range.IsEmpty)
                {
                    Assert.False(expected);
                }
            }
        }
    }
}
