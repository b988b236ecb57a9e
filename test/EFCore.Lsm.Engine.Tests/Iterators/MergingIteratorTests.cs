using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using static EFCore.Lsm.Engine.Tests.Iterators.VectorIterator;

namespace EFCore.Lsm.Engine.Tests.Iterators;

public class MergingIteratorTests
{
    [Fact]
    public void No_children_is_never_valid()
    {
        using var merged = new MergingIterator([]);
        merged.SeekToFirst();
        Assert.False(merged.Valid);
        merged.SeekToLast();
        Assert.False(merged.Valid);
        merged.Seek(InternalKey.Create("a"u8, 1, ValueKind.Put));
        Assert.False(merged.Valid);
        Assert.Throws<InvalidOperationException>(() => merged.Key.Length);
        Assert.Throws<InvalidOperationException>(merged.Next);
        Assert.Throws<InvalidOperationException>(merged.Prev);
    }

    [Fact]
    public void Merges_in_internal_key_order_both_ways()
    {
        var a = new VectorIterator(Put("a", 5, "a5"), Put("c", 9, "c9"), Put("e", 1, "e1"));
        var b = new VectorIterator(Put("b", 3, "b3"), Put("c", 7, "c7"), Delete("d", 2));
        var c = new VectorIterator(Put("c", 8, "c8"), Put("f", 4, "f4"));
        using var merged = new MergingIterator([a, b, c]);

        var forward = new List<string>();
        for (merged.SeekToFirst(); merged.Valid; merged.Next())
        {
            forward.Add(InternalKey.Describe(merged.Key));
        }

        var backward = new List<string>();
        for (merged.SeekToLast(); merged.Valid; merged.Prev())
        {
            backward.Add(InternalKey.Describe(merged.Key));
        }

        var expected = new[] { a, b, c }.SelectMany(v => v.Entries).Select(e => e.Key).Order(InternalKeyComparer.Instance)
            .Select(k => InternalKey.Describe(k)).ToList();
        Assert.Equal(expected, forward);
        backward.Reverse();
        Assert.Equal(expected, backward);
    }

    [Fact]
    public void Equal_internal_keys_come_out_lowest_child_first_and_reverse_exactly()
    {
        var children = Enumerable.Range(0, 4).Select(i => new VectorIterator(Put("k", 5, $"child{i}"), Put("m", 1, $"m{i}"))).ToArray();
        using var merged = new MergingIterator(children);
        var order = new List<string>();
        for (merged.SeekToFirst(); merged.Valid; merged.Next())
        {
            order.Add(System.Text.Encoding.UTF8.GetString(merged.Value));
        }

        Assert.Equal(["child0", "child1", "child2", "child3", "m0", "m1", "m2", "m3"], order);

        // Zig-zag across the ties: each switch must land on the neighbour in (key, child) order.
        merged.Seek(InternalKey.Create("k"u8, 5, ValueKind.Put));
        merged.Next();
        merged.Next();
        Assert.Equal("child2"u8.ToArray(), merged.Value.ToArray());
        merged.Prev();
        Assert.Equal("child1"u8.ToArray(), merged.Value.ToArray());
        merged.Next();
        Assert.Equal("child2"u8.ToArray(), merged.Value.ToArray());
        merged.Prev();
        merged.Prev();
        Assert.Equal("child0"u8.ToArray(), merged.Value.ToArray());
        merged.Prev();
        Assert.False(merged.Valid);
    }

    [Fact]
    public void Single_child_passes_through_and_is_disposed()
    {
        var child = new VectorIterator(Put("a", 1, "x"), Put("b", 1, "y"));
        var merged = new MergingIterator([child]);
        merged.SeekToLast();
        Assert.Equal("y"u8.ToArray(), merged.Value.ToArray());
        merged.Prev();
        Assert.Equal("x"u8.ToArray(), merged.Value.ToArray());
        merged.Prev();
        Assert.False(merged.Valid);
        merged.Dispose();
        merged.Dispose();
        Assert.Equal(1, child.DisposeCount);
    }

    [Fact]
    public void Dispose_disposes_every_child_once()
    {
        var children = Enumerable.Range(0, 5).Select(_ => new VectorIterator()).ToArray();
        var merged = new MergingIterator(children);
        merged.Dispose();
        merged.Dispose();
        Assert.All(children, c => Assert.Equal(1, c.DisposeCount));
    }

    [Fact]
    public void A_failing_child_leaves_the_merger_invalid_until_the_next_seek()
    {
        var failing = new VectorIterator(Put("a", 1, "a"), Put("c", 1, "c"));
        var other = new VectorIterator(Put("b", 1, "b"), Put("d", 1, "d"));
        using var merged = new MergingIterator([failing, other]);
        merged.SeekToFirst();
        failing.BeforeMove = () => throw new IOException("boom");
        Assert.Throws<IOException>(merged.Next);
        Assert.False(merged.Valid);
        failing.BeforeMove = null;
        merged.SeekToFirst();
        Assert.Equal("a"u8.ToArray(), InternalKey.UserKey(merged.Key).ToArray());
    }

    [Fact]
    public void Randomized_against_sorted_model()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            RunRandomized(seed);
        }
    }

    [Fact]
    public void Randomized_with_children_that_decode_keys_into_one_shared_buffer()
    {
        // Tables decode each key into a buffer that the next move (or, in this test, the next Key call of any child
        // sharing it) overwrites: the merger must order children by keys it copied, never by spans it read earlier.
        for (var seed = 0; seed < 300; seed++)
        {
            RunRandomized(seed, sharedKeyBuffer: true);
        }
    }

    [Fact]
    public void Randomized_with_one_child_holding_most_entries()
    {
        // The others run out early, so most steps are taken with one child left in the heap (the merger then skips
        // the key copy and the heap), across direction switches and seeks that bring the others back.
        for (var seed = 0; seed < 300; seed++)
        {
            RunRandomized(seed, sharedKeyBuffer: seed % 2 == 0, skewed: true);
        }
    }

    private static void RunRandomized(int seed, bool sharedKeyBuffer = false, bool skewed = false)
    {
        var random = new Random(seed);
        var childCount = random.Next(0, 6);
        var alphabetSize = 2 + random.Next(3);
        var model = new List<(byte[] Key, byte[] Value, int Child)>();
        var childEntries = new List<(byte[] Key, byte[] Value)>[childCount];
        var nextId = 0;
        ulong sequence = 0;
        for (var i = 0; i < childCount; i++)
        {
            childEntries[i] = [];
        }

        var entryCount = childCount == 0 ? 0 : random.Next(0, 50);
        var usedPerChild = new HashSet<string>[childCount];
        for (var i = 0; i < childCount; i++)
        {
            usedPerChild[i] = [];
        }

        for (var i = 0; i < entryCount; i++)
        {
            var child = skewed && random.Next(6) != 0 ? 0 : random.Next(childCount);
            byte[] key;
            if (model.Count > 0 && random.Next(8) == 0)
            {
                // A deliberate tie with an existing internal key (possibly in another child).
                key = model[random.Next(model.Count)].Key;
            }
            else
            {
                var userKey = IteratorTestData.RandomUserKey(random, alphabetSize, 3);
                key = InternalKey.Create(userKey, ++sequence, random.Next(3) == 0 ? ValueKind.Delete : ValueKind.Put);
            }

            if (!usedPerChild[child].Add(Convert.ToHexString(key)))
            {
                continue; // a single source never repeats an internal key
            }

            var value = IteratorTestData.RandomValue(random, nextId++);
            childEntries[child].Add((key, value));
            model.Add((key, value, child));
        }

        model.Sort((x, y) =>
        {
            var c = InternalKey.Compare(x.Key, y.Key);
            return c != 0 ? c : x.Child.CompareTo(y.Child);
        });

        var opened = new List<VectorIterator>();
        var children = new IInternalIterator[childCount];
        for (var i = 0; i < childCount; i++)
        {
            var sorted = childEntries[i].OrderBy(e => e.Key, InternalKeyComparer.Instance).ToList();
            children[i] = random.Next(3) == 0
                ? IteratorTestData.BuildLevel(random, sorted, opened)
                : new VectorIterator(sorted, sort: false);
        }

        var shared = new SharedKeyBuffer();
        var merged = new MergingIterator(sharedKeyBuffer ? children.Select(c => (IInternalIterator)new SharedKeyIterator(c, shared)).ToArray() : children);
        var position = -1;
        var log = new List<string>();
        for (var step = 0; step < 200; step++)
        {
            var op = random.Next(10);
            if (position < 0 && op >= 4)
            {
                op = random.Next(4);
            }

            switch (op)
            {
                case 0:
                    log.Add("SeekToFirst");
                    merged.SeekToFirst();
                    position = model.Count > 0 ? 0 : -1;
                    break;
                case 1:
                    log.Add("SeekToLast");
                    merged.SeekToLast();
                    position = model.Count - 1;
                    break;
                case 2:
                case 3:
                    byte[] target = model.Count > 0 && random.Next(2) == 0
                        ? model[random.Next(model.Count)].Key
                        : InternalKey.Create(
                            IteratorTestData.RandomUserKey(random, alphabetSize, 3),
                            (ulong)random.Next(0, (int)sequence + 2),
                            (ValueKind)random.Next(2));
                    log.Add($"Seek {InternalKey.Describe(target)}");
                    merged.Seek(target);
                    position = model.FindIndex(e => InternalKey.Compare(e.Key, target) >= 0);
                    break;
                case 4:
                case 5:
                case 6:
                    log.Add("Next");
                    merged.Next();
                    position = position + 1 < model.Count ? position + 1 : -1;
                    break;
                default:
                    log.Add("Prev");
                    merged.Prev();
                    position--;
                    break;
            }

            var context = $"seed {seed}, after {string.Join(", ", log.TakeLast(6))}";
            Assert.True(merged.Valid == (position >= 0), $"Valid mismatch: {context}");
            if (position >= 0)
            {
                Assert.True(merged.Key.SequenceEqual(model[position].Key), $"Key mismatch: {context}");
                Assert.True(merged.Value.SequenceEqual(model[position].Value), $"Value mismatch: {context}");
            }
        }

        merged.Dispose();
        Assert.All(opened, o => Assert.True(o.IsDisposed, $"seed {seed}: file left open"));
        Assert.All(children.OfType<VectorIterator>(), c => Assert.Equal(1, c.DisposeCount));
    }

    private sealed class SharedKeyBuffer
    {
        public byte[] Bytes = new byte[64];
    }

    /// <summary>Returns its child's key as a span over a buffer shared with other iterators, rewritten by every Key call.</summary>
    private sealed class SharedKeyIterator(IInternalIterator inner, SharedKeyBuffer shared) : IInternalIterator
    {
        public bool Valid => inner.Valid;

        public ReadOnlySpan<byte> Key
        {
            get
            {
                var key = inner.Key;
                if (shared.Bytes.Length < key.Length)
                {
                    shared.Bytes = new byte[key.Length];
                }

                key.CopyTo(shared.Bytes);
                return shared.Bytes.AsSpan(0, key.Length);
            }
        }

        public ReadOnlySpan<byte> Value => inner.Value;

        public void SeekToFirst() => inner.SeekToFirst();

        public void SeekToLast() => inner.SeekToLast();

        public void Seek(ReadOnlySpan<byte> internalKey) => inner.Seek(internalKey);

        public void Next() => inner.Next();

        public void Prev() => inner.Prev();

        public void Dispose() => inner.Dispose();
    }
}
