using EFCore.Lsm.DbBench.Measurement;

namespace EFCore.Lsm.Benchmarks.Tests.Measurement;

public sealed class LatencyHistogramTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_are_within_bucket_resolution_of_the_exact_values(int seed)
    {
        var random = new Random(seed);
        var histogram = new LatencyHistogram();
        var samples = new long[20_000];
        for (var i = 0; i < samples.Length; i++)
        {
            // Log-uniform over 1 tick .. ~10^9 ticks, plus some exact small values, like real latency spreads.
            samples[i] = i % 10 == 0 ? random.Next(0, 40) : (long)Math.Exp(random.NextDouble() * 21);
            histogram.Record(samples[i]);
        }

        Array.Sort(samples);
        foreach (var p in new[] { 0.1, 1, 10, 50, 90, 99, 99.9, 100 })
        {
            var exact = samples[Math.Max(0, (int)Math.Ceiling(p / 100 * samples.Length) - 1)];
            var estimate = histogram.PercentileTicks(p);
            Assert.True(Math.Abs(estimate - exact) <= Math.Max(1, exact / 32.0), $"p{p}: exact {exact}, estimate {estimate}");
        }

        Assert.Equal(samples.Length, histogram.Count);
        Assert.Equal(samples[0], histogram.MinTicks);
        Assert.Equal(samples[^1], histogram.MaxTicks);
    }

    [Fact]
    public void Every_value_falls_inside_the_bucket_it_is_counted_in()
    {
        var random = new Random(11);
        var values = new List<ulong> { 0, 1, 31, 32, 33, 63, 64, 65, 127, 128, long.MaxValue, ulong.MaxValue };
        for (var i = 0; i < 10_000; i++)
        {
            values.Add((ulong)random.NextInt64() >> random.Next(0, 63));
        }

        var previousIndex = -1;
        foreach (var value in values.Order())
        {
            var index = LatencyHistogram.IndexOf(value);
            var (lower, width) = LatencyHistogram.BucketRange(index);
            Assert.True(lower <= value && value - lower < width, $"{value} in bucket {index} = [{lower}, +{width})");
            Assert.True(index >= previousIndex, "bucket order must follow value order");
            previousIndex = index;
        }
    }

    [Fact]
    public void Merging_equals_recording_everything_in_one()
    {
        var random = new Random(5);
        var all = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (var i = 0; i < 3000; i++)
        {
            var value = random.NextInt64(0, 5_000_000);
            all.Record(value);
            parts[i % 3].Record(value);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        Assert.Equal(all.Count, merged.Count);
        Assert.Equal(all.MinTicks, merged.MinTicks);
        Assert.Equal(all.MaxTicks, merged.MaxTicks);
        foreach (var p in new[] { 1.0, 50, 99, 100 })
        {
            Assert.Equal(all.PercentileTicks(p), merged.PercentileTicks(p));
        }
    }

    [Fact]
    public void Edge_cases_empty_single_negative_and_bad_percentiles()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.PercentileTicks(50));

        histogram.Record(-5); // a clock step backwards counts as 0, never as a huge unsigned value
        Assert.Equal(0, histogram.MaxTicks);
        histogram.Record(1_000_003);
        Assert.Equal(1_000_003, histogram.PercentileTicks(100));
        Assert.Equal(0, histogram.PercentileTicks(50));

        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.PercentileTicks(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.PercentileTicks(100.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.PercentileTicks(double.NaN));
    }
}
