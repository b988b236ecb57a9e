using System.Text;
using EFCore.Lsm.DbBench;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.Benchmarks.Tests.Stores;

/// <summary>
/// Each installed engine, through its <see cref="IKeyValueStore"/> wrapper, against a sorted dictionary: random puts,
/// deletes, batches, gets, seeks and scans, across a reopen. Catches a wrapper that mixes up lengths, leaks the wrong
/// value span, or loses a batch.
/// </summary>
public sealed class StoreConformanceTests
{
    public static TheoryData<string> Engines()
    {
        var data = new TheoryData<string>();
        foreach (var engine in HarnessSmokeTests.InstalledEngines())
        {
            data.Add(engine);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void Random_operations_match_a_sorted_dictionary(string engine)
    {
        using var dir = new TestDirectory();
        var path = dir.Sub(engine);
        var options = new StoreOptions { WriteBufferSize = 64 << 10, BlockCacheSize = 1 << 20 };
        var reference = new SortedDictionary<byte[], byte[]>(Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)));
        var random = new Random(engine.Length * 31 + 7);
        var buffer = new byte[300];

        byte[] RandomKey() => Encoding.ASCII.GetBytes($"k{random.Next(0, 400):D5}" + new string('x', random.Next(0, 3)));
        byte[] RandomValue()
        {
            var value = new byte[random.Next(0, 300)];
            random.NextBytes(value);
            return value;
        }

        var store = StoreCatalog.Open(engine, path, options);
        try
        {
            for (var step = 0; step < 4000; step++)
            {
                switch (random.Next(0, 10))
                {
                    case <= 3:
                    {
                        var (key, value) = (RandomKey(), RandomValue());
                        store.Put(key, value, sync: step % 500 == 0);
                        reference[key] = value;
                        break;
                    }

                    case 4:
                    {
                        var key = RandomKey();
                        store.Delete(key, sync: false);
                        reference.Remove(key);
                        break;
                    }

                    case 5:
                    {
                        using var batch = store.CreateBatch();
                        var pending = new List<(byte[] Key, byte[]? Value)>();
                        for (var i = random.Next(1, 20); i > 0; i--)
                        {
                            var key = RandomKey();
                            if (random.Next(4) == 0)
                            {
                                batch.Delete(key);
                                pending.Add((key, null));
                            }
                            else
                            {
                                var value = RandomValue();
                                batch.Put(key, value);
                                pending.Add((key, value));
                            }
                        }

                        Assert.Equal(pending.Count, batch.Count);
                        store.Write(batch, sync: false);
                        foreach (var (key, value) in pending)
                        {
                            if (value is null)
                            {
                                reference.Remove(key);
                            }
                            else
                            {
                                reference[key] = value;
                            }
                        }

                        batch.Clear();
                        Assert.Equal(0, batch.Count);
                        break;
                    }

                    case <= 8:
                    {
                        var key = RandomKey();
                        var length = store.Get(key, buffer);
                        if (reference.TryGetValue(key, out var expected))
                        {
                            Assert.Equal(expected.Length, length);
                            Assert.Equal(expected, buffer[..length]);
                        }
                        else
                        {
                            Assert.Equal(-1, length);
                        }

                        // A too-small destination gets a prefix but the full length back.
                        if (expected is { Length: > 4 })
                        {
                            var small = new byte[4];
                            Assert.Equal(expected.Length, store.Get(key, small));
                            Assert.Equal(expected[..4], small);
                        }

                        break;
                    }

                    default:
                    {
                        var target = RandomKey();
                        using var iterator = store.NewIterator();
                        iterator.Seek(target);
                        var expected = reference.Where(p => p.Key.AsSpan().SequenceCompareTo(target) >= 0).Take(5).ToList();
                        foreach (var (key, value) in expected)
                        {
                            Assert.True(iterator.Valid);
                            Assert.Equal(key, iterator.Key.ToArray());
                            Assert.Equal(value, iterator.Value.ToArray());
                            iterator.Next();
                        }

                        if (expected.Count < 5)
                        {
                            Assert.False(iterator.Valid);
                        }

                        break;
                    }
                }

                if (step == 2000)
                {
                    store.Dispose();
                    store = StoreCatalog.Open(engine, path, options);
                }
            }

            using var scan = store.NewIterator();
            var seen = new List<KeyValuePair<byte[], byte[]>>();
            for (scan.SeekToFirst(); scan.Valid; scan.Next())
            {
                seen.Add(new(scan.Key.ToArray(), scan.Value.ToArray()));
            }

            Assert.Equal(reference.Select(p => (p.Key, p.Value)), seen.Select(p => (p.Key, p.Value)));
        }
        finally
        {
            store.Dispose();
        }
    }

    [Fact]
    public void Opening_a_peer_where_no_database_can_be_created_raises_a_typed_error()
    {
        foreach (var engine in HarnessSmokeTests.InstalledEngines().Where(StoreCatalog.IsPeer))
        {
            using var dir = new TestDirectory();
            var file = dir.Sub("not-a-folder");
            File.WriteAllText(file, "x");
            var e = Assert.Throws<PeerStoreException>(() => StoreCatalog.Open(engine, Path.Combine(file, "db"), new StoreOptions()));
            Assert.Contains("open", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Unknown_engines_are_rejected_by_name()
    {
        var e = Assert.Throws<BenchArgumentException>(() => StoreCatalog.Open("sqlite", "/tmp/never", new StoreOptions()));
        Assert.Contains("sqlite", e.Message, StringComparison.Ordinal);
    }
}
