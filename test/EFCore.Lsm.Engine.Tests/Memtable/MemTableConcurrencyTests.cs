using System.Buffers.Binary;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Engine.Tests.Memtable;

public class MemTableConcurrencyTests
{
    /// <summary>
    /// One writer adds a known schedule (sequence s writes key k(s) with value v(s)) while two readers, without locks,
    /// scan forward and backward and do point lookups. Readers check that every entry they see is exactly what was
    /// written for its sequence (no torn key or value), that order is strictly monotone, and that everything up to the
    /// published <see cref="MemTable.LargestSequence"/> is visible, both to scans and to TryGet.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Readers_see_consistent_sorted_entries_while_one_writer_adds(int seed)
    {
        const int entryCount = 30_000;
        var random = new Random(seed);
        var keyCount = 2000;
        var keys = new byte[keyCount][];
        for (var i = 0; i < keyCount; i++)
        {
            // Variable-length keys with shared prefixes; the index is recoverable from the key for checking.
            keys[i] = new byte[2 + random.Next(0, 12)];
            BinaryPrimitives.WriteUInt16BigEndian(keys[i], (ushort)i);
            random.NextBytes(keys[i].AsSpan(2));
        }

        var keyOf = new int[entryCount + 1];
        var kindOf = new ValueKind[entryCount + 1];
        var sequencesByKey = Enumerable.Range(0, keyCount).Select(_ => new List<ulong>()).ToArray();
        for (var s = 1; s <= entryCount; s++)
        {
            keyOf[s] = random.Next(keyCount);
            kindOf[s] = random.Next(6) == 0 ? ValueKind.Delete : ValueKind.Put;
            sequencesByKey[keyOf[s]].Add((ulong)s);
        }

        var table = new MemTable(4096, (ulong)seed);
        var writerDone = 0;
        var failures = new List<Exception>();

        void Guard(Action body)
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                lock (failures)
                {
                    failures.Add(e);
                }
            }
        }

        var writer = new Thread(() => Guard(() =>
        {
            try
            {
                for (var s = 1; s <= entryCount; s++)
                {
                    table.Add((ulong)s, kindOf[s], keys[keyOf[s]], ExpectedValue((ulong)s, kindOf[s]));

                    // Give the readers the core now and then, so more of their passes overlap with adds.
                    if (s % 1024 == 0)
                    {
                        Thread.Yield();
                    }
                }
            }
            finally
            {
                Volatile.Write(ref writerDone, 1);
            }
        }));

        var scanner = new Thread(() => Guard(() =>
        {
            var pass = 0;
            do
            {
                Scan(table, keys, keyOf, kindOf, reverse: pass % 3 == 2, seed);
                pass++;
            }
            while (Volatile.Read(ref writerDone) == 0);
            Scan(table, keys, keyOf, kindOf, reverse: false, seed);
            Scan(table, keys, keyOf, kindOf, reverse: true, seed);
        }));

        var getter = new Thread(() => Guard(() =>
        {
            var readerRandom = new Random(seed * 31);
            var done = false;
            while (!done)
            {
                done = Volatile.Read(ref writerDone) != 0;
                for (var i = 0; i < 2000; i++)
                {
                    var visible = table.LargestSequence;
                    var snapshot = readerRandom.Next(4) == 0 ? (ulong)readerRandom.Next(0, (int)visible + 1) : visible;
                    var key = readerRandom.Next(keyCount);
                    CheckGet(table, keys[key], sequencesByKey[key], snapshot, kindOf, seed);
                }
            }
        }));

        writer.Start();
        scanner.Start();
        getter.Start();
        writer.Join();
        scanner.Join();
        getter.Join();

        Assert.True(failures.Count == 0, $"seed {seed}: {string.Join(Environment.NewLine, failures)}");
        Assert.Equal(entryCount, table.EntryCount);
        Assert.Equal((ulong)entryCount, table.LargestSequence);
    }

    private static byte[] ExpectedValue(ulong sequence, ValueKind kind)
    {
        if (kind == ValueKind.Delete)
        {
            return [];
        }

        // Length and content both depend on the sequence, so a torn or misattributed value cannot pass.
        var value = new byte[(int)(sequence * 7 % 41)];
        for (var i = 0; i < value.Length; i++)
        {
            value[i] = (byte)((sequence * 131) + (ulong)i);
        }

        return value;
    }

    private static void Scan(MemTable table, byte[][] keys, int[] keyOf, ValueKind[] kindOf, bool reverse, int seed)
    {
        // Adds come in sequence order and LargestSequence is published after the link, so all of 1..visible are in.
        var visible = table.LargestSequence;
        using var iterator = table.NewIterator();
        var previous = new byte[64];
        var previousLength = -1;
        var seenVisible = 0UL;
        if (reverse)
        {
            iterator.SeekToLast();
        }
        else
        {
            iterator.SeekToFirst();
        }

        while (iterator.Valid)
        {
            var key = iterator.Key;
            var sequence = InternalKey.Sequence(key);
            if (sequence == 0 || sequence >= (ulong)keyOf.Length)
            {
                throw new InvalidOperationException($"seed {seed}: impossible sequence in {InternalKey.Describe(key)}");
            }

            var s = (int)sequence;
            if (!InternalKey.UserKey(key).SequenceEqual(keys[keyOf[s]]) || InternalKey.Kind(key) != kindOf[s])
            {
                throw new InvalidOperationException($"seed {seed}: torn key {InternalKey.Describe(key)}");
            }

            if (!iterator.Value.SequenceEqual(ExpectedValue(sequence, kindOf[s])))
            {
                throw new InvalidOperationException($"seed {seed}: wrong value for {InternalKey.Describe(key)}");
            }

            if (previousLength >= 0)
            {
                var order = InternalKey.Compare(previous.AsSpan(0, previousLength), key);
                if (reverse ? order <= 0 : order >= 0)
                {
                    throw new InvalidOperationException(
                        $"seed {seed}: out of order: {InternalKey.Describe(previous.AsSpan(0, previousLength))} "
                        + $"then {InternalKey.Describe(key)}");
                }
            }

            key.CopyTo(previous);
            previousLength = key.Length;
            if (sequence <= visible)
            {
                seenVisible++;
            }

            if (reverse)
            {
                iterator.Prev();
            }
            else
            {
                iterator.Next();
            }
        }

        if (seenVisible != visible)
        {
            throw new InvalidOperationException(
                $"seed {seed}: {(reverse ? "reverse" : "forward")} scan saw {seenVisible} of {visible} published entries");
        }
    }

    private static void CheckGet(MemTable table, byte[] userKey, List<ulong> sequences, ulong snapshot, ValueKind[] kindOf, int seed)
    {
        // The newest version at or below the snapshot; the list is in ascending sequence order.
        var index = sequences.BinarySearch(snapshot);
        index = index >= 0 ? index : ~index - 1;
        var found = table.TryGet(userKey, snapshot, out var kind, out var value);
        if (index < 0)
        {
            if (found)
            {
                throw new InvalidOperationException($"seed {seed}: {Convert.ToHexString(userKey)} @{snapshot} found but none visible");
            }

            return;
        }

        var expectedSequence = sequences[index];
        var expectedKind = kindOf[expectedSequence];
        if (!found || kind != expectedKind || !value.SequenceEqual(ExpectedValue(expectedSequence, expectedKind)))
        {
            throw new InvalidOperationException(
                $"seed {seed}: {Convert.ToHexString(userKey)} @{snapshot}: expected seq {expectedSequence} {expectedKind}, "
                + $"got found={found} {kind}");
        }
    }
}
