using System.Buffers.Binary;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Lookup;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine.Tests.Memtable;

/// <summary>
/// The memtable's multi-get searches several keys at once, interleaved, each from a shared finger (or, in a small memtable,
/// one after another from the previous key's finger): every batch must resolve
/// exactly the keys a reference model (and <see cref="MemTable.TryGet"/>) has at the same sequence, with the same values,
/// and leave the others open in key order. The memtable is tall (tens of thousands of entries, several versions per key,
/// deletes) so that lanes climb and descend through many levels, and batches range from one key to thousands, spread or
/// adjacent.
/// </summary>
public class MemTableMultiGetTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(5, false)]
    [InlineData(6, false)]
    public void Batches_resolve_what_TryGet_resolves_at_every_sequence(int seed, bool interleaved)
    {
        var random = new Random(seed);
        const int distinctKeys = 12_000;
        var table = new MemTable(Arena.DefaultSlabSize, (ulong)seed)
        {
            InterleavedMultiGetMinEntries = interleaved ? 0 : long.MaxValue,
        };

        // The reference model: every key's writes, oldest first.
        var history = new Dictionary<int, List<(ulong Sequence, ValueKind Kind)>>();
        ulong sequence = 0;
        for (var i = 0; i < 30_000; i++)
        {
            // Even key numbers only, so odd ones are absent; about one write in six is a delete.
            var number = 2 * random.Next(distinctKeys);
            var kind = random.Next(6) == 0 ? ValueKind.Delete : ValueKind.Put;
            table.Add(++sequence, kind, KeyOf(number), ValueOf(sequence));
            if (!history.TryGetValue(number, out var writes))
            {
                history[number] = writes = [];
            }

            writes.Add((sequence, kind));
        }

        for (var round = 0; round < 300; round++)
        {
            var snapshot = round % 5 == 0 ? sequence : (ulong)random.NextInt64(1, (long)sequence + 1);
            var keys = Batch(random, 2 * distinctKeys + 2);
            var sink = new RecordingSink(keys.Count);
            var batch = new MultiGetBatch(keys, sink);
            try
            {
                table.MultiGet(ref batch, snapshot);
                var open = new List<int>();
                foreach (var group in batch.PendingKeys)
                {
                    open.Add(group);
                }

                var expectedOpen = new List<byte[]>();
                for (var i = 0; i < keys.Count; i++)
                {
                    var number = BinaryPrimitives.ReadInt32BigEndian(keys[i]);
                    var message = $"seed {seed}, round {round}, key {number} at {snapshot}";
                    (ulong Sequence, ValueKind Kind)? newest = null;
                    foreach (var write in history.GetValueOrDefault(number) ?? [])
                    {
                        if (write.Sequence <= snapshot)
                        {
                            newest = write;
                        }
                    }

                    var found = table.TryGet(keys[i], snapshot, out var kind, out var value);
                    Assert.Equal(newest is not null, found);
                    if (newest is { } entry)
                    {
                        var expected = entry.Kind == ValueKind.Put ? ValueOf(entry.Sequence) : null;
                        Assert.Equal(entry.Kind, kind);
                        Assert.Equal(expected ?? [], value.ToArray());
                        Assert.True(expected is null ? sink.Values[i] is null : expected.AsSpan().SequenceEqual(sink.Values[i]), message);
                    }
                    else
                    {
                        Assert.Null(sink.Values[i]);
                        expectedOpen.Add(keys[i]);
                    }
                }

                // Open keys: exactly those TryGet does not find, ascending, each once (keys are distinct here).
                Assert.Equal(expectedOpen.Count, open.Count);
                for (var i = 0; i < open.Count; i++)
                {
                    Assert.Equal(expectedOpen[i], batch.Key(open[i]).ToArray());
                }
            }
            finally
            {
                batch.Dispose();
            }
        }
    }

    /// <summary>Sorted distinct keys: a few, many spread over the whole range, or a run of neighbours.</summary>
    private static List<byte[]> Batch(Random random, int keySpace)
    {
        var count = random.Next(4) switch
        {
            0 => random.Next(1, 9),
            1 => random.Next(9, 200),
            2 => random.Next(200, 3000),
            _ => random.Next(1, 500),
        };
        var numbers = new SortedSet<int>();
        if (random.Next(3) == 0)
        {
            var first = random.Next(keySpace);
            for (var i = 0; i < count; i++)
            {
                numbers.Add(first + i);
            }
        }
        else
        {
            while (numbers.Count < count)
            {
                numbers.Add(random.Next(keySpace));
            }
        }

        return [.. numbers.Select(KeyOf)];
    }

    private static byte[] KeyOf(int number)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, number);
        return key;
    }

    private static byte[] ValueOf(ulong sequence) => BitConverter.GetBytes(sequence);

    private sealed class RecordingSink(int count) : IMultiGetSink
    {
        public byte[]?[] Values { get; } = new byte[]?[count];

        public void Found(int index, ReadOnlySpan<byte> value)
        {
            Assert.Null(Values[index]);
            Values[index] = value.ToArray();
        }
    }
}
