using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine.Tests.Memtable;

/// <summary>
/// A random workload (user keys with many versions, puts and tombstones, sequences 1..n) and its reference answers,
/// computed from a <see cref="SortedSet{T}"/> ordered by <see cref="InternalKeyComparer"/> and by brute force.
/// </summary>
internal sealed class Model
{
    private readonly List<byte[]> _insertOrder = [];
    private readonly Dictionary<string, List<byte[]>> _versionsByUserKey = [];

    public Model(Random random, int entryCount, int distinctKeys, int largeValueChance, bool inSequenceOrder)
    {
        var seenKeys = new HashSet<string>();
        while (UserKeys.Count < distinctKeys)
        {
            var key = RandomUserKey(random);
            if (seenKeys.Add(Convert.ToHexString(key)))
            {
                UserKeys.Add(key);
            }
        }

        var sequences = Enumerable.Range(1, entryCount).Select(i => (ulong)i).ToArray();
        if (!inSequenceOrder)
        {
            random.Shuffle(sequences);
        }

        var set = new SortedSet<byte[]>(InternalKeyComparer.Instance);
        foreach (var sequence in sequences)
        {
            // Skewed key choice so some keys collect dozens of versions.
            var userKey = UserKeys[random.Next(random.Next(1, UserKeys.Count + 1))];
            var kind = random.Next(5) == 0 ? ValueKind.Delete : ValueKind.Put;
            var valueLength = largeValueChance > 0 && random.Next(largeValueChance) == 0 ? random.Next(200, 700) : random.Next(0, 24);
            var value = new byte[kind == ValueKind.Put ? valueLength : 0];
            random.NextBytes(value);
            var internalKey = InternalKey.Create(userKey, sequence, kind);
            Assert.True(set.Add(internalKey));
            Values[sequence] = value;
            _insertOrder.Add(internalKey);
            PayloadBytes += internalKey.Length + value.Length;
            var hex = Convert.ToHexString(userKey);
            if (!_versionsByUserKey.TryGetValue(hex, out var versions))
            {
                _versionsByUserKey[hex] = versions = [];
            }

            versions.Add(internalKey);
        }

        Sorted = [.. set];
    }

    public List<byte[]> UserKeys { get; } = [];

    /// <summary>Value by sequence (empty for tombstones).</summary>
    public Dictionary<ulong, byte[]> Values { get; } = [];

    public byte[][] Sorted { get; }

    public long PayloadBytes { get; }

    /// <summary>Short keys over a 3-letter alphabet: many shared prefixes, prefixes of each other, and the empty key.</summary>
    public static byte[] RandomUserKey(Random random)
    {
        var key = new byte[random.Next(0, 7)];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = (byte)("abz"[random.Next(3)]);
        }

        return key;
    }

    public MemTable Build(int slabSize, ulong seed)
    {
        var table = new MemTable(slabSize, seed);
        foreach (var key in _insertOrder)
        {
            var sequence = InternalKey.Sequence(key);
            table.Add(sequence, InternalKey.Kind(key), InternalKey.UserKey(key), Values[sequence]);
        }

        return table;
    }

    public byte[] ValueOf(byte[] internalKey) => Values[InternalKey.Sequence(internalKey)];

    /// <summary>A seek target: a present or absent user key, any sequence around the used range, either kind.</summary>
    public byte[] RandomTarget(Random random)
    {
        var userKey = random.Next(3) == 0 ? RandomUserKey(random) : UserKeys[random.Next(UserKeys.Count)];
        var sequence = random.Next(10) == 0 ? InternalKey.MaxSequence : (ulong)random.Next(0, Sorted.Length + 2);
        return InternalKey.Create(userKey, sequence, random.Next(2) == 0 ? ValueKind.Put : ValueKind.Delete);
    }

    /// <summary>Index of the first entry &gt;= target (Sorted.Length if none).</summary>
    public int LowerBound(byte[] target)
    {
        int lo = 0, hi = Sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (InternalKey.Compare(Sorted[mid], target) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Index of the first entry &gt; target (Sorted.Length if none).</summary>
    public int UpperBound(byte[] target)
    {
        int lo = 0, hi = Sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (InternalKey.Compare(Sorted[mid], target) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>By brute force: the version of <paramref name="userKey"/> with the largest sequence &lt;= snapshot, or null.</summary>
    public byte[]? NewestVisible(byte[] userKey, ulong snapshot)
    {
        if (!_versionsByUserKey.TryGetValue(Convert.ToHexString(userKey), out var versions))
        {
            return null;
        }

        byte[]? best = null;
        foreach (var version in versions)
        {
            var sequence = InternalKey.Sequence(version);
            if (sequence <= snapshot && (best == null || sequence > InternalKey.Sequence(best)))
            {
                best = version;
            }
        }

        return best;
    }
}
