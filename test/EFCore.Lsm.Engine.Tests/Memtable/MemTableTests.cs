using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine.Tests.Memtable;

public class MemTableTests
{
    [Theory]
    [InlineData(1, 64, false)]
    [InlineData(2, 256, true)]
    [InlineData(3, 256, false)]
    [InlineData(4, 4096, true)]
    [InlineData(5, Arena.DefaultSlabSize, false)]
    [InlineData(6, Arena.DefaultSlabSize, true)]
    public void Random_versions_match_a_sorted_reference_model(int seed, int slabSize, bool inSequenceOrder)
    {
        var random = new Random(seed);
        var model = new Model(random, entryCount: 3000, distinctKeys: 120, largeValueChance: 20, inSequenceOrder);
        var table = model.Build(slabSize, (ulong)seed);
        var message = $"seed {seed}";

        Assert.Equal(model.Sorted.Length, table.EntryCount);
        Assert.False(table.IsEmpty);
        Assert.Equal(1UL, table.FirstSequence);
        Assert.Equal((ulong)model.Sorted.Length, table.LargestSequence);
        Assert.True(table.ApproximateMemoryUsage >= model.PayloadBytes, message);

        using var iterator = table.NewIterator();
        AssertForward(iterator, model, message);
        AssertReverse(iterator, model, message);

        for (var i = 0; i < 600; i++)
        {
            var target = model.RandomTarget(random);
            var index = model.LowerBound(target);
            iterator.Seek(target);
            AssertAt(iterator, model, index, $"{message}, Seek({InternalKey.Describe(target)})");

            // Wander a few steps from the seek position in both directions.
            for (var step = 0; step < 6 && iterator.Valid; step++)
            {
                if (random.Next(2) == 0)
                {
                    iterator.Next();
                    index++;
                }
                else
                {
                    iterator.Prev();
                    index = index == 0 ? model.Sorted.Length : index - 1;
                }

                AssertAt(iterator, model, index, $"{message}, step {step} after Seek({InternalKey.Describe(target)})");
            }

            iterator.SeekForPrev(target);
            var floor = model.UpperBound(target) - 1;
            AssertAt(iterator, model, floor < 0 ? model.Sorted.Length : floor, $"{message}, SeekForPrev({InternalKey.Describe(target)})");
        }

        for (var i = 0; i < 1500; i++)
        {
            var userKey = random.Next(4) == 0 ? Model.RandomUserKey(random) : model.UserKeys[random.Next(model.UserKeys.Count)];
            var snapshot = random.Next(20) == 0 ? ulong.MaxValue : (ulong)random.Next(0, model.Sorted.Length + 2);
            AssertTryGet(table, model, userKey, snapshot, $"{message}, TryGet({Convert.ToHexString(userKey)}, {snapshot})");
        }

        // Every key at every snapshot around each of its versions.
        foreach (var key in model.Sorted.Take(200))
        {
            var sequence = InternalKey.Sequence(key);
            var userKey = InternalKey.UserKey(key).ToArray();
            foreach (var snapshot in new[] { sequence - 1, sequence, sequence + 1 })
            {
                AssertTryGet(table, model, userKey, snapshot, $"{message}, TryGet({Convert.ToHexString(userKey)}, {snapshot})");
            }
        }
    }

    [Fact]
    public void Empty_memtable()
    {
        var table = new MemTable();
        Assert.True(table.IsEmpty);
        Assert.Equal(0, table.EntryCount);
        Assert.Equal(0UL, table.LargestSequence);
        Assert.Equal(0UL, table.FirstSequence);
        Assert.False(table.TryGet([], ulong.MaxValue, out _, out _));
        Assert.False(table.TryGet("a"u8, 5, out _, out _));

        using var iterator = table.NewIterator();
        Assert.False(iterator.Valid);
        iterator.SeekToFirst();
        Assert.False(iterator.Valid);
        iterator.SeekToLast();
        Assert.False(iterator.Valid);
        iterator.Seek(InternalKey.Create("a"u8, 1, ValueKind.Put));
        Assert.False(iterator.Valid);
        iterator.SeekForPrev(InternalKey.Create("a"u8, 1, ValueKind.Put));
        Assert.False(iterator.Valid);
        Assert.Throws<InvalidOperationException>(() => iterator.Next());
        Assert.Throws<InvalidOperationException>(() => iterator.Prev());
        Assert.Throws<InvalidOperationException>(() => iterator.Key.Length);
        Assert.Throws<InvalidOperationException>(() => iterator.Value.Length);
    }

    [Fact]
    public void Empty_user_key_and_empty_values()
    {
        var table = new MemTable(256, 7);
        table.Add(3, ValueKind.Put, [], "three"u8);
        table.Add(5, ValueKind.Delete, [], "ignored"u8);
        table.Add(7, ValueKind.Put, [], []);
        table.Add(4, ValueKind.Put, [0], "zero"u8);

        Assert.False(table.TryGet([], 2, out _, out _));
        AssertFound(table, [], 3, ValueKind.Put, "three"u8);
        AssertFound(table, [], 4, ValueKind.Put, "three"u8);
        AssertFound(table, [], 5, ValueKind.Delete, []);
        AssertFound(table, [], 6, ValueKind.Delete, []);
        AssertFound(table, [], 7, ValueKind.Put, []);
        AssertFound(table, [0], 100, ValueKind.Put, "zero"u8);
        Assert.False(table.TryGet([0, 0], 100, out _, out _));

        // The empty key sorts first, its versions newest first; the tombstone stores no value.
        using var iterator = table.NewIterator();
        iterator.SeekToFirst();
        var seen = new List<(ulong, ValueKind, string)>();
        for (; iterator.Valid; iterator.Next())
        {
            seen.Add((InternalKey.Sequence(iterator.Key), InternalKey.Kind(iterator.Key), Convert.ToHexString(iterator.Value)));
            Assert.Equal(iterator.Key.Length == InternalKey.TrailerSize ? 0 : 1, InternalKey.UserKey(iterator.Key).Length);
        }

        Assert.Equal(
            [(7UL, ValueKind.Put, ""), (5UL, ValueKind.Delete, ""), (3UL, ValueKind.Put, "7468726565"), (4UL, ValueKind.Put, "7A65726F")],
            seen);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(Arena.DefaultSlabSize)]
    public void Keys_and_values_larger_than_a_slab(int slabSize)
    {
        var random = new Random(slabSize);
        var table = new MemTable(slabSize, 11);
        var bigKey = new byte[slabSize * 3 + 5];
        var bigValue = new byte[Math.Max(slabSize * 2 + 3, Arena.DefaultSlabSize + 17)];
        random.NextBytes(bigKey);
        random.NextBytes(bigValue);
        table.Add(1, ValueKind.Put, "small"u8, "v1"u8);
        table.Add(2, ValueKind.Put, bigKey, bigValue);
        table.Add(3, ValueKind.Put, "small"u8, bigValue);
        table.Add(4, ValueKind.Put, bigKey, "v4"u8);
        table.Add(5, ValueKind.Put, "tiny"u8, "v5"u8);

        AssertFound(table, bigKey, 3, ValueKind.Put, bigValue);
        AssertFound(table, bigKey, 4, ValueKind.Put, "v4"u8);
        AssertFound(table, "small"u8, 2, ValueKind.Put, "v1"u8);
        AssertFound(table, "small"u8, 3, ValueKind.Put, bigValue);
        AssertFound(table, "tiny"u8, 9, ValueKind.Put, "v5"u8);
        Assert.True(table.ApproximateMemoryUsage >= (2L * bigKey.Length) + (2L * bigValue.Length));

        using var iterator = table.NewIterator();
        iterator.Seek(InternalKey.Create(bigKey, 3, ValueKind.Put));
        Assert.True(iterator.Valid);
        Assert.True(InternalKey.UserKey(iterator.Key).SequenceEqual(bigKey));
        Assert.Equal(2UL, InternalKey.Sequence(iterator.Key));
        Assert.True(iterator.Value.SequenceEqual(bigValue));
        iterator.Prev();
        Assert.Equal(4UL, InternalKey.Sequence(iterator.Key));
        Assert.True(iterator.Value.SequenceEqual("v4"u8));
    }

    [Fact]
    public void Iterator_keeps_working_while_entries_are_added()
    {
        var table = new MemTable(128, 3);
        table.Add(1, ValueKind.Put, "b"u8, "b1"u8);
        table.Add(2, ValueKind.Put, "d"u8, "d2"u8);

        using var iterator = table.NewIterator();
        iterator.SeekToFirst();
        Assert.True(InternalKey.UserKey(iterator.Key).SequenceEqual("b"u8));
        var keyBefore = iterator.Key;

        table.Add(3, ValueKind.Put, "c"u8, "c3"u8);
        table.Add(4, ValueKind.Put, "a"u8, "a4"u8);
        table.Add(5, ValueKind.Put, "b"u8, "b5"u8);
        for (var i = 0; i < 500; i++)
        {
            table.Add(10 + (ulong)i, ValueKind.Put, [(byte)'e', (byte)(i >> 8), (byte)i], "x"u8);
        }

        // Spans taken earlier still read the same bytes: the arena never moves or reuses memory.
        Assert.True(keyBefore.SequenceEqual(InternalKey.Create("b"u8, 1, ValueKind.Put)));

        iterator.Next();
        Assert.True(InternalKey.UserKey(iterator.Key).SequenceEqual("c"u8));
        iterator.Prev();
        iterator.Prev();
        Assert.Equal(5UL, InternalKey.Sequence(iterator.Key));
        iterator.Prev();
        Assert.True(InternalKey.UserKey(iterator.Key).SequenceEqual("a"u8));
        iterator.Prev();
        Assert.False(iterator.Valid);

        var count = 0;
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            count++;
        }

        Assert.Equal(505, count);
        iterator.SeekToLast();
        Assert.Equal(509UL, InternalKey.Sequence(iterator.Key));
    }

    [Fact]
    public void Snapshot_and_sequence_extremes()
    {
        var table = new MemTable();
        table.Add(InternalKey.MaxSequence, ValueKind.Put, "k"u8, "max"u8);
        table.Add(0, ValueKind.Put, "k"u8, "zero"u8);
        AssertFound(table, "k"u8, 0, ValueKind.Put, "zero"u8);
        AssertFound(table, "k"u8, InternalKey.MaxSequence - 1, ValueKind.Put, "zero"u8);
        AssertFound(table, "k"u8, InternalKey.MaxSequence, ValueKind.Put, "max"u8);
        AssertFound(table, "k"u8, ulong.MaxValue, ValueKind.Put, "max"u8);

        // Snapshots above the 56-bit range must saturate, not wrap around when shifted into a trailer.
        AssertFound(table, "k"u8, InternalKey.MaxSequence + 1, ValueKind.Put, "max"u8);
        AssertFound(table, "k"u8, (1UL << 56) + 1, ValueKind.Put, "max"u8);
        Assert.Equal(0UL, table.FirstSequence);
        Assert.Equal(InternalKey.MaxSequence, table.LargestSequence);

        Assert.Throws<ArgumentOutOfRangeException>(() => table.Add(InternalKey.MaxSequence + 1, ValueKind.Put, "k"u8, "v"u8));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Add(9, (ValueKind)7, "k"u8, "v"u8));
        Assert.Equal(2, table.EntryCount);

        using var iterator = table.NewIterator();
        Assert.Throws<ArgumentException>(() => iterator.Seek([1, 2, 3]));
    }

    [Fact]
    public void TryGet_and_iterator_moves_allocate_nothing()
    {
        var random = new Random(42);
        var model = new Model(random, entryCount: 2000, distinctKeys: 300, largeValueChance: 0, inSequenceOrder: false);
        var table = model.Build(4096, 42);
        var probes = Enumerable.Range(0, 64)
            .Select(i => i % 4 == 0 ? Model.RandomUserKey(random) : model.UserKeys[random.Next(model.UserKeys.Count)])
            .ToArray();
        var seekTargets = Enumerable.Range(0, 16).Select(_ => model.RandomTarget(random)).ToArray();
        var iterator = table.NewIterator();

        long Run()
        {
            long checksum = 0;
            for (var round = 0; round < 50; round++)
            {
                foreach (var probe in probes)
                {
                    if (table.TryGet(probe, (ulong)(round * 40), out var kind, out var value))
                    {
                        checksum += (int)kind + value.Length;
                    }
                }

                foreach (var target in seekTargets)
                {
                    iterator.Seek(target);
                    if (iterator.Valid)
                    {
                        checksum += iterator.Key.Length + iterator.Value.Length;
                        iterator.Next();
                        if (iterator.Valid)
                        {
                            iterator.Prev();
                            checksum += iterator.Key.Length;
                        }
                    }
                }

                iterator.SeekToFirst();
                iterator.SeekToLast();
                checksum += iterator.Key.Length;
            }

            return checksum;
        }

        var expected = Run();
        Run();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var actual = Run();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expected, actual);
        Assert.Equal(0, allocated);
    }

    internal static void AssertFound(MemTable table, ReadOnlySpan<byte> userKey, ulong snapshot, ValueKind kind, ReadOnlySpan<byte> value)
    {
        var found = table.TryGet(userKey, snapshot, out var actualKind, out var actualValue);
        Assert.True(found, $"{Convert.ToHexString(userKey)} @{snapshot} not found");
        Assert.Equal(kind, actualKind);
        Assert.True(actualValue.SequenceEqual(value), $"{Convert.ToHexString(userKey)} @{snapshot}: wrong value");
    }

    private static void AssertTryGet(MemTable table, Model model, byte[] userKey, ulong snapshot, string message)
    {
        var expected = model.NewestVisible(userKey, snapshot);
        var found = table.TryGet(userKey, snapshot, out var kind, out var value);
        Assert.True(found == (expected != null), $"{message}: found={found}");
        if (expected != null)
        {
            Assert.True(kind == InternalKey.Kind(expected), $"{message}: kind {kind}");
            var expectedValue = kind == ValueKind.Put ? model.Values[InternalKey.Sequence(expected)] : [];
            Assert.True(value.SequenceEqual(expectedValue), $"{message}: value {Convert.ToHexString(value)}");
        }
    }

    private static void AssertForward(IInternalIterator iterator, Model model, string message)
    {
        var index = 0;
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            Assert.True(index < model.Sorted.Length, $"{message}: forward iteration runs past the model");
            AssertAt(iterator, model, index, $"{message}, forward #{index}");
            index++;
        }

        Assert.Equal(model.Sorted.Length, index);
    }

    private static void AssertReverse(IInternalIterator iterator, Model model, string message)
    {
        var index = model.Sorted.Length - 1;
        for (iterator.SeekToLast(); iterator.Valid; iterator.Prev())
        {
            Assert.True(index >= 0, $"{message}: reverse iteration runs past the model");
            AssertAt(iterator, model, index, $"{message}, reverse #{index}");
            index--;
        }

        Assert.Equal(-1, index);
    }

    /// <summary>Asserts the iterator is at model entry <paramref name="index"/>, or invalid when the index is out of range.</summary>
    private static void AssertAt(IInternalIterator iterator, Model model, int index, string message)
    {
        if (index < 0 || index >= model.Sorted.Length)
        {
            Assert.False(iterator.Valid, $"{message}: expected invalid, at {(iterator.Valid ? InternalKey.Describe(iterator.Key) : "")}");
            return;
        }

        var expected = model.Sorted[index];
        Assert.True(iterator.Valid, $"{message}: expected {InternalKey.Describe(expected)}, iterator invalid");
        Assert.True(
            iterator.Key.SequenceEqual(expected),
            $"{message}: expected {InternalKey.Describe(expected)}, got {InternalKey.Describe(iterator.Key)}");
        Assert.True(iterator.Value.SequenceEqual(model.ValueOf(expected)), $"{message}: wrong value for {InternalKey.Describe(expected)}");
    }
}
