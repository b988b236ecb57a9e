using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class TableRoundTripTests
{
    public static TheoryData<int, int, int, int, string> RandomCases => new()
    {
        // seed, user keys, block size, restart interval, key generator
        { 1, 1500, 4096, 16, "prefixed" },
        { 2, 1500, 256, 16, "prefixed" },
        { 3, 800, 128, 1, "prefixed" },
        { 4, 600, 200, 3, "edge" },
        { 5, 1000, 64, 16, "edge" },
        { 6, 2000, 1024, 4, "random" },
    };

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Random_table_matches_model(int seed, int userKeys, int blockSize, int restartInterval, string keyGen)
    {
        var rng = new Random(seed);
        Func<Random, byte[]> gen = keyGen switch
        {
            "prefixed" => TableTestUtil.PrefixedKey,
            "edge" => TableTestUtil.EdgeByteKey,
            _ => r => TableTestUtil.RandomBytes(r, r.Next(0, 24)),
        };
        var entries = TableTestUtil.RandomEntries(rng, userKeys, 5, gen);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var options = new TableOptions { BlockSize = blockSize, RestartInterval = restartInterval };
        var written = TableTestUtil.Build(fs, path, entries, options);
        var ctx = $"seed {seed}";

        var cache = new BlockCache(1 << 20);
        var stats = new TableReadStatistics();
        using var reader = TableTestUtil.Open(fs, path, cache, stats);
        CheckProperties(entries, written, ctx);
        CheckProperties(entries, reader.Properties, ctx);
        Assert.Equal(fs.GetFileSize(path), reader.Properties.FileSize);
        reader.VerifyAllBlocks();

        using (var it = reader.NewIterator())
        {
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), ctx + " forward");
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), ctx + " backward");
        }

        var maxSeq = entries.Max(e => e.Sequence);
        var userKeyList = entries.Select(e => e.UserKey).Distinct(ByteArrayComparer.Instance).ToList();
        for (var i = 0; i < 3000; i++)
        {
            var present = rng.Next(3) != 0;
            var uk = present ? userKeyList[rng.Next(userKeyList.Count)] : gen(rng);
            var snapshot = rng.Next(10) == 0 ? ulong.MaxValue : (ulong)rng.NextInt64(0, (long)maxSeq + 2);
            var expected = TableTestUtil.ModelGet(entries, uk, snapshot);
            var found = reader.TryGet(uk, snapshot, out var kind, out var value);
            Assert.True((expected is not null) == found, $"{ctx}: get {Convert.ToHexString(uk)} @{snapshot}");
            if (found)
            {
                Assert.Equal(expected!.Kind, kind);
                Assert.True(value.SequenceEqual(expected.Value), $"{ctx}: value of {Convert.ToHexString(uk)} @{snapshot}");
            }
        }

        using (var it = reader.NewIterator())
        {
            for (var i = 0; i < 1000; i++)
            {
                var uk = rng.Next(2) == 0 ? userKeyList[rng.Next(userKeyList.Count)] : gen(rng);
                var target = InternalKey.Create(uk, (ulong)rng.NextInt64(0, (long)maxSeq + 2), (ValueKind)rng.Next(2));
                var pos = TableTestUtil.LowerBound(entries, target);
                it.Seek(target);
                Assert.True(pos < entries.Count == it.Valid, $"{ctx}: seek {InternalKey.Describe(target)}");
                for (var step = 0; step < 8 && it.Valid; step++)
                {
                    Assert.True(it.Key.SequenceEqual(entries[pos].Key), $"{ctx}: step {step} after seek {InternalKey.Describe(target)}");
                    Assert.True(it.Value.SequenceEqual(entries[pos].Value), ctx);
                    if (rng.Next(2) == 0)
                    {
                        it.Next();
                        pos++;
                    }
                    else
                    {
                        it.Prev();
                        pos--;
                    }

                    Assert.True((pos >= 0 && pos < entries.Count) == it.Valid, ctx);
                }
            }
        }

        Assert.True(stats.BlockCacheHits > 0);
        Assert.True(stats.BloomChecks > 0);
        Assert.True(stats.BloomUseful > 0);
    }

    private static void CheckProperties(List<ModelEntry> entries, TableProperties p, string ctx)
    {
        Assert.Equal(entries.Count, p.EntryCount);
        Assert.Equal(entries.Count(e => e.Kind == ValueKind.Delete), p.DeletionCount);
        Assert.Equal(entries.Min(e => e.Sequence), p.SmallestSequence);
        Assert.Equal(entries.Max(e => e.Sequence), p.LargestSequence);
        Assert.True(entries[0].Key.AsSpan().SequenceEqual(p.SmallestKey), ctx);
        Assert.True(entries[^1].Key.AsSpan().SequenceEqual(p.LargestKey), ctx);
        Assert.Equal(entries.Sum(e => (long)e.Key.Length), p.RawKeySize);
        Assert.Equal(entries.Sum(e => (long)e.Value.Length), p.RawValueSize);
        Assert.True(p.DataBlockCount >= 1);
        Assert.True(p.DataSize + p.FilterSize + p.IndexSize < p.FileSize);
        Assert.Equal(TableFormat.VersionUncompressed, p.FormatVersion);
    }

    [Fact]
    public void Empty_table_round_trips()
    {
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var written = TableTestUtil.Build(fs, path, []);
        Assert.Equal(0, written.EntryCount);
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(1 << 20));
        Assert.Equal(0, reader.Properties.EntryCount);
        Assert.Empty(reader.Properties.SmallestKey);
        Assert.Empty(reader.Properties.LargestKey);
        Assert.Equal(0, reader.Properties.DataBlockCount);
        Assert.False(reader.TryGet("a"u8, ulong.MaxValue, out _, out _));
        Assert.False(reader.MayContain("a"u8));
        using var it = reader.NewIterator();
        Assert.Empty(TableTestUtil.ReadForward(it));
        Assert.Empty(TableTestUtil.ReadBackward(it));
        it.Seek(TableTestUtil.Key("", ulong.MaxValue >> 8));
        Assert.False(it.Valid);
        reader.VerifyAllBlocks();
        Assert.Equal(0, reader.ApproximateOffsetOf(TableTestUtil.Key("x", 1)));
    }

    [Fact]
    public void Single_entry_table()
    {
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var entries = new List<ModelEntry> { new(TableTestUtil.Key("only", 42), "v"u8.ToArray()) };
        TableTestUtil.Build(fs, path, entries);
        using var reader = TableTestUtil.Open(fs, path);
        Assert.True(reader.TryGet("only"u8, 42, out var kind, out var value));
        Assert.Equal(ValueKind.Put, kind);
        Assert.True(value.SequenceEqual("v"u8));
        Assert.True(reader.TryGet("only"u8, ulong.MaxValue, out _, out _));
        Assert.False(reader.TryGet("only"u8, 41, out _, out _));
        Assert.False(reader.TryGet("onl"u8, 100, out _, out _));
        Assert.False(reader.TryGet("only\0"u8, 100, out _, out _));
        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
        it.Seek(TableTestUtil.Key("only", 41));
        Assert.False(it.Valid);
        it.Seek(TableTestUtil.Key("a", 1));
        Assert.True(it.Valid);
        it.Prev();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Deletion_is_returned_with_empty_value_and_hides_older_put()
    {
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        TableTestUtil.Build(fs, path,
        [
            new(TableTestUtil.Key("k", 30, ValueKind.Put), "new"u8.ToArray()),
            new(TableTestUtil.Key("k", 20, ValueKind.Delete), []),
            new(TableTestUtil.Key("k", 10, ValueKind.Put), "old"u8.ToArray()),
        ]);
        using var reader = TableTestUtil.Open(fs, path);
        Assert.True(reader.TryGet("k"u8, 25, out var kind, out var value));
        Assert.Equal(ValueKind.Delete, kind);
        Assert.True(value.IsEmpty);
        Assert.True(reader.TryGet("k"u8, 15, out kind, out value));
        Assert.Equal(ValueKind.Put, kind);
        Assert.True(value.SequenceEqual("old"u8));
        Assert.True(reader.TryGet("k"u8, 30, out _, out value));
        Assert.True(value.SequenceEqual("new"u8));
        Assert.False(reader.TryGet("k"u8, 9, out _, out _));
        Assert.Equal(1, reader.Properties.DeletionCount);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(17)]
    [InlineData(48)]
    public void Keys_at_restart_and_block_boundaries(int perBlock)
    {
        // Fixed-size entries so blocks cut exactly after `perBlock` entries and restarts fall on block edges.
        var entries = Enumerable.Range(0, perBlock * 5).Select(i => new ModelEntry(TableTestUtil.Key($"key{i:D5}", 100), new byte[10])).ToList();
        var probe = new BlockBuilder(16);
        foreach (var e in entries.Take(perBlock))
        {
            probe.Add(e.Key, e.Value);
        }

        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var props = TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = probe.CurrentSizeEstimate });
        Assert.Equal(5, props.DataBlockCount);
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(1 << 20));
        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.True(reader.TryGet(entries[i].UserKey, 100, out _, out _), $"key {i}");
            it.Seek(entries[i].Key);
            Assert.True(it.Key.SequenceEqual(entries[i].Key));
            it.Prev();
            Assert.Equal(i > 0, it.Valid);
            if (i > 0)
            {
                Assert.True(it.Key.SequenceEqual(entries[i - 1].Key));
            }

            // Past all versions of this key: the next key (which may start the next block).
            it.Seek(InternalKey.Create(entries[i].UserKey, 0, ValueKind.Delete));
            Assert.Equal(i + 1 < entries.Count, it.Valid);
            Assert.False(reader.TryGet(entries[i].UserKey, 99, out _, out _));
        }
    }

    [Fact]
    public void Large_values_and_huge_keys_round_trip()
    {
        var rng = new Random(7);
        var entries = new List<ModelEntry>();
        for (var i = 0; i < 30; i++)
        {
            var uk = Encoding.ASCII.GetBytes($"{i:D3}").Concat(TableTestUtil.RandomBytes(rng, i % 3 == 0 ? 3000 : 5)).ToArray();
            entries.Add(new ModelEntry(InternalKey.Create(uk, (ulong)(i + 1), ValueKind.Put), TableTestUtil.RandomBytes(rng, rng.Next(0, 3) * 50_000)));
        }

        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var props = TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 4096 });
        Assert.True(props.DataBlockCount >= 10);
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(16 << 20));
        reader.VerifyAllBlocks();
        foreach (var e in entries)
        {
            Assert.True(reader.TryGet(e.UserKey, ulong.MaxValue, out _, out var value));
            Assert.True(value.SequenceEqual(e.Value));
        }

        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
    }

    [Fact]
    public void Long_shared_prefixes_and_many_versions_of_one_key_across_blocks()
    {
        var prefix = new string('p', 2000);
        var entries = new List<ModelEntry>();
        for (var i = 0; i < 50; i++)
        {
            for (var v = 20; v >= 1; v--)
            {
                entries.Add(new ModelEntry(TableTestUtil.Key($"{prefix}{i:D3}", (ulong)((i * 100) + v)), Encoding.ASCII.GetBytes($"{i}:{v}")));
            }
        }

        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 512, RestartInterval = 8 });
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(1 << 20));
        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
        for (var i = 0; i < 50; i++)
        {
            for (var v = 0; v <= 21; v++)
            {
                var found = reader.TryGet(Encoding.ASCII.GetBytes($"{prefix}{i:D3}"), (ulong)((i * 100) + v), out _, out var value);
                Assert.Equal(v >= 1, found);
                if (found)
                {
                    Assert.Equal($"{i}:{Math.Min(v, 20)}", Encoding.ASCII.GetString(value));
                }
            }
        }
    }

    [Fact]
    public void Table_without_filter_works()
    {
        var rng = new Random(3);
        var entries = TableTestUtil.RandomEntries(rng, 300, 2, TableTestUtil.PrefixedKey);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var props = TableTestUtil.Build(fs, path, entries, new TableOptions { BloomBitsPerKey = 0, BlockSize = 512 });
        Assert.Equal(0, props.FilterSize);
        var stats = new TableReadStatistics();
        using var reader = TableTestUtil.Open(fs, path, null, stats);
        Assert.False(reader.HasFilter);
        Assert.True(reader.MayContain("anything"u8));
        foreach (var e in entries)
        {
            var expected = TableTestUtil.ModelGet(entries, e.UserKey, e.Sequence)!;
            Assert.True(reader.TryGet(e.UserKey, e.Sequence, out var kind, out var value));
            Assert.Equal(expected.Kind, kind);
            Assert.True(value.SequenceEqual(expected.Value));
        }

        Assert.False(reader.TryGet("zzz"u8, ulong.MaxValue, out _, out _));
        Assert.Equal(0, stats.BloomChecks);
        Assert.True(stats.DataBlockReads >= entries.Count);
    }

    [Fact]
    public void Builder_rejects_unordered_duplicate_and_malformed_keys()
    {
        var fs = TableTestUtil.NewFileSystem();
        using var file = fs.CreateFile(TableTestUtil.TablePath(1));
        var builder = new TableBuilder(file, new TableOptions());
        builder.Add(TableTestUtil.Key("b", 5), []);
        Assert.Throws<InvalidOperationException>(() => builder.Add(TableTestUtil.Key("b", 5), []));
        Assert.Throws<InvalidOperationException>(() => builder.Add(TableTestUtil.Key("b", 6), []));
        Assert.Throws<InvalidOperationException>(() => builder.Add(TableTestUtil.Key("a", 1), []));
        Assert.Throws<ArgumentException>(() => builder.Add([1, 2, 3], []));
        builder.Add(TableTestUtil.Key("b", 4), []);
        Assert.Equal(2, builder.EntryCount);
        builder.Finish();
        Assert.Throws<InvalidOperationException>(() => builder.Add(TableTestUtil.Key("c", 1), []));
        Assert.Throws<InvalidOperationException>(() => builder.Finish());
    }

    [Fact]
    public void Estimated_file_size_tracks_the_file()
    {
        var fs = TableTestUtil.NewFileSystem();
        using var file = fs.CreateFile(TableTestUtil.TablePath(1));
        var builder = new TableBuilder(file, new TableOptions { BlockSize = 1024 });
        long last = 0;
        for (var i = 0; i < 2000; i++)
        {
            builder.Add(TableTestUtil.Key($"key{i:D6}", 1), new byte[50]);
            Assert.True(builder.EstimatedFileSize >= last);
            Assert.InRange(builder.EstimatedFileSize - file.Length, 0, 1200);
            last = builder.EstimatedFileSize;
        }

        var props = builder.Finish();
        Assert.Equal(file.Length, props.FileSize);
        Assert.InRange(last, props.DataSize - 1200, props.FileSize);
    }

    [Fact]
    public void TryGet_on_a_cached_block_allocates_nothing()
    {
        var rng = new Random(9);
        var entries = TableTestUtil.RandomEntries(rng, 500, 3, TableTestUtil.PrefixedKey);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        TableTestUtil.Build(fs, path, entries);
        var stats = new TableReadStatistics();
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(8 << 20), stats);
        var probes = entries.Select(e => e.UserKey).Take(200).Append(new byte[1000]).Append("absent"u8.ToArray()).ToArray();

        var hits = 0;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var uk in probes)
            {
                if (reader.TryGet(uk, ulong.MaxValue, out _, out var value))
                {
                    hits += value.Length >= 0 ? 1 : 0;
                }
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round > 0)
            {
                Assert.Equal(0, allocated);
            }
        }

        Assert.True(hits > 0);
        Assert.True(stats.BlockCacheHits > 0);
    }

    [Fact]
    public void FillCache_false_does_not_populate_the_cache()
    {
        var entries = Enumerable.Range(0, 500).Select(i => new ModelEntry(TableTestUtil.Key($"k{i:D4}", 1), new byte[20])).ToList();
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var props = TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 512 });
        var cache = new BlockCache(1 << 20);
        var stats = new TableReadStatistics();
        using var reader = TableTestUtil.Open(fs, path, cache, stats);
        using (var it = reader.NewIterator(fillCache: false))
        {
            Assert.Equal(500, TableTestUtil.ReadForward(it).Count);
        }

        Assert.Equal(0, cache.Count);
        Assert.Equal(props.DataBlockCount, stats.DataBlockReads);
        using (var it = reader.NewIterator())
        {
            Assert.Equal(500, TableTestUtil.ReadForward(it).Count);
        }

        Assert.Equal(props.DataBlockCount, cache.Count);
        using (var it = reader.NewIterator())
        {
            Assert.Equal(500, TableTestUtil.ReadBackward(it).Count);
        }

        Assert.Equal(2 * props.DataBlockCount, stats.DataBlockReads);
        Assert.Equal(props.DataBlockCount, cache.Hits);
    }

    [Fact]
    public void Approximate_offsets_are_monotonic()
    {
        var entries = Enumerable.Range(0, 2000).Select(i => new ModelEntry(TableTestUtil.Key($"k{i:D5}", 1), new byte[40])).ToList();
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var props = TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 1024 });
        using var reader = TableTestUtil.Open(fs, path);
        long previous = -1;
        for (var i = 0; i < entries.Count; i += 37)
        {
            var offset = reader.ApproximateOffsetOf(entries[i].Key);
            Assert.True(offset >= previous);
            Assert.InRange(offset, 0, props.DataSize);
            previous = offset;
        }

        Assert.Equal(0, reader.ApproximateOffsetOf(TableTestUtil.Key("a", 1)));
        Assert.Equal(props.DataSize, reader.ApproximateOffsetOf(TableTestUtil.Key("z", 1)));
        Assert.InRange(reader.ApproximateOffsetOf(entries[1000].Key), props.DataSize * 0.4, props.DataSize * 0.6);
    }

    [Fact]
    public void Concurrent_readers_share_one_table()
    {
        var rng = new Random(12);
        var entries = TableTestUtil.RandomEntries(rng, 2000, 3, TableTestUtil.PrefixedKey);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 512 });
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(64 * 1024, 2));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, t =>
        {
            var r = new Random(100 + t);
            for (var i = 0; i < 3000; i++)
            {
                var e = entries[r.Next(entries.Count)];
                var expected = TableTestUtil.ModelGet(entries, e.UserKey, e.Sequence)!;
                if (!reader.TryGet(e.UserKey, e.Sequence, out var kind, out var value) || kind != expected.Kind || !value.SequenceEqual(expected.Value))
                {
                    failures.Add($"thread {t}: {e}");
                }
            }

            using var it = reader.NewIterator();
            if (TableTestUtil.ReadForward(it).Count != entries.Count)
            {
                failures.Add($"thread {t}: iteration count");
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void Index_separators_are_shortened_between_and_after_blocks()
    {
        var entries = new List<ModelEntry>
        {
            new(TableTestUtil.Key("abcdefgh", 5), new byte[100]),
            new(TableTestUtil.Key("abzzz", 4), new byte[100]),
            new(TableTestUtil.Key("abzzz\u007f", 3), new byte[100]), // shares "abzzz": no shorter separator exists
            new(InternalKey.Create([0x61, 0xff, 0xff], 2, ValueKind.Put), new byte[100]),
        };
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 50 });
        using var reader = TableTestUtil.Open(fs, path);
        using var it = reader.IndexBlock.NewIterator();
        var separators = TableTestUtil.ReadForward(it).Select(e => e.Key).ToList();
        Assert.Equal(4, separators.Count);
        Assert.Equal(InternalKey.Create("abd"u8, InternalKey.MaxSequence, ValueKind.Put), separators[0]);
        Assert.Equal(entries[1].Key, separators[1]);
        Assert.Equal(InternalKey.Create("ac"u8, InternalKey.MaxSequence, ValueKind.Put), separators[2]);
        Assert.Equal(InternalKey.Create("b"u8, InternalKey.MaxSequence, ValueKind.Put), separators[3]);
        foreach (var e in entries)
        {
            Assert.True(reader.TryGet(e.UserKey, 10, out _, out _));
        }

        Assert.False(reader.TryGet("abd"u8, 10, out _, out _));
        Assert.False(reader.TryGet("abc"u8, 10, out _, out _));
    }

    [Fact]
    public void Properties_skip_unknown_fields_and_reject_malformed_ones()
    {
        var p = new TableProperties
        {
            EntryCount = 3,
            DeletionCount = 1,
            SmallestSequence = 7,
            LargestSequence = 9,
            SmallestKey = TableTestUtil.Key("a", 9),
            LargestKey = TableTestUtil.Key("c", 7),
            DataSize = 1000,
            IndexSize = 50,
            FilterSize = 20,
            DataBlockCount = 2,
            RawKeySize = 27,
            RawValueSize = 12,
        };
        var bytes = new List<byte>();
        p.EncodeTo(bytes);
        bytes.AddRange([(20 << 1) | 1, 3, 1, 2, 3, (21 << 1) | 0, 0xff, 0x01]);
        var decoded = TableProperties.Decode(bytes.ToArray(), "f", 0);
        Assert.Equal(p.EntryCount, decoded.EntryCount);
        Assert.Equal(p.DeletionCount, decoded.DeletionCount);
        Assert.Equal(p.SmallestSequence, decoded.SmallestSequence);
        Assert.Equal(p.LargestSequence, decoded.LargestSequence);
        Assert.Equal(p.SmallestKey, decoded.SmallestKey);
        Assert.Equal(p.LargestKey, decoded.LargestKey);
        Assert.Equal(p.DataSize, decoded.DataSize);
        Assert.Equal(p.IndexSize, decoded.IndexSize);
        Assert.Equal(p.FilterSize, decoded.FilterSize);
        Assert.Equal(p.DataBlockCount, decoded.DataBlockCount);
        Assert.Equal(p.RawKeySize, decoded.RawKeySize);
        Assert.Equal(p.RawValueSize, decoded.RawValueSize);
        Assert.Equal(p.FormatVersion, decoded.FormatVersion);

        Assert.Throws<LsmCorruptionException>(() => TableProperties.Decode([(5 << 1) | 1, 10, 1], "f", 0));
        Assert.Throws<LsmCorruptionException>(() => TableProperties.Decode([0x80], "f", 0));
        Assert.Throws<LsmCorruptionException>(() => TableProperties.Decode([1 << 1, 0x80], "f", 0));
        Assert.Throws<LsmCorruptionException>(() => TableProperties.Decode([1 << 1, 1, (5 << 1) | 1, 2, 1, 2], "f", 0));
    }

    [Fact]
    public void Builder_requires_an_empty_file()
    {
        var fs = TableTestUtil.NewFileSystem();
        using var file = fs.CreateFile(TableTestUtil.TablePath(1));
        file.Append([1]);
        Assert.Throws<ArgumentException>(() => new TableBuilder(file, new TableOptions()));
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
