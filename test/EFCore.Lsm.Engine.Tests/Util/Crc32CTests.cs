using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Tests.Util;

public class Crc32CTests
{
    [Fact]
    public void Matches_published_check_values()
    {
        // RFC 3720 B.4 / LevelDB crc32c_test: 32 zero bytes and the ASCII digits "123456789".
        Assert.Equal(0x8a9136aau, Crc32C.Compute(new byte[32]));
        Assert.Equal(0xe3069283u, Crc32C.Compute("123456789"u8));
        var ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(0x46dd794eu, Crc32C.Compute(ascending));
    }

    [Fact]
    public void Extend_equals_whole_computation_at_every_split()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray();
        var whole = Crc32C.Compute(data);
        for (var split = 0; split <= data.Length; split++)
        {
            Assert.Equal(whole, Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }

    [Fact]
    public void Matches_a_bitwise_reference_at_every_length_around_the_interleaved_rounds()
    {
        // The interleaved lanes take spans of 384 bytes and more; lengths cover no round, short rounds, a long round,
        // several of each, and the rest after them, from unaligned starts and with a previous CRC to continue from.
        var random = new Random(7);
        var data = new byte[(2 * 3 * 1024) + (3 * 3 * 128) + 64];
        random.NextBytes(data);
        var lengths = Enumerable.Range(0, 800).Concat(Enumerable.Range(3 * 1024 - 20, 420)).Concat(Enumerable.Range(data.Length - 80, 77));
        foreach (var length in lengths)
        {
            var start = length % 3;
            var slice = data.AsSpan(start, length);
            var previous = (uint)length * 0x9E3779B1u;
            Assert.Equal(BitwiseReference(previous, slice), Crc32C.Extend(previous, slice));
        }
    }

    [Fact]
    public void Mask_round_trips_and_changes_value()
    {
        var crc = Crc32C.Compute("foo"u8);
        Assert.NotEqual(crc, Crc32C.Mask(crc));
        Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
    }

    /// <summary>CRC32C one bit at a time (reflected polynomial 0x82F63B78): slow, and obviously right.</summary>
    private static uint BitwiseReference(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        foreach (var b in data)
        {
            state ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                state = (state & 1) != 0 ? (state >> 1) ^ 0x82F63B78u : state >> 1;
            }
        }

        return ~state;
    }
}
