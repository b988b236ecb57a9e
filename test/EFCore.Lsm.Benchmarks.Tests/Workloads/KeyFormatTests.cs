using System.Text;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.Benchmarks.Tests.Workloads;

public sealed class KeyFormatTests
{
    [Fact]
    public void Keys_are_16_byte_zero_padded_decimals_whose_byte_order_is_index_order()
    {
        Span<byte> key = stackalloc byte[16];
        KeyFormat.Write(key, 42);
        Assert.Equal("0000000000000042", Encoding.ASCII.GetString(key));

        var random = new Random(9);
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        for (var i = 0; i < 10_000; i++)
        {
            var x = random.NextInt64(0, 10_000_000_000_000_000);
            var y = random.NextInt64(0, 10_000_000_000_000_000);
            KeyFormat.Write(a, x);
            KeyFormat.Write(b, y);
            Assert.Equal(Math.Sign(x.CompareTo(y)), Math.Sign(a.SequenceCompareTo(b)));
        }
    }

    [Fact]
    public void Missing_keys_are_never_stored_keys_and_sort_among_them()
    {
        Span<byte> missing = stackalloc byte[16];
        Span<byte> hit = stackalloc byte[16];
        var random = new Random(4);
        for (var i = 0; i < 10_000; i++)
        {
            var index = random.NextInt64(10, 1_000_000);
            KeyFormat.WriteMissing(missing, index);
            Assert.Equal(16, Encoding.ASCII.GetString(missing).Length);

            // Just before the first of its ten neighbours, after the key before them: inside the stored range.
            var first = index / 10 * 10;
            KeyFormat.Write(hit, first);
            Assert.True(missing.SequenceCompareTo(hit) < 0);
            KeyFormat.Write(hit, first - 1);
            Assert.True(missing.SequenceCompareTo(hit) > 0);
            Assert.Equal((byte)'.', missing[15]);
        }
    }

    [Fact]
    public void Indexes_with_more_than_16_digits_are_rejected()
    {
        var key = new byte[16];
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyFormat.Write(key, 10_000_000_000_000_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyFormat.Write(key, -1));
    }

    [Fact]
    public void Random_indexes_stay_in_bound_and_cover_it()
    {
        var generator = new SplitMix64(77);
        var seen = new bool[100];
        for (var i = 0; i < 10_000; i++)
        {
            var index = generator.NextIndex(100);
            Assert.InRange(index, 0, 99);
            seen[index] = true;
        }

        Assert.All(seen, Assert.True);
    }
}
