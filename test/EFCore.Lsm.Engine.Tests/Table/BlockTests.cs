using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class BlockTests
{
    private static Block BuildBlock(IReadOnlyList<ModelEntry> entries, int restartInterval)
    {
        var builder = new BlockBuilder(restartInterval);
        foreach (var e in entries)
        {
            builder.Add(e.Key, e.Value);
        }

        Assert.Equal(builder.CurrentSizeEstimate, builder.Finish().Length);
        return new Block(builder.Finish().ToArray(), "block", 0);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 16)]
    [InlineData(4, 7)]
    [InlineData(5, 1000)]
    public void Random_block_matches_model(int seed, int restartInterval)
    {
        var rng = new Random(seed);
        var entries = TableTestUtil.RandomEntries(rng, 300, 4, TableTestUtil.PrefixedKey);
        var block = BuildBlock(entries, restartInterval);
        using var it = block.NewIterator();
        var ctx = $"seed {seed}, interval {restartInterval}";
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), ctx + " forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), ctx + " backward");

        foreach (var e in entries)
        {
            it.Seek(e.Key);
            Assert.True(it.Valid, ctx);
            Assert.True(it.Key.SequenceEqual(e.Key), ctx);
            Assert.True(it.Value.SequenceEqual(e.Value), ctx);
        }

        for (var i = 0; i < 500; i++)
        {
            var target = InternalKey.Create(TableTestUtil.PrefixedKey(rng), (ulong)rng.Next(0, 5000), (ValueKind)rng.Next(2));
            var expected = TableTestUtil.LowerBound(entries, target);
            it.Seek(target);
            Assert.True(expected < entries.Count == it.Valid, ctx);
            if (it.Valid)
            {
                Assert.True(it.Key.SequenceEqual(entries[expected].Key), ctx);

                // Random walk from here, checked against the model position.
                var pos = expected;
                for (var step = 0; step < 20 && it.Valid; step++)
                {
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
                    if (it.Valid)
                    {
                        Assert.True(it.Key.SequenceEqual(entries[pos].Key), ctx);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(11, 1)]
    [InlineData(12, 3)]
    [InlineData(13, 16)]
    [InlineData(14, 1000)]
    public void SeekForward_over_ascending_targets_lands_where_Seek_does(int seed, int restartInterval)
    {
        var rng = new Random(seed);
        var entries = TableTestUtil.RandomEntries(rng, 300, 4, TableTestUtil.PrefixedKey);
        var block = BuildBlock(entries, restartInterval);
        for (var run = 0; run < 40; run++)
        {
            // Ascending targets, as a multi-get's keys: entries' own keys, keys between them, repeats, some past the end;
            // now and then a Next between two of them.
            var targets = Enumerable.Range(0, rng.Next(1, 60))
                .Select(_ => rng.Next(3) == 0
                    ? entries[rng.Next(entries.Count)].Key
                    : InternalKey.Create(TableTestUtil.PrefixedKey(rng), (ulong)rng.Next(0, 5000), (ValueKind)rng.Next(2)))
                .Order(Comparer<byte[]>.Create((a, b) => InternalKey.Compare(a, b)))
                .ToList();
            var cursor = new BlockCursor(block);
            try
            {
                for (var t = 0; t < targets.Count; t++)
                {
                    var target = targets[t];
                    var expected = TableTestUtil.LowerBound(entries, target);
                    cursor.SeekForward(target);
                    Assert.Equal(expected < entries.Count, cursor.Valid);
                    if (cursor.Valid)
                    {
                        Assert.True(cursor.Key.SequenceEqual(entries[expected].Key), $"seed {seed}, run {run}");
                        Assert.True(cursor.Value.SequenceEqual(entries[expected].Value), $"seed {seed}, run {run}");
                        // Only past an entry below the next target, as a multi-get's index cursor moves.
                        if (rng.Next(4) == 0 && t + 1 < targets.Count && InternalKey.Compare(cursor.Key, targets[t + 1]) < 0)
                        {
                            cursor.Next();
                        }
                    }
                }
            }
            finally
            {
                cursor.ReleaseBuffer();
            }
        }
    }

    [Fact]
    public void Empty_block_is_never_valid()
    {
        var block = BuildBlock([], 16);
        Assert.True(block.IsEmpty);
        Assert.Equal(8, block.Length);
        using var it = block.NewIterator();
        it.SeekToFirst();
        Assert.False(it.Valid);
        it.SeekToLast();
        Assert.False(it.Valid);
        it.Seek(TableTestUtil.Key("a", 1));
        Assert.False(it.Valid);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(33)]
    public void Entry_counts_around_restart_boundaries(int count)
    {
        var entries = Enumerable.Range(0, count).Select(i => new ModelEntry(TableTestUtil.Key($"k{i:D4}", 7), [(byte)i])).ToList();
        var block = BuildBlock(entries, 16);
        Assert.Equal((count + 15) / 16, block.RestartCount);
        using var it = block.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
        it.Seek(TableTestUtil.Key("k9999", 0));
        Assert.False(it.Valid);
        it.Seek(TableTestUtil.Key("", 0));
        Assert.True(it.Key.SequenceEqual(entries[0].Key));
    }

    [Fact]
    public void Long_keys_and_values_round_trip()
    {
        var rng = new Random(11);
        var prefix = TableTestUtil.RandomBytes(rng, 5000);
        var entries = Enumerable.Range(0, 40)
            .Select(i => new ModelEntry(InternalKey.Create([.. prefix, .. BitConverter.GetBytes(i).Reverse()], 1, ValueKind.Put),
                TableTestUtil.RandomBytes(rng, rng.Next(0, 20000))))
            .ToList();
        var block = BuildBlock(entries, 4);
        using var it = block.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Damaged_block_structure_raises_only_corruption(int seed)
    {
        // Blocks carry no checksum of their own (the file trailer does): the parser must still never crash or hang.
        var rng = new Random(seed);
        var entries = TableTestUtil.RandomEntries(rng, 60, 3, TableTestUtil.PrefixedKey);
        var pristine = BuildBlock(entries, 4).Data!;
        for (var round = 0; round < 2000; round++)
        {
            var data = (byte[])pristine.Clone();
            var flips = rng.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                var at = rng.Next(3) == 0 ? data.Length - 1 - rng.Next(Math.Min(40, data.Length)) : rng.Next(data.Length);
                data[at] ^= (byte)rng.Next(1, 256);
            }

            try
            {
                var block = new Block(data, "damaged", 100);
                using var it = block.NewIterator();
                TableTestUtil.ReadForward(it, data.Length);
                TableTestUtil.ReadBackward(it, data.Length);
                it.Seek(entries[rng.Next(entries.Count)].Key);
                while (it.Valid)
                {
                    it.Next();
                }
            }
            catch (LsmCorruptionException ex)
            {
                Assert.Equal("damaged", ex.FileName);
                Assert.InRange(ex.Offset, 100, 100 + data.Length);
            }
        }
    }

    [Fact]
    public void Restart_count_larger_than_block_is_rejected()
    {
        var data = new byte[12];
        data[^4] = 50;
        var ex = Assert.Throws<LsmCorruptionException>(() => new Block(data, "f", 10));
        Assert.Equal("f", ex.FileName);
        Assert.Throws<LsmCorruptionException>(() => new Block([1, 2], "f", 10));
    }
}
