using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine.Tests.Memtable;

public class ArenaTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 256)]
    [InlineData(3, 4096)]
    public void Allocations_are_aligned_disjoint_nonzero_and_keep_their_bytes(int seed, int slabSize)
    {
        var random = new Random(seed);
        var arena = new Arena(slabSize);
        var allocations = new List<(long Address, byte[] Content)>();
        long requested = 0;
        for (var i = 0; i < 2000; i++)
        {
            // Mostly small, sometimes larger than a quarter slab or than a whole slab (dedicated slabs).
            var size = random.Next(10) == 0 ? random.Next(1, 3 * slabSize) : random.Next(1, 40);
            var address = arena.Allocate(size);
            Assert.True(address != 0, $"seed {seed}: address 0 handed out");
            Assert.True(Arena.OffsetOf(address) % Arena.Alignment == 0, $"seed {seed}: unaligned address {address:X}");
            var content = new byte[size];
            random.NextBytes(content);
            content.CopyTo(arena.GetSpan(address, size));
            allocations.Add((address, content));
            requested += size;
            Assert.True(arena.MemoryUsage >= requested, $"seed {seed}: usage {arena.MemoryUsage} < requested {requested}");
            Assert.True(arena.ReservedBytes >= arena.MemoryUsage, $"seed {seed}: reserved < usage");
        }

        // Any overlap would have overwritten an earlier allocation's bytes.
        foreach (var (address, content) in allocations)
        {
            Assert.True(
                arena.GetSpan(address, content.Length).SequenceEqual(content),
                $"seed {seed}: allocation {address:X} was clobbered");
        }

        // Usage only exceeds what was asked for by alignment padding and abandoned slab tails (each < a quarter slab).
        var slabs = allocations.Select(a => (ulong)a.Address >> 32).Distinct().Count();
        var bound = requested + (7 * allocations.Count) + (slabs * ((slabSize / 4) + 8)) + 8;
        Assert.True(arena.MemoryUsage <= bound, $"seed {seed}: usage {arena.MemoryUsage} > {bound}");
    }

    [Fact]
    public void Large_allocation_gets_a_dedicated_slab_and_leaves_the_current_slab_usable()
    {
        var arena = new Arena(1024);
        var small1 = arena.Allocate(16);
        var large = arena.Allocate(5000);
        var small2 = arena.Allocate(16);
        Assert.NotEqual((ulong)small1 >> 32, (ulong)large >> 32);
        Assert.Equal((ulong)small1 >> 32, (ulong)small2 >> 32);
        Assert.Equal(0, Arena.OffsetOf(large));
        Assert.Equal(5000, arena.GetSpan(large, 5000).Length);
    }

    [Fact]
    public void Usage_grows_with_allocations_not_in_slab_steps()
    {
        var arena = new Arena(Arena.DefaultSlabSize);
        var before = arena.MemoryUsage;
        arena.Allocate(100);
        Assert.Equal(before + 104, arena.MemoryUsage);
        Assert.True(arena.MemoryUsage < 1024);
        Assert.Equal(Arena.DefaultSlabSize, arena.ReservedBytes);
    }

    [Fact]
    public void Slab_table_grows_past_its_initial_capacity()
    {
        var arena = new Arena(64);
        var addresses = new List<long>();
        for (var i = 0; i < 100; i++)
        {
            var address = arena.Allocate(40);
            arena.GetSpan(address, 40).Fill((byte)i);
            addresses.Add(address);
        }

        Assert.True(addresses.Select(a => (ulong)a >> 32).Distinct().Count() > 16);
        for (var i = 0; i < addresses.Count; i++)
        {
            Assert.True(arena.GetSpan(addresses[i], 40).IndexOfAnyExcept((byte)i) < 0);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Rejects_bad_sizes(int size)
    {
        var arena = new Arena(256);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.Allocate(size));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData((1 << 30) + 1)]
    public void Rejects_bad_slab_sizes(int slabSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(slabSize));
    }
}
