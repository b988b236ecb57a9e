using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;

namespace EFCore.Lsm.Engine.Tests.Iterators;

/// <summary>
/// One randomized run of the full read stack: a random history of puts and deletes split across sources the way the
/// memtables, L0 tables and levels would hold it, merged, viewed through <see cref="LsmIterator"/> at a random snapshot
/// with random bounds, and driven by random operations checked against a model computed straight from the history.
/// </summary>
internal static class LsmIteratorModelTest
{
    public static void Run(int seed, int operations)
    {
        var random = new Random(seed);
        var alphabetSize = 2 + random.Next(3);
        var maxKeyLength = 1 + random.Next(3);

        // History: unique, increasing (sometimes gapped) sequence numbers over a small key space, so most keys carry
        // several versions and tombstones.
        var history = new List<(byte[] UserKey, ulong Sequence, ValueKind Kind, byte[] Value)>();
        var historyLength = random.Next(0, 80);
        ulong sequence = 0;
        for (var i = 0; i < historyLength; i++)
        {
            sequence += 1 + (ulong)(random.Next(4) == 0 ? random.Next(3) : 0);
            var kind = random.Next(3) == 0 ? ValueKind.Delete : ValueKind.Put;
            var value = kind == ValueKind.Put ? IteratorTestData.RandomValue(random, i) : [];
            history.Add((IteratorTestData.RandomUserKey(random, alphabetSize, maxKeyLength), sequence, kind, value));
        }

        var snapshot = (ulong)random.Next(0, (int)sequence + 3);
        var lower = random.Next(2) == 0 ? IteratorTestData.RandomUserKey(random, alphabetSize, maxKeyLength + 1) : null;
        var upper = random.Next(2) == 0 ? IteratorTestData.RandomUserKey(random, alphabetSize, maxKeyLength + 1) : null;

        // The model: newest visible version per user key, puts only, inside the bounds, sorted bytewise.
        var model = history
            .Where(h => h.Sequence <= snapshot)
            .GroupBy(h => Convert.ToHexString(h.UserKey))
            .Select(g => g.MaxBy(h => h.Sequence))
            .Where(h => h.Kind == ValueKind.Put)
            .Where(h => lower is null || IteratorTestData.CompareBytes(h.UserKey, lower) >= 0)
            .Where(h => upper is null || IteratorTestData.CompareBytes(h.UserKey, upper) < 0)
            .Select(h => (Key: h.UserKey, h.Value))
            .OrderBy(h => h.Key, Comparer<byte[]>.Create(IteratorTestData.CompareBytes))
            .ToList();

        // Sources: each entry goes to a random source; some sources are levels of several non-overlapping files.
        var sourceCount = 1 + random.Next(5);
        var sourceEntries = Enumerable.Range(0, sourceCount).Select(_ => new List<(byte[] Key, byte[] Value)>()).ToArray();
        foreach (var h in history)
        {
            sourceEntries[random.Next(sourceCount)].Add((InternalKey.Create(h.UserKey, h.Sequence, h.Kind), h.Value));
        }

        var opened = new List<VectorIterator>();
        var sources = new IInternalIterator[sourceCount];
        for (var i = 0; i < sourceCount; i++)
        {
            var sorted = sourceEntries[i].OrderBy(e => e.Key, InternalKeyComparer.Instance).ToList();
            sources[i] = random.Next(3) switch
            {
                0 => IteratorTestData.BuildLevel(random, sorted, opened),
                _ when sorted.Count == 0 && random.Next(2) == 0 => EmptyIterator.Instance,
                _ => new VectorIterator(sorted, sort: false),
            };
        }

        var resources = new CountingDisposable();
        // Small skip limits make the reseek paths run constantly; the default exercises plain stepping.
        var maxSkip = random.Next(3) == 0 ? LsmIterator.DefaultMaxSequentialSkip : 1 + random.Next(4);
        var iterator = new LsmIterator(new MergingIterator(sources), snapshot, lower, upper, resources, maxSkip);

        string Describe(byte[]? key) => key is null ? "null" : Convert.ToHexString(key);
        var header = $"seed {seed} (snapshot {snapshot}, lower {Describe(lower)}, upper {Describe(upper)}, "
            + $"max skip {maxSkip}, {model.Count} visible)";
        var log = new List<string>();
        var position = -1;
        for (var step = 0; step < operations; step++)
        {
            var op = random.Next(12);
            if (position < 0 && op >= 4)
            {
                // Next/Prev need a valid iterator; check that they refuse, then reposition instead.
                if (op == 11)
                {
                    Assert.Throws<InvalidOperationException>(iterator.Next);
                    Assert.Throws<InvalidOperationException>(iterator.Prev);
                }

                op = random.Next(4);
            }

            switch (op)
            {
                case 0:
                    log.Add("SeekToFirst");
                    iterator.SeekToFirst();
                    position = model.Count > 0 ? 0 : -1;
                    break;
                case 1:
                    log.Add("SeekToLast");
                    iterator.SeekToLast();
                    position = model.Count - 1;
                    break;
                case 2:
                {
                    var target = IteratorTestData.RandomUserKey(random, alphabetSize, maxKeyLength + 1);
                    log.Add($"Seek {Describe(target)}");
                    iterator.Seek(target);
                    position = model.FindIndex(e => IteratorTestData.CompareBytes(e.Key, target) >= 0);
                    break;
                }

                case 3:
                {
                    var target = IteratorTestData.RandomUserKey(random, alphabetSize, maxKeyLength + 1);
                    log.Add($"SeekForPrev {Describe(target)}");
                    iterator.SeekForPrev(target);
                    position = model.FindLastIndex(e => IteratorTestData.CompareBytes(e.Key, target) <= 0);
                    break;
                }

                case 4:
                case 5:
                case 6:
                case 7:
                    log.Add("Next");
                    iterator.Next();
                    position = position + 1 < model.Count ? position + 1 : -1;
                    break;
                default:
                    log.Add("Prev");
                    iterator.Prev();
                    position--;
                    break;
            }

            var context = $"{header}, step {step}: {string.Join(", ", log.TakeLast(8))}";
            Assert.True(iterator.Valid == (position >= 0), $"Valid should be {position >= 0}; {context}");
            if (position >= 0)
            {
                Assert.True(
                    iterator.Key.SequenceEqual(model[position].Key),
                    $"Key {Convert.ToHexString(iterator.Key)} != {Convert.ToHexString(model[position].Key)}; {context}");
                Assert.True(iterator.Value.SequenceEqual(model[position].Value), $"Value mismatch; {context}");
            }
        }

        iterator.Dispose();
        Assert.Equal(1, resources.DisposeCount);
        Assert.All(opened, o => Assert.True(o.IsDisposed, $"file left open; {header}"));
        Assert.All(sources.OfType<VectorIterator>(), s => Assert.Equal(1, s.DisposeCount));
    }

    private sealed class CountingDisposable : IDisposable
    {
        public int DisposeCount { get; private set; }

        public void Dispose() => DisposeCount++;
    }
}
