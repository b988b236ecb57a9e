using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Statistics;

/// <summary>
/// <see cref="LsmDatabase.ApproximateSize"/> against the true counts of deterministic data: estimates come from index
/// blocks and skiplist tops, so they are checked to be within a factor (<see cref="Factor"/>) of the truth for ranges of
/// a few hundred entries or more, and exactly 0 where nothing can lie in the range.
/// </summary>
public class ApproximateSizeTests
{
    private const int Count = 20_000;
    private const double Factor = 1.5;

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"k{i:D6}");

    private static LsmDatabase OpenFilled(bool flush, int from = 0, int to = Count)
    {
        var db = LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem(), Compression = TableCompression.None });
        var value = new byte[100];
        for (var i = from; i < to; i++)
        {
            value[0] = (byte)i;
            db.Put(Key(i), value);
        }

        if (flush)
        {
            db.Flush();
        }

        return db;
    }

    private static void AssertWithinFactor(long expected, long estimate)
    {
        Assert.InRange(estimate, (long)(expected / Factor), (long)(expected * Factor));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ranges_inside_the_data_are_estimated_within_the_factor(bool flush)
    {
        using var db = OpenFilled(flush);
        foreach (var (from, to) in new[] { (0, Count), (1_000, 3_000), (5_000, 5_500), (10_000, 19_000), (19_500, Count) })
        {
            var estimate = db.ApproximateSize(Key(from), Key(to));
            AssertWithinFactor(to - from, estimate.Entries);
            Assert.True(estimate.Bytes > estimate.Entries * 100 / Factor, $"bytes {estimate.Bytes} for {estimate.Entries} entries of 100-byte values");
        }
    }

    [Fact]
    public void Tables_and_memtable_add_up()
    {
        using var db = OpenFilled(flush: true, 0, Count / 2);
        var value = new byte[100];
        for (var i = Count / 2; i < Count; i++)
        {
            db.Put(Key(i), value);
        }

        AssertWithinFactor(Count, db.ApproximateSize([], [0xFF]).Entries);
        AssertWithinFactor(2_000, db.ApproximateSize(Key(Count / 2 - 1_000), Key(Count / 2 + 1_000)).Entries);
        AssertWithinFactor(1_000, db.ApproximateSize(Key(Count - 1_000), Key(Count)).Entries);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Empty_inverted_and_outside_ranges_estimate_zero(bool flush)
    {
        using var db = OpenFilled(flush);
        Assert.Equal(0, db.ApproximateSize(Key(100), Key(100)).Entries);
        Assert.Equal(0, db.ApproximateSize(Key(200), Key(100)).Entries);
        Assert.Equal(0, db.ApproximateSize("a"u8, "b"u8).Entries);
        Assert.Equal(0, db.ApproximateSize("z"u8, "zz"u8).Entries);
        Assert.Equal(0, db.ApproximateSize("z"u8, "zz"u8).Bytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ranges_beyond_the_ends_count_what_they_cover(bool flush)
    {
        using var db = OpenFilled(flush);
        AssertWithinFactor(Count, db.ApproximateSize([], [0xFF, 0xFF]).Entries);
        AssertWithinFactor(500, db.ApproximateSize("a"u8, Key(500)).Entries);
        AssertWithinFactor(500, db.ApproximateSize(Key(Count - 500), "z"u8).Entries);
    }

    [Fact]
    public void An_empty_database_estimates_zero()
    {
        using var db = LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem() });
        Assert.Equal(0, db.ApproximateSize([], [0xFF]).Entries);
    }
}
