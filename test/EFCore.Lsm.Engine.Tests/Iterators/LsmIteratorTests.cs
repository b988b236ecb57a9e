using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using static EFCore.Lsm.Engine.Tests.Iterators.VectorIterator;

namespace EFCore.Lsm.Engine.Tests.Iterators;

public class LsmIteratorTests
{
    private sealed class Resource : IDisposable
    {
        public int DisposeCount { get; private set; }

        public void Dispose() => DisposeCount++;
    }

    private static LsmIterator Over(ulong sequence, string? lower, string? upper, params (byte[] Key, byte[] Value)[] entries)
        => new(new VectorIterator(entries), sequence, lower is null ? null : Encoding.UTF8.GetBytes(lower),
            upper is null ? null : Encoding.UTF8.GetBytes(upper), null);

    private static List<string> Forward(LsmIterator it)
    {
        var result = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            result.Add($"{Encoding.UTF8.GetString(it.Key)}={Encoding.UTF8.GetString(it.Value)}");
        }

        return result;
    }

    private static List<string> Backward(LsmIterator it)
    {
        var result = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            result.Add($"{Encoding.UTF8.GetString(it.Key)}={Encoding.UTF8.GetString(it.Value)}");
        }

        result.Reverse();
        return result;
    }

    private static string Current(LsmIterator it)
        => it.Valid ? $"{Encoding.UTF8.GetString(it.Key)}={Encoding.UTF8.GetString(it.Value)}" : "<invalid>";

    [Fact]
    public void Empty_input_is_never_valid()
    {
        using var it = new LsmIterator(EmptyIterator.Instance, 100, null, null, null);
        it.SeekToFirst();
        Assert.False(it.Valid);
        it.SeekToLast();
        Assert.False(it.Valid);
        it.Seek("a"u8);
        Assert.False(it.Valid);
        it.SeekForPrev("a"u8);
        Assert.False(it.Valid);
    }

    [Fact]
    public void Shows_newest_visible_version_and_hides_deletes()
    {
        var entries = new[]
        {
            Put("a", 1, "a1"), Put("a", 4, "a4"), Delete("b", 5), Put("b", 2, "b2"), Put("c", 3, "c3"), Delete("c", 6),
            Put("c", 7, "c7"), Put("d", 8, "d8"),
        };
        Assert.Equal(["a=a4", "c=c7", "d=d8"], Forward(Over(100, null, null, entries)));
        Assert.Equal(["a=a4", "c=c7", "d=d8"], Backward(Over(100, null, null, entries)));
        Assert.Equal(["a=a4", "b=b2", "c=c3"], Forward(Over(4, null, null, entries)));
        Assert.Equal(["a=a4", "b=b2", "c=c3"], Backward(Over(4, null, null, entries)));
        Assert.Equal(["a=a4"], Forward(Over(6, null, null, entries)));
        Assert.Equal(["a=a4"], Backward(Over(6, null, null, entries)));
        Assert.Empty(Forward(Over(0, null, null, entries)));
        Assert.Empty(Backward(Over(0, null, null, entries)));
    }

    [Fact]
    public void All_entries_deleted()
    {
        var entries = Enumerable.Range(0, 20)
            .SelectMany(i => new[] { Put($"k{i:D2}", (ulong)(2 * i) + 1, "v"), Delete($"k{i:D2}", (ulong)(2 * i) + 2) })
            .ToArray();
        using var it = Over(1000, null, null, entries);
        Assert.Empty(Forward(it));
        Assert.Empty(Backward(it));
        it.Seek("k05"u8);
        Assert.False(it.Valid);
        it.SeekForPrev("k05"u8);
        Assert.False(it.Valid);
    }

    [Fact]
    public void Single_key_with_one_hundred_versions()
    {
        var entries = Enumerable.Range(1, 100)
            .Select(i => i % 3 == 0 ? Delete("k", (ulong)i) : Put("k", (ulong)i, $"v{i}"))
            .Append(Put("a", 200, "a")).Append(Put("z", 201, "z"))
            .ToArray();
        for (ulong snapshot = 0; snapshot <= 101; snapshot++)
        {
            var k = snapshot == 0 ? null : snapshot % 3 == 0 ? null : $"k=v{Math.Min(snapshot, 100)}";
            if (snapshot == 101)
            {
                k = "k=v100";
            }

            var expected = k is null ? new List<string>() : [k];
            Assert.Equal(expected, Forward(Over(snapshot, null, null, entries)));
            Assert.Equal(expected, Backward(Over(snapshot, null, null, entries)));
        }

        // Zig-zag around the key with many versions at the newest snapshot.
        using var it = Over(1000, null, null, entries);
        it.Seek("k"u8);
        Assert.Equal("k=v100", Current(it));
        it.Prev();
        Assert.Equal("a=a", Current(it));
        it.Next();
        Assert.Equal("k=v100", Current(it));
        it.Next();
        Assert.Equal("z=z", Current(it));
        it.Prev();
        Assert.Equal("k=v100", Current(it));
        it.Prev();
        Assert.Equal("a=a", Current(it));
    }

    [Fact]
    public void Keys_that_are_prefixes_of_each_other_and_the_empty_key()
    {
        var entries = new[]
        {
            Put("", 1, "empty"), Put("a", 2, "a"), Put("aa", 3, "aa"), Delete("aaa", 4), Put("aaa", 1, "old"), Put("ab", 5, "ab"),
            Put("b", 6, "b"),
        };
        var expected = new List<string> { "=empty", "a=a", "aa=aa", "ab=ab", "b=b" };
        using var it = Over(100, null, null, entries);
        Assert.Equal(expected, Forward(it));
        Assert.Equal(expected, Backward(it));

        it.Seek(""u8);
        Assert.Equal("=empty", Current(it));
        it.SeekForPrev(""u8);
        Assert.Equal("=empty", Current(it));
        it.Prev();
        Assert.False(it.Valid);
        it.Seek("aaa"u8);
        Assert.Equal("ab=ab", Current(it));
        it.SeekForPrev("aaa"u8);
        Assert.Equal("aa=aa", Current(it));
        it.SeekForPrev("aa\0"u8);
        Assert.Equal("aa=aa", Current(it));
        it.Seek("a\0"u8);
        Assert.Equal("aa=aa", Current(it));
    }

    [Fact]
    public void Bounds_limit_every_positioning_call()
    {
        var entries = new[] { Put("a", 1, "a"), Put("b", 2, "b"), Put("c", 3, "c"), Put("d", 4, "d"), Put("e", 5, "e") };
        using var it = Over(100, "b", "d", entries);
        Assert.Equal(["b=b", "c=c"], Forward(it));
        Assert.Equal(["b=b", "c=c"], Backward(it));
        it.Seek("a"u8);
        Assert.Equal("b=b", Current(it));
        it.Seek("d"u8);
        Assert.False(it.Valid);
        it.SeekForPrev("z"u8);
        Assert.Equal("c=c", Current(it));
        it.SeekForPrev("d"u8);
        Assert.Equal("c=c", Current(it));
        it.SeekForPrev("a"u8);
        Assert.False(it.Valid);
        it.SeekForPrev("b"u8);
        Assert.Equal("b=b", Current(it));
        it.Prev();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Equal_or_crossed_bounds_are_empty()
    {
        var entries = new[] { Put("a", 1, "a"), Put("b", 2, "b"), Put("c", 3, "c") };
        foreach (var (lower, upper) in new[] { ("b", "b"), ("c", "a"), ("", "") })
        {
            using var it = Over(100, lower, upper, entries);
            Assert.Empty(Forward(it));
            Assert.Empty(Backward(it));
            it.Seek("b"u8);
            Assert.False(it.Valid);
            it.SeekForPrev("b"u8);
            Assert.False(it.Valid);
        }
    }

    [Fact]
    public void Iteration_stops_at_the_bounds_without_scanning_past_them()
    {
        var entries = Enumerable.Range(0, 1000).Select(i => Put($"k{i:D4}", (ulong)i + 1, "v")).ToArray();
        var input = new VectorIterator(entries);
        using var it = new LsmIterator(input, 5000, Encoding.UTF8.GetBytes("k0500"), Encoding.UTF8.GetBytes("k0503"), null);
        Assert.Equal(["k0500=v", "k0501=v", "k0502=v"], Forward(it));
        Assert.Equal(["k0500=v", "k0501=v", "k0502=v"], Backward(it));
        Assert.True(input.StepCount < 20, $"{input.StepCount} steps");
    }

    [Fact]
    public void Direction_switch_at_the_first_and_last_key()
    {
        var entries = new[]
        {
            Put("a", 5, "a5"), Put("a", 3, "a3"), Put("a", 9, "a9-invisible"), Put("b", 4, "b4"), Put("c", 6, "c6"), Put("c", 2, "c2"),
            Put("c", 8, "c8-invisible"),
        };
        using var it = Over(7, null, null, entries);
        it.SeekToFirst();
        Assert.Equal("a=a5", Current(it));
        it.Prev();
        Assert.False(it.Valid);
        it.SeekToFirst();
        it.Next();
        it.Prev();
        Assert.Equal("a=a5", Current(it));
        it.Next();
        Assert.Equal("b=b4", Current(it));

        it.SeekToLast();
        Assert.Equal("c=c6", Current(it));
        it.Next();
        Assert.False(it.Valid);
        it.SeekToLast();
        it.Prev();
        Assert.Equal("b=b4", Current(it));
        it.Next();
        Assert.Equal("c=c6", Current(it));
        it.Prev();
        Assert.Equal("b=b4", Current(it));
        it.Prev();
        Assert.Equal("a=a5", Current(it));
        it.Next();
        Assert.Equal("b=b4", Current(it));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hot_key_versions_are_skipped_by_reseeking(bool deleted)
    {
        // 2000 versions of "k": newer than the snapshot (1001..2000) and older (1..1000, newest maybe a tombstone).
        var entries = Enumerable.Range(1, 2000)
            .Select(i => i == 1000 && deleted ? Delete("k", (ulong)i) : Put("k", (ulong)i, $"v{i}"))
            .Append(Put("a", 1, "a")).Append(Put("z", 1, "z"))
            .ToArray();
        var input = new VectorIterator(entries);
        using var it = new LsmIterator(input, 1000, null, null, null);
        var expected = deleted ? new List<string> { "a=a", "z=z" } : ["a=a", "k=v1000", "z=z"];
        Assert.Equal(expected, Forward(it));
        Assert.Equal(expected, Backward(it));
        it.SeekToLast();
        it.Prev();
        it.Next();
        it.Prev();
        Assert.Equal(expected[^2], Current(it));
        it.Next();
        Assert.Equal("z=z", Current(it));
        it.SeekToFirst();
        it.Next();
        it.Prev();
        Assert.Equal("a=a", Current(it));
        if (!deleted)
        {
            // Forward to reverse on the hot key: the 1000 newer versions before it are skipped by one seek.
            it.Seek("k"u8);
            it.Prev();
            Assert.Equal("a=a", Current(it));
        }

        Assert.True(input.StepCount < 400, $"{input.StepCount} steps");
    }

    [Fact]
    public void Steady_state_steps_do_not_allocate()
    {
        var random = new Random(7);
        var sources = Enumerable.Range(0, 4).Select(_ => new List<(byte[] Key, byte[] Value)>()).ToArray();
        for (var i = 0; i < 2000; i++)
        {
            var key = Encoding.UTF8.GetBytes($"key{random.Next(300):D3}");
            var kind = random.Next(4) == 0 ? ValueKind.Delete : ValueKind.Put;
            sources[random.Next(4)].Add(Entry(key, (ulong)i + 1, kind, new byte[random.Next(100)]));
        }

        using var it = new LsmIterator(
            new MergingIterator(sources.Select(s => (IInternalIterator)new VectorIterator(s)).ToArray()), 1500, null, null, null);

        void Walk()
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
            }

            for (it.SeekToLast(); it.Valid; it.Prev())
            {
            }

            it.Seek("key100"u8);
            for (var i = 0; i < 200 && it.Valid; i++)
            {
                if (i % 3 == 0)
                {
                    it.Prev();
                }
                else
                {
                    it.Next();
                }
            }
        }

        Walk(); // grows the reusable buffers
        var before = GC.GetAllocatedBytesForCurrentThread();
        Walk();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Hundreds of steps: any per-step allocation would show up as tens of kilobytes.
        Assert.True(allocated < 2048, $"{allocated} bytes allocated");
    }

    [Fact]
    public void Reverse_value_survives_input_movement()
    {
        var big = new string('x', 100_000);
        var entries = new[] { Put("a", 1, big), Put("b", 2, "small"), Put("c", 3, big + "c") };
        using var it = Over(10, null, null, entries);
        it.SeekToLast();
        Assert.Equal(big + "c", Encoding.UTF8.GetString(it.Value));
        it.Prev();
        Assert.Equal("small", Encoding.UTF8.GetString(it.Value));
        it.Prev();
        Assert.Equal(big, Encoding.UTF8.GetString(it.Value));
        Assert.Equal("a", Encoding.UTF8.GetString(it.Key));
    }

    [Fact]
    public void Invalid_and_disposed_use_throws()
    {
        var input = new VectorIterator(Put("a", 1, "a"));
        var resource = new Resource();
        var it = new LsmIterator(input, 10, null, null, resource);
        Assert.False(it.Valid);
        Assert.Throws<InvalidOperationException>(() => it.Key.Length);
        Assert.Throws<InvalidOperationException>(() => it.Value.Length);
        Assert.Throws<InvalidOperationException>(it.Next);
        Assert.Throws<InvalidOperationException>(it.Prev);
        it.SeekToFirst();
        Assert.True(it.Valid);

        it.Dispose();
        it.Dispose();
        Assert.Equal(1, input.DisposeCount);
        Assert.Equal(1, resource.DisposeCount);
        Assert.Throws<ObjectDisposedException>(() => it.Valid);
        Assert.Throws<ObjectDisposedException>(() => it.Key.Length);
        Assert.Throws<ObjectDisposedException>(() => it.Value.Length);
        Assert.Throws<ObjectDisposedException>(it.SeekToFirst);
        Assert.Throws<ObjectDisposedException>(it.SeekToLast);
        Assert.Throws<ObjectDisposedException>(() => it.Seek("a"u8));
        Assert.Throws<ObjectDisposedException>(() => it.SeekForPrev("a"u8));
        Assert.Throws<ObjectDisposedException>(it.Next);
        Assert.Throws<ObjectDisposedException>(it.Prev);
    }

    [Fact]
    public void Malformed_internal_key_is_reported_as_corruption()
    {
        var input = new VectorIterator([([1, 2, 3], [])], sort: false);
        using var it = new LsmIterator(input, 10, null, null, null);
        Assert.Throws<LsmCorruptionException>(it.SeekToFirst);
        Assert.False(it.Valid);
        Assert.Throws<LsmCorruptionException>(it.SeekToLast);

        var badKind = InternalKey.Create("a"u8, 1, ValueKind.Put);
        badKind[^8] = 7;
        using var it2 = new LsmIterator(new VectorIterator([(badKind, [])], sort: false), 10, null, null, null);
        Assert.Throws<LsmCorruptionException>(it2.SeekToFirst);
    }

    [Fact]
    public void Input_failure_leaves_the_iterator_invalid()
    {
        var input = new VectorIterator(Put("a", 1, "a"), Put("b", 2, "b"));
        using var it = new LsmIterator(input, 10, null, null, null);
        it.SeekToFirst();
        input.BeforeMove = () => throw new IOException("disk");
        Assert.Throws<IOException>(it.Next);
        Assert.False(it.Valid);
        input.BeforeMove = null;
        it.SeekToLast();
        Assert.Equal("b=b", Current(it));
    }

    [Fact]
    public void Sequence_above_the_maximum_is_clamped()
    {
        using var it = Over(ulong.MaxValue, null, null, Put("a", InternalKey.MaxSequence, "newest"), Put("a", 1, "old"));
        it.Seek("a"u8);
        Assert.Equal("a=newest", Current(it));
    }

    [Fact]
    public void Misordered_input_never_hangs_or_fails_unexpectedly()
    {
        // Sources that break the ordering contract (as a buggy or silently damaged source would): every call must end,
        // either normally (output order is then unspecified) or with corruption / not-positioned errors.
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var sources = new IInternalIterator[1 + random.Next(3)];
            for (var s = 0; s < sources.Length; s++)
            {
                var entries = Enumerable.Range(0, random.Next(40))
                    .Select(i => Entry(IteratorTestData.RandomUserKey(random, 2, 2), (ulong)random.Next(1, 30),
                        (ValueKind)random.Next(2), []))
                    .ToList();
                sources[s] = new VectorIterator(entries, sort: random.Next(4) == 0);
            }

            using var it = new LsmIterator(new MergingIterator(sources), (ulong)random.Next(30), null, null, null, 1 + random.Next(3));
            for (var step = 0; step < 300; step++)
            {
                try
                {
                    switch (random.Next(6))
                    {
                        case 0: it.SeekToFirst(); break;
                        case 1: it.SeekToLast(); break;
                        case 2: it.Seek(IteratorTestData.RandomUserKey(random, 2, 2)); break;
                        case 3: it.SeekForPrev(IteratorTestData.RandomUserKey(random, 2, 2)); break;
                        case 4: it.Next(); break;
                        default: it.Prev(); break;
                    }

                    if (it.Valid)
                    {
                        _ = it.Key.Length + it.Value.Length;
                    }
                }
                catch (Exception e) when (e is LsmCorruptionException or InvalidOperationException)
                {
                }
            }
        }
    }

    [Fact]
    public void Randomized_against_reference_model()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            LsmIteratorModelTest.Run(seed, operations: 250);
        }
    }
}
