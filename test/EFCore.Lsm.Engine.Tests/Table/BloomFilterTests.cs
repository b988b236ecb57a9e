using System.Text;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class BloomFilterTests
{
    [Fact]
    public void Murmur3_matches_published_vectors()
    {
        // MurmurHash3_x86_32 reference values (SMHasher).
        Assert.Equal(0u, BloomFilter.Murmur3([], 0));
        Assert.Equal(0x514E28B7u, BloomFilter.Murmur3([], 1));
        Assert.Equal(0x81F16F39u, BloomFilter.Murmur3([], 0xffffffff));
        Assert.Equal(0x2362F9DEu, BloomFilter.Murmur3([0, 0, 0, 0], 0));
        Assert.Equal(0x5A97808Au, BloomFilter.Murmur3("aaaa"u8, 0x9747b28c));
        Assert.Equal(0x283E0130u, BloomFilter.Murmur3("aaa"u8, 0x9747b28c));
        Assert.Equal(0x5D211726u, BloomFilter.Murmur3("aa"u8, 0x9747b28c));
        Assert.Equal(0x7FA09EA6u, BloomFilter.Murmur3("a"u8, 0x9747b28c));
        Assert.Equal(0x24884CBAu, BloomFilter.Murmur3("Hello, world!"u8, 0x9747b28c));
        Assert.Equal(0x2FA826CDu, BloomFilter.Murmur3("The quick brown fox jumps over the lazy dog"u8, 0x9747b28c));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 7)]
    [InlineData(20, 14)]
    [InlineData(64, 30)]
    public void Probe_count_is_bits_times_ln2_clamped(int bitsPerKey, int expected)
        => Assert.Equal(expected, BloomFilter.ProbeCount(bitsPerKey));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(10_000)]
    public void Has_no_false_negatives_and_about_one_percent_false_positives(int keyCount)
    {
        var keys = Enumerable.Range(0, keyCount).Select(i => Encoding.ASCII.GetBytes($"key{i}")).ToArray();
        var filter = new byte[BloomFilter.FilterLength(keyCount, 10)];
        BloomFilter.Build(keys.Select(k => BloomFilter.Hash(k)).ToArray(), 10, filter);
        Assert.True(BloomFilter.IsWellFormed(filter));
        Assert.Equal(7, filter[^1]);
        foreach (var key in keys)
        {
            Assert.True(BloomFilter.MayContain(filter, key));
        }

        var falsePositives = 0;
        const int probes = 10_000;
        for (var i = 0; i < probes; i++)
        {
            if (BloomFilter.MayContain(filter, Encoding.ASCII.GetBytes($"absent{i}")))
            {
                falsePositives++;
            }
        }

        var rate = falsePositives / (double)probes;
        if (keyCount >= 100)
        {
            Assert.InRange(rate, 0.001, 0.03);
        }
        else
        {
            // Tiny filters get the 64-bit minimum and are very sparse.
            Assert.InRange(rate, 0, 0.03);
        }
    }

    [Fact]
    public void Malformed_filters_are_recognised()
    {
        Assert.False(BloomFilter.IsWellFormed([]));
        Assert.False(BloomFilter.IsWellFormed([7]));
        Assert.False(BloomFilter.IsWellFormed([0, 0, 0, 0, 0]));
        Assert.False(BloomFilter.IsWellFormed([0, 0, 0, 0, 31]));
        Assert.True(BloomFilter.IsWellFormed([0, 30]));
    }
}
