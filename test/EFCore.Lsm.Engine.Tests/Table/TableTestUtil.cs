using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

/// <summary>An entry of the reference model: an internal key and its value.</summary>
internal sealed record ModelEntry(byte[] Key, byte[] Value)
{
    public byte[] UserKey => Key[..^InternalKey.TrailerSize];

    public ulong Sequence => InternalKey.Sequence(Key);

    public ValueKind Kind => InternalKey.Kind(Key);

    public override string ToString() => InternalKey.Describe(Key);
}

internal static class TableTestUtil
{
    public static readonly string Dir = Path.Combine(Path.GetTempPath(), "lsm-table-tests");

    public static MemoryFileSystem NewFileSystem()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(Dir);
        return fs;
    }

    public static string TablePath(ulong number) => FileNames.TableFile(Dir, number);

    public static TableProperties Build(IFileSystem fs, string path, IReadOnlyList<ModelEntry> entries, TableOptions? options = null)
    {
        using var file = fs.CreateFile(path);
        var builder = new TableBuilder(file, options ?? new TableOptions());
        foreach (var e in entries)
        {
            builder.Add(e.Key, e.Value);
        }

        var props = builder.Finish();
        file.Sync();
        return props;
    }

    public static TableReader Open(IFileSystem fs, string path, BlockCache? cache = null, TableReadStatistics? stats = null, ulong number = 1)
        => TableReader.Open(fs.OpenRandomAccess(path), path, number, cache, stats);

    public static byte[] Key(string userKey, ulong seq, ValueKind kind = ValueKind.Put)
        => InternalKey.Create(Encoding.UTF8.GetBytes(userKey), seq, kind);

    /// <summary>
    /// Random sorted entries: <paramref name="userKeyCount"/> distinct user keys with 1..maxVersions versions each,
    /// globally unique sequence numbers, about 1 in 5 versions a deletion.
    /// </summary>
    public static List<ModelEntry> RandomEntries(Random rng, int userKeyCount, int maxVersions, Func<Random, byte[]> userKeyGen, int maxValueLength = 40)
    {
        var userKeys = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ModelEntry>();
        ulong seq = (ulong)rng.Next(1, 1000);
        var attempts = 0;
        while (userKeys.Count < userKeyCount && attempts++ < userKeyCount * 20)
        {
            var uk = userKeyGen(rng);
            if (!userKeys.Add(Convert.ToHexString(uk)))
            {
                continue;
            }

            var versions = rng.Next(1, maxVersions + 1);
            for (var v = 0; v < versions; v++)
            {
                seq += (ulong)rng.Next(1, 5);
                var kind = rng.Next(5) == 0 ? ValueKind.Delete : ValueKind.Put;
                var value = kind == ValueKind.Delete ? [] : RandomBytes(rng, rng.Next(0, maxValueLength + 1));
                result.Add(new ModelEntry(InternalKey.Create(uk, seq, kind), value));
            }
        }

        result.Sort((a, b) => InternalKey.Compare(a.Key, b.Key));
        return result;
    }

    public static byte[] RandomBytes(Random rng, int length)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>Printable keys with long shared prefixes: "user/0000123/suffix".</summary>
    public static byte[] PrefixedKey(Random rng)
        => Encoding.ASCII.GetBytes($"user/{rng.Next(0, 1_000_000):D7}/{(rng.Next(3) == 0 ? "x" : "")}");

    /// <summary>Short keys over {00, 01, 7f, fe, ff} to exercise separator edge cases (prefixes, 0xff bytes, empty key).</summary>
    public static byte[] EdgeByteKey(Random rng)
    {
        ReadOnlySpan<byte> alphabet = [0x00, 0x01, 0x7f, 0xfe, 0xff];
        var b = new byte[rng.Next(0, 6)];
        for (var i = 0; i < b.Length; i++)
        {
            b[i] = alphabet[rng.Next(alphabet.Length)];
        }

        return b;
    }

    /// <summary>The model's answer to a point lookup: the newest version with sequence &lt;= snapshot.</summary>
    public static ModelEntry? ModelGet(IReadOnlyList<ModelEntry> sorted, ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        var seek = InternalKey.Create(userKey, Math.Min(snapshot, InternalKey.MaxSequence), InternalKey.KindForSeek);
        var i = LowerBound(sorted, seek);
        return i < sorted.Count && sorted[i].UserKey.AsSpan().SequenceEqual(userKey) ? sorted[i] : null;
    }

    /// <summary>Index of the first entry &gt;= target.</summary>
    public static int LowerBound(IReadOnlyList<ModelEntry> sorted, ReadOnlySpan<byte> target)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (InternalKey.Compare(sorted[mid].Key, target) < 0)
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

    public static List<ModelEntry> ReadForward(IInternalIterator it, int limit = int.MaxValue)
    {
        var list = new List<ModelEntry>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            list.Add(new ModelEntry(it.Key.ToArray(), it.Value.ToArray()));
            if (list.Count > limit)
            {
                throw new InvalidOperationException("iterator did not stop");
            }
        }

        return list;
    }

    public static List<ModelEntry> ReadBackward(IInternalIterator it, int limit = int.MaxValue)
    {
        var list = new List<ModelEntry>();
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            list.Add(new ModelEntry(it.Key.ToArray(), it.Value.ToArray()));
            if (list.Count > limit)
            {
                throw new InvalidOperationException("iterator did not stop");
            }
        }

        list.Reverse();
        return list;
    }

    public static void AssertSameEntries(IReadOnlyList<ModelEntry> expected, IReadOnlyList<ModelEntry> actual, string context)
    {
        Assert.True(expected.Count == actual.Count, $"{context}: expected {expected.Count} entries, got {actual.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            if (!expected[i].Key.AsSpan().SequenceEqual(actual[i].Key) || !expected[i].Value.AsSpan().SequenceEqual(actual[i].Value))
            {
                Assert.Fail($"{context}: entry {i} differs: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
