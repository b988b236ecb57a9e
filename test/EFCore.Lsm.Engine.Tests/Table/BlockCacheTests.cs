using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class BlockCacheTests
{
    private const int Overhead = BlockCache.EntryOverhead;

    [Fact]
    public void Get_after_insert_counts_hits_and_misses()
    {
        var cache = new BlockCache(1 << 20);
        Assert.False(cache.TryGet(1, 0, out _));
        var block = new byte[100];
        cache.Insert(1, 0, CachedBlock.Wrap(block));
        Assert.True(cache.TryGet(1, 0, out var got));
        Assert.Same(block, got.Buffer);
        Assert.False(cache.TryGet(1, 1, out _));
        Assert.False(cache.TryGet(2, 0, out _));
        Assert.Equal(1, cache.Hits);
        Assert.Equal(3, cache.Misses);
        Assert.Equal(100 + Overhead, cache.Usage);

        // Re-inserting an existing key keeps the first block and does not double-charge.
        cache.Insert(1, 0, CachedBlock.Wrap(new byte[100]));
        Assert.True(cache.TryGet(1, 0, out got));
        Assert.Same(block, got.Buffer);
        Assert.Equal(100 + Overhead, cache.Usage);
    }

    [Fact]
    public void Evicts_least_recently_used_first()
    {
        // 10 blocks of 1000 bytes (+ overhead) fit; small capacities use a single shard.
        var cache = new BlockCache(10 * (1000 + Overhead));
        Assert.Equal(1, cache.ShardCount);
        for (var i = 0; i < 10; i++)
        {
            cache.Insert(1, i * 1000, CachedBlock.Wrap(new byte[1000]));
        }

        Assert.Equal(10, cache.Count);
        Assert.True(cache.TryGet(1, 0, out _)); // block 0 becomes most recent
        cache.Insert(1, 10_000, CachedBlock.Wrap(new byte[1000])); // evicts block 1, the least recent
        Assert.True(cache.TryGet(1, 0, out _));
        Assert.False(cache.TryGet(1, 1000, out _));
        Assert.True(cache.TryGet(1, 2000, out _));
        Assert.True(cache.TryGet(1, 10_000, out _));
        Assert.Equal(10, cache.Count);

        cache.Insert(2, 0, CachedBlock.Wrap(new byte[3500])); // evicts four blocks: 3, 4, 5, 6
        for (var i = 3; i <= 6; i++)
        {
            Assert.False(cache.TryGet(1, i * 1000, out _), $"block {i}");
        }

        Assert.True(cache.TryGet(1, 7000, out _));
        Assert.True(cache.Usage <= cache.Capacity);
    }

    [Fact]
    public void A_scan_larger_than_the_cache_evicts_only_blocks_scans_brought_in()
    {
        // Point reads fill six of ten slots; a scan then brings in a hundred blocks at low priority.
        var cache = new BlockCache(10 * (1000 + Overhead));
        for (var i = 0; i < 6; i++)
        {
            cache.Insert(1, i * 1000, CachedBlock.Wrap(new byte[1000]));
        }

        for (var i = 0; i < 100; i++)
        {
            cache.Insert(2, i * 1000, CachedBlock.Wrap(new byte[1000]), lowPriority: true);
        }

        Assert.Equal(10, cache.Count);
        for (var i = 0; i < 6; i++)
        {
            Assert.True(cache.TryGet(1, i * 1000, out _), $"point-read block {i}");
        }

        // The scan took the free room with its first blocks and kept them: a second pass over the same range hits them.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(cache.TryGet(2, i * 1000, out _), $"scanned block {i}");
        }

        Assert.True(cache.Usage <= cache.Capacity);
    }

    [Fact]
    public void A_scanned_block_read_again_is_kept_like_a_point_read()
    {
        var cache = new BlockCache(4 * (1000 + Overhead));
        for (var i = 0; i < 4; i++)
        {
            cache.Insert(2, i * 1000, CachedBlock.Wrap(new byte[1000]), lowPriority: true);
        }

        Assert.True(cache.TryGet(2, 0, out _)); // read again: marked, so eviction moves it to the front
        for (var i = 4; i < 50; i++)
        {
            cache.Insert(2, i * 1000, CachedBlock.Wrap(new byte[1000]), lowPriority: true);
        }

        Assert.True(cache.TryGet(2, 0, out _));
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public void A_block_read_since_eviction_last_passed_it_gets_one_second_chance()
    {
        var cache = new BlockCache(4 * (1000 + Overhead));
        for (var i = 0; i < 4; i++)
        {
            cache.Insert(1, i * 1000, CachedBlock.Wrap(new byte[1000]));
        }

        // Every block read: the first eviction passes over all of them once and then takes the oldest.
        for (var i = 0; i < 4; i++)
        {
            Assert.True(cache.TryGet(1, i * 1000, out _));
        }

        cache.Insert(1, 4000, CachedBlock.Wrap(new byte[1000]));
        Assert.False(cache.TryGet(1, 0, out _));

        // Their marks are spent: with no read in between, the next inserts take the next oldest, then the one after,
        // unless it was read again meanwhile (block 3 was, so block 4 goes after block 2).
        cache.Insert(1, 5000, CachedBlock.Wrap(new byte[1000]));
        Assert.False(cache.TryGet(1, 1000, out _));
        Assert.True(cache.TryGet(1, 3000, out _));
        cache.Insert(1, 6000, CachedBlock.Wrap(new byte[1000]));
        Assert.False(cache.TryGet(1, 2000, out _));
        cache.Insert(1, 7000, CachedBlock.Wrap(new byte[1000]));
        Assert.True(cache.TryGet(1, 3000, out _));
        Assert.False(cache.TryGet(1, 4000, out _));
        Assert.Equal(4, cache.Count);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 4)]
    public void Usage_stays_within_capacity_and_matches_contents(int seed, int shardBits)
    {
        var rng = new Random(seed);
        var capacity = 4L << 20;
        var cache = new BlockCache(capacity, shardBits);
        var sizes = new Dictionary<(ulong, long), int>();
        for (var i = 0; i < 5000; i++)
        {
            var file = (ulong)rng.Next(1, 20);
            var offset = (long)rng.Next(0, 200) * 4096;
            // The size is a function of the key, as real blocks are: re-inserting a key never changes its block.
            var size = SizeOf(file, offset);
            cache.Insert(file, offset, CachedBlock.Wrap(new byte[size]));
            sizes[(file, offset)] = size;
            Assert.True(cache.Usage <= capacity, $"seed {seed}: usage {cache.Usage} after {i} inserts");
        }

        long charged = 0;
        var count = 0;
        foreach (var ((file, offset), size) in sizes)
        {
            if (cache.TryGet(file, offset, out var block))
            {
                Assert.Equal(size, block.Length);
                charged += size + Overhead;
                count++;
            }
        }

        Assert.Equal(charged, cache.Usage);
        Assert.Equal(count, cache.Count);
        Assert.True(cache.Usage > capacity / 2, $"seed {seed}: cache only {cache.Usage} full");
    }

    private static int SizeOf(ulong file, long offset)
    {
        var h = (int)((file * 2654435761UL) ^ (ulong)(offset * 40503L)) & 0x7fffffff;
        return h % 3 == 0 ? h % 100_000 : h % 8192;
    }

    [Fact]
    public void Block_larger_than_a_shard_is_not_cached_and_zero_capacity_caches_nothing()
    {
        var cache = new BlockCache(10_000);
        cache.Insert(1, 0, CachedBlock.Wrap(new byte[20_000]));
        Assert.False(cache.TryGet(1, 0, out _));
        Assert.Equal(0, cache.Usage);

        var none = new BlockCache(0);
        none.Insert(1, 0, CachedBlock.Wrap(new byte[1]));
        Assert.False(none.TryGet(1, 0, out _));
        Assert.Equal(0, none.Usage);
    }

    [Fact]
    public void EraseFile_drops_only_that_files_blocks()
    {
        var cache = new BlockCache(64L << 20);
        Assert.Equal(16, cache.ShardCount);
        for (var i = 0; i < 100; i++)
        {
            cache.Insert(1, i, CachedBlock.Wrap(new byte[10]));
            cache.Insert(2, i, CachedBlock.Wrap(new byte[10]));
        }

        cache.EraseFile(1);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(cache.TryGet(1, i, out _));
            Assert.True(cache.TryGet(2, i, out _));
        }

        Assert.Equal(100 * (10 + Overhead), cache.Usage);
    }

    [Fact]
    public void Hit_allocates_nothing()
    {
        var cache = new BlockCache(64L << 20);
        for (var i = 0; i < 1000; i++)
        {
            cache.Insert((ulong)(i % 7), i * 4096L, CachedBlock.Wrap(new byte[64]));
        }

        var found = 0;
        for (var round = 0; round < 2; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                found += cache.TryGet((ulong)(i % 7), i * 4096L, out _) ? 1 : 0;
            }

            if (round == 1)
            {
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }

        Assert.Equal(2000, found);
    }

    [Fact]
    public void Concurrent_use_keeps_the_bound()
    {
        var cache = new BlockCache(1 << 20, 2);
        Parallel.For(0, 4, t =>
        {
            var rng = new Random(t);
            for (var i = 0; i < 20_000; i++)
            {
                var file = (ulong)rng.Next(1, 5);
                var offset = (long)rng.Next(0, 500);
                if (!cache.TryGet(file, offset, out var block))
                {
                    cache.Insert(file, offset, CachedBlock.Wrap(new byte[(offset % 7) * 300]));
                }
                else
                {
                    Assert.Equal((offset % 7) * 300, block.Length);
                }
            }
        });
        Assert.True(cache.Usage <= cache.Capacity);
        Assert.Equal(4 * 20_000, cache.Hits + cache.Misses);
    }
}
