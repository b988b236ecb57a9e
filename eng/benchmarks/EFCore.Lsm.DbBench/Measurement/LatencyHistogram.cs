using System.Diagnostics;
using System.Numerics;

namespace EFCore.Lsm.DbBench.Measurement;

/// <summary>
/// Per-operation latencies in <see cref="Stopwatch"/> ticks, in log-linear buckets (32 per power of two, so a
/// percentile is within about 3% of the exact value). Fixed size (15 KiB), so recording never allocates; one
/// histogram per thread, merged afterwards.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int BucketCount = (64 - SubBucketBits + 1) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _min = long.MaxValue;
    private long _max;

    public long Count { get; private set; }

    public long MinTicks => Count == 0 ? 0 : _min;

    public long MaxTicks => _max;

    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        _counts[IndexOf((ulong)ticks)]++;
        Count++;
        if (ticks < _min)
        {
            _min = ticks;
        }

        if (ticks > _max)
        {
            _max = ticks;
        }
    }

    public void Merge(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _min = Math.Min(_min, other._min);
        _max = Math.Max(_max, other._max);
    }

    /// <summary>
    /// The value (in ticks) at percentile <paramref name="percentile"/> (0–100]: the midpoint of the bucket holding the
    /// rank-th smallest sample, clamped to the observed min and max. 0 when empty.
    /// </summary>
    public long PercentileTicks(double percentile)
    {
        if (percentile is <= 0 or > 100 || double.IsNaN(percentile))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "A percentile must be in (0, 100].");
        }

        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (lower, width) = BucketRange(i);
                var mid = (long)(lower + ((width - 1) / 2));
                return Math.Clamp(mid, MinTicks, _max);
            }
        }

        return _max;
    }

    public static double TicksToMicroseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    public double PercentileMicroseconds(double percentile) => TicksToMicroseconds(PercentileTicks(percentile));

    internal static int IndexOf(ulong value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount(value);
        var sub = (int)(value >> (exponent - SubBucketBits)) & (SubBuckets - 1);
        return ((exponent - SubBucketBits + 1) * SubBuckets) + sub;
    }

    /// <summary>The smallest value in bucket <paramref name="index"/> and how many values it spans.</summary>
    internal static (ulong Lower, ulong Width) BucketRange(int index)
    {
        if (index < SubBuckets)
        {
            return ((ulong)index, 1);
        }

        var exponent = (index / SubBuckets) + SubBucketBits - 1;
        var sub = (ulong)(index % SubBuckets);
        var shift = exponent - SubBucketBits;
        return ((SubBuckets + sub) << shift, 1UL << shift);
    }
}
