using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;

namespace EFCore.Lsm.Engine.Tests.Iterators;

/// <summary>Random data and source layouts shared by the iterator tests.</summary>
internal static class IteratorTestData
{
    /// <summary>
    /// A small byte alphabet including 0x00 and 0xFF so keys that are prefixes of each other and extreme bytes are common.
    /// </summary>
    private static readonly byte[] Alphabet = [0x00, (byte)'a', (byte)'b', 0xFF];

    public static byte[] RandomUserKey(Random random, int alphabetSize, int maxLength)
    {
        var key = new byte[random.Next(maxLength + 1)];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = Alphabet[random.Next(alphabetSize)];
        }

        return key;
    }

    public static byte[] RandomValue(Random random, int id)
    {
        // The id makes every value distinguishable, the random tail varies the lengths (including empty tails).
        var value = new byte[4 + random.Next(6)];
        BitConverter.TryWriteBytes(value, id);
        random.NextBytes(value.AsSpan(4));
        return value;
    }

    /// <summary>
    /// Splits sorted entries into consecutive, non-overlapping "files" (with some empty ones) and returns a
    /// <see cref="LevelIterator"/> over them; every file iterator it opens is added to <paramref name="opened"/>.
    /// </summary>
    public static LevelIterator BuildLevel(
        Random random, IReadOnlyList<(byte[] Key, byte[] Value)> sortedEntries, List<VectorIterator> opened, bool allowEmptyFiles = true)
    {
        var files = new List<List<(byte[] Key, byte[] Value)>>();
        var currentFile = new List<(byte[] Key, byte[] Value)>();
        foreach (var entry in sortedEntries)
        {
            currentFile.Add(entry);
            if (random.Next(4) == 0)
            {
                files.Add(currentFile);
                currentFile = [];
            }
        }

        if (currentFile.Count > 0 || files.Count == 0)
        {
            files.Add(currentFile);
        }

        if (allowEmptyFiles)
        {
            var empties = random.Next(3);
            for (var i = 0; i < empties; i++)
            {
                files.Insert(random.Next(files.Count + 1), []);
            }
        }

        // An empty file gets a one-key range touching its neighbour's boundary so the largest keys stay sorted.
        var smallest = new List<byte[]>();
        var largest = new List<byte[]>();
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].Count > 0)
            {
                smallest.Add(files[i][0].Key);
                largest.Add(files[i][^1].Key);
                continue;
            }

            byte[]? boundary = i > 0 ? largest[i - 1] : null;
            if (boundary is null)
            {
                var next = files.Skip(i + 1).FirstOrDefault(f => f.Count > 0);
                boundary = next is not null ? next[0].Key : InternalKey.Create([], InternalKey.MaxSequence, ValueKind.Put);
            }

            smallest.Add(boundary);
            largest.Add(boundary);
        }

        return new LevelIterator(smallest, largest, index =>
        {
            var file = new VectorIterator(files[index], sort: false);
            opened.Add(file);
            return file;
        });
    }

    public static int CompareBytes(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);
}
