using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

/// <summary>
/// Recycled block buffers: a reader's reference must keep a block's bytes intact however hard the cache churns, and
/// reference counting mistakes must be loud.
/// </summary>
public class CachedBlockTests
{
    [Fact]
    public void Releasing_twice_or_referencing_a_recycled_block_throws()
    {
        var block = CachedBlock.Rent(100, 105);
        Assert.Equal(100, block.Length);
        Assert.True(block.Buffer.Length >= 105);
        block.AddReference();
        block.Release();
        block.Release();
        Assert.Throws<InvalidOperationException>(block.Release);
        Assert.Throws<InvalidOperationException>(block.AddReference);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(4096 + 5)]
    [InlineData(64 << 10)]
    [InlineData((64 << 10) + 1)]
    public void Pool_buffers_fit_the_request_and_waste_less_than_a_size_class(int size)
    {
        var block = CachedBlock.Rent(size, size);
        Assert.True(block.Buffer.Length >= size);
        Assert.True(block.Buffer.Length < Math.Max(size, 1) + 256, $"{block.Buffer.Length} bytes for {size}");
        block.Release();
    }

    [Fact]
    public void A_foreign_array_is_refused_by_the_pool()
        => Assert.Throws<ArgumentException>(() => BlockBufferPool.Return(new byte[1000]));

    [Fact]
    public void An_evicted_block_keeps_its_bytes_until_its_reader_releases_it()
    {
        // One-block cache: every insert evicts the previous block, and its buffer goes back to the pool unless held.
        var cache = new BlockCache(5000, 0);
        var held = Filled(4000, 0xAB);
        cache.Insert(1, 0, held);
        Assert.True(cache.TryGet(1, 0, out var reader));
        held.Release(); // the creator's reference; the reader's and the cache's remain
        for (var i = 1; i <= 200; i++)
        {
            var other = Filled(4000, (byte)i);
            cache.Insert(1, i * 4096L, other);
            other.Release();
        }

        Assert.False(cache.TryGet(1, 0, out _));
        Assert.All(reader.Contents.ToArray(), b => Assert.Equal(0xAB, b));
        reader.Release();
        Assert.Throws<InvalidOperationException>(reader.Release);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Iterators_and_lookups_read_correct_values_while_a_tiny_cache_recycles_blocks(int seed)
    {
        var rng = new Random(seed);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var entries = TableTestUtil.RandomEntries(rng, 3000, 2, TableTestUtil.PrefixedKey, maxValueLength: 60);
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 512 });

        // Room for about two blocks, so nearly every block load evicts one and reuses a buffer.
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(1200, 0));
        var iterators = new TableIterator[4];
        var positions = new int[iterators.Length];
        for (var i = 0; i < iterators.Length; i++)
        {
            iterators[i] = reader.NewIterator(fillCache: rng.Next(2) == 0, default);
            positions[i] = rng.Next(entries.Count);
            iterators[i].Seek(entries[positions[i]].Key);
        }

        try
        {
            for (var step = 0; step < 4000; step++)
            {
                var which = rng.Next(iterators.Length);
                var it = iterators[which];
                switch (rng.Next(4))
                {
                    case 0:
                        positions[which] = rng.Next(entries.Count);
                        it.Seek(entries[positions[which]].Key);
                        break;
                    case 1 when positions[which] + 1 < entries.Count:
                        it.Next();
                        positions[which]++;
                        break;
                    case 2 when positions[which] > 0:
                        it.Prev();
                        positions[which]--;
                        break;
                    default:
                        LookUpAndCheck(reader, entries, rng.Next(entries.Count));
                        break;
                }

                // Every iterator, not only the one moved, must still show its entry: the lookups and other
                // iterators' block loads recycle buffers underneath them.
                for (var i = 0; i < iterators.Length; i++)
                {
                    Assert.True(iterators[i].Valid, $"seed {seed} step {step}: iterator {i} invalid");
                    Assert.Equal(entries[positions[i]].Key, iterators[i].Key.ToArray());
                    Assert.Equal(entries[positions[i]].Value, iterators[i].Value.ToArray());
                }
            }
        }
        finally
        {
            foreach (var it in iterators)
            {
                it.Dispose();
            }
        }
    }

    [Fact]
    public void A_pinned_lookup_value_survives_later_lookups_until_released()
    {
        var rng = new Random(7);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(1);
        var entries = TableTestUtil.RandomEntries(rng, 2000, 1, TableTestUtil.PrefixedKey, maxValueLength: 60)
            .Where(e => e.Kind == ValueKind.Put).ToList();
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = 512 });
        using var reader = TableTestUtil.Open(fs, path, new BlockCache(1200, 0));

        var first = entries[0];
        Assert.True(reader.TryGet(first.UserKey, ulong.MaxValue, out _, out var value, out var pin));
        Assert.NotNull(pin);
        for (var i = 0; i < 500; i++)
        {
            LookUpAndCheck(reader, entries, rng.Next(entries.Count));
        }

        Assert.Equal(first.Value, value.ToArray());
        pin.Release();
    }

    private static void LookUpAndCheck(TableReader reader, List<ModelEntry> entries, int index)
    {
        var userKey = entries[index].UserKey;
        var expected = TableTestUtil.ModelGet(entries, userKey, ulong.MaxValue)!;
        Assert.True(reader.TryGet(userKey, ulong.MaxValue, out var kind, out var value, out var pin));
        try
        {
            Assert.Equal(expected.Kind, kind);
            Assert.Equal(expected.Kind == ValueKind.Delete ? [] : expected.Value, value.ToArray());
            Assert.Equal(kind == ValueKind.Put, pin is not null);
        }
        finally
        {
            pin?.Release();
        }
    }

    private static CachedBlock Filled(int length, byte fill)
    {
        var block = CachedBlock.Rent(length, length);
        block.Buffer.AsSpan(0, length).Fill(fill);
        return block;
    }
}
