using System.Globalization;

namespace EFCore.Lsm.Benchmarks;

/// <summary>db_bench-shaped data for the micro-benchmarks: 16-byte zero-padded decimal keys, 100-byte values.</summary>
internal static class BenchmarkKeys
{
    public const int KeySize = 16;
    public const int ValueSize = 100;

    /// <summary>Keys 0..count-1 in one array, key i at [i*16, i*16+16), so lookups index it without allocating.</summary>
    public static byte[] Sequential(int count)
    {
        var keys = new byte[count * KeySize];
        for (var i = 0; i < count; i++)
        {
            i.TryFormat(keys.AsSpan(i * KeySize, KeySize), out _, "D16", CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>A seeded random permutation of 0..count-1, the order the lookups visit keys in.</summary>
    public static int[] ShuffledOrder(int count, int seed = 42)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    public static ReadOnlySpan<byte> Key(byte[] keys, int index) => keys.AsSpan(index * KeySize, KeySize);

    public static byte[] Value()
    {
        var value = new byte[ValueSize];
        new Random(7).NextBytes(value);
        return value;
    }
}
