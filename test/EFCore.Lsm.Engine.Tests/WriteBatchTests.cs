using System.Buffers.Binary;
using EFCore.Lsm.Engine.Format;

namespace EFCore.Lsm.Engine.Tests;

public class WriteBatchTests
{
    private const string FileName = "000005.log";

    [Fact]
    public void Empty_batch_is_a_zero_header()
    {
        var batch = new WriteBatch();
        Assert.Equal(0, batch.Count);
        Assert.Equal(12, batch.ApproximateSize);
        Assert.Equal(new byte[12], batch.Contents.ToArray());
        Assert.Empty(Entries(batch));
        Assert.Equal(0, WriteBatch.FromContents(batch.Contents, FileName, 0).Count);
    }

    [Fact]
    public void Encoding_is_byte_exact()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "vv"u8);
        batch.Delete("xy"u8);
        batch.Sequence = 0x0102030405060708;
        byte[] expected =
        [
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // sequence, LE
            0x02, 0x00, 0x00, 0x00, // count, LE
            0x01, 0x01, (byte)'k', 0x02, (byte)'v', (byte)'v', // Put
            0x00, 0x02, (byte)'x', (byte)'y', // Delete
        ];
        Assert.Equal(expected, batch.Contents.ToArray());
        Assert.Equal(expected.Length, batch.ApproximateSize);
    }

    [Fact]
    public void Sequence_is_stored_in_the_header()
    {
        var batch = new WriteBatch();
        batch.Put("a"u8, "b"u8);
        batch.Sequence = 123456789;
        Assert.Equal(123456789UL, batch.Sequence);
        Assert.Equal(123456789UL, BinaryPrimitives.ReadUInt64LittleEndian(batch.Contents));
        Assert.Equal(123456789UL, WriteBatch.ReadSequence(batch.Contents));
        Assert.Equal(1, WriteBatch.ReadCount(batch.Contents));
        Assert.Equal(123456789UL, WriteBatch.FromContents(batch.Contents, FileName, 0).Sequence);

        // Later puts keep it.
        batch.Put("c"u8, "d"u8);
        Assert.Equal(123456789UL, batch.Sequence);
    }

    [Fact]
    public void Clear_resets_entries_and_sequence()
    {
        var batch = new WriteBatch();
        batch.Put("a"u8, new byte[1000]);
        batch.Sequence = 9;
        batch.Clear();
        Assert.Equal(0, batch.Count);
        Assert.Equal(12, batch.ApproximateSize);
        Assert.Equal(0UL, batch.Sequence);
        batch.Delete("z"u8);
        Assert.Equal([(ValueKind.Delete, "z", "")], Entries(batch));
    }

    [Fact]
    public void Empty_keys_and_values_are_allowed()
    {
        var batch = new WriteBatch();
        batch.Put([], []);
        batch.Delete([]);
        var copy = WriteBatch.FromContents(batch.Contents, FileName, 0);
        Assert.Equal([(ValueKind.Put, "", ""), (ValueKind.Delete, "", "")], Entries(copy));
    }

    [Fact]
    public void Append_concatenates_entries_and_counts()
    {
        var a = new WriteBatch();
        a.Put("a"u8, "1"u8);
        a.Sequence = 50;
        var b = new WriteBatch();
        b.Delete("b"u8);
        b.Put("c"u8, "3"u8);
        b.Sequence = 999;

        a.Append(b);
        Assert.Equal(3, a.Count);
        Assert.Equal(50UL, a.Sequence);
        Assert.Equal([(ValueKind.Put, "a", "1"), (ValueKind.Delete, "b", ""), (ValueKind.Put, "c", "3")], Entries(a));
        Assert.Equal(2, b.Count);

        a.Append(new WriteBatch());
        Assert.Equal(3, a.Count);

        // Appending a batch to itself doubles it, even when the buffer has to grow meanwhile.
        a.Append(a);
        Assert.Equal(6, a.Count);
        Assert.Equal(Entries(b).Prepend((ValueKind.Put, "a", "1")).Concat(Entries(b).Prepend((ValueKind.Put, "a", "1"))), Entries(a));
        Assert.Equal(a.Contents.ToArray(), WriteBatch.FromContents(a.Contents, FileName, 0).Contents.ToArray());
    }

    [Fact]
    public void Key_and_value_limits_are_enforced()
    {
        var batch = new WriteBatch();
        batch.Put(new byte[WriteBatch.MaxKeySize], "v"u8);
        batch.Delete(new byte[WriteBatch.MaxKeySize]);

        var e = Assert.Throws<ArgumentException>(() => batch.Put(new byte[WriteBatch.MaxKeySize + 1], "v"u8));
        Assert.Contains(WriteBatch.MaxKeySize.ToString(), e.Message);
        e = Assert.Throws<ArgumentException>(() => batch.Delete(new byte[WriteBatch.MaxKeySize + 1]));
        Assert.Contains(WriteBatch.MaxKeySize.ToString(), e.Message);

        var big = new byte[WriteBatch.MaxValueSize + 1];
        e = Assert.Throws<ArgumentException>(() => batch.Put("k"u8, big));
        Assert.Contains(WriteBatch.MaxValueSize.ToString(), e.Message);

        // A rejected entry leaves the batch unchanged.
        Assert.Equal(2, batch.Count);
        batch.Put("k"u8, big.AsSpan(0, WriteBatch.MaxValueSize));
        Assert.Equal(3, batch.Count);
        Assert.Equal(3, WriteBatch.FromContents(batch.Contents, FileName, 0).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_batches_match_a_model(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 30; round++)
        {
            var batch = new WriteBatch();
            var model = new List<(ValueKind, string, string)>();
            var n = random.Next(200);
            for (var i = 0; i < n; i++)
            {
                var key = RandomString(random, random.Next(3) == 0 ? random.Next(300) : random.Next(10));
                if (random.Next(3) == 0)
                {
                    batch.Delete(Bytes(key));
                    model.Add((ValueKind.Delete, key, ""));
                }
                else
                {
                    var value = RandomString(random, random.Next(4) == 0 ? random.Next(20_000) : random.Next(50));
                    batch.Put(Bytes(key), Bytes(value));
                    model.Add((ValueKind.Put, key, value));
                }

                if (random.Next(50) == 0)
                {
                    // Merge a second batch in, as group commit does.
                    var other = new WriteBatch();
                    other.Put("merged"u8, "yes"u8);
                    other.Delete("gone"u8);
                    batch.Append(other);
                    model.Add((ValueKind.Put, "merged", "yes"));
                    model.Add((ValueKind.Delete, "gone", ""));
                }
            }

            var sequence = (ulong)random.NextInt64(0, (long)InternalKey.MaxSequence);
            batch.Sequence = sequence;
            Assert.True(model.Count == batch.Count, $"seed {seed} round {round}");
            Assert.True(model.SequenceEqual(Entries(batch)), $"seed {seed} round {round}");

            var copy = WriteBatch.FromContents(batch.Contents, FileName, 77);
            Assert.True(model.SequenceEqual(Entries(copy)), $"seed {seed} round {round}");
            Assert.Equal(sequence, copy.Sequence);
            Assert.Equal(batch.ApproximateSize, copy.ApproximateSize);

            var walked = new List<(ValueKind, string, string)>();
            Assert.Equal(model.Count, WriteBatch.Validate(batch.Contents, FileName, 0));
            foreach (var entry in WriteBatch.Enumerate(batch.Contents))
            {
                walked.Add((entry.Kind, Text(entry.Key), Text(entry.Value)));
            }

            Assert.True(model.SequenceEqual(walked), $"seed {seed} round {round}");

            // The copy is independent and can keep growing.
            copy.Put("after"u8, "copy"u8);
            Assert.Equal(model.Count + 1, copy.Count);
            Assert.Equal(model.Count, batch.Count);
        }
    }

    [Fact]
    public void Every_truncation_is_corruption()
    {
        var batch = SampleBatch(new Random(7));
        var contents = batch.Contents.ToArray();
        for (var cut = 0; cut < contents.Length; cut++)
        {
            var e = Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(contents.AsSpan(0, cut), FileName, 4096));
            Assert.Equal(FileName, e.FileName);
            Assert.Equal(4096, e.Offset);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Random_byte_flips_give_a_consistent_batch_or_corruption(int seed)
    {
        var random = new Random(seed);
        var corrupt = 0;
        for (var round = 0; round < 3000; round++)
        {
            var contents = SampleBatch(random).Contents.ToArray();
            var flips = 1 + random.Next(3);
            for (var f = 0; f < flips; f++)
            {
                contents[random.Next(contents.Length)] ^= (byte)(1 + random.Next(255));
            }

            WriteBatch decoded;
            try
            {
                decoded = WriteBatch.FromContents(contents, FileName, 1);
            }
            catch (LsmCorruptionException e)
            {
                Assert.Equal(FileName, e.FileName);
                corrupt++;
                continue;
            }

            // Accepted: it must be a well-formed batch whose re-encoding is exactly the input.
            var rebuilt = new WriteBatch();
            foreach (var entry in decoded.GetEnumerator())
            {
                if (entry.Kind == ValueKind.Put)
                {
                    rebuilt.Put(entry.Key, entry.Value);
                }
                else
                {
                    rebuilt.Delete(entry.Key);
                }
            }

            rebuilt.Sequence = decoded.Sequence;
            Assert.True(contents.AsSpan().SequenceEqual(rebuilt.Contents), $"seed {seed} round {round}");
        }

        Assert.True(corrupt > 0, $"seed {seed}");
    }

    [Fact]
    public void Malformed_contents_are_rejected_with_reasons()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        var good = batch.Contents.ToArray();

        var wrongCount = (byte[])good.Clone();
        wrongCount[8] = 2;
        Assert.Contains("entries", Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(wrongCount, FileName, 0)).Reason);

        var zeroCount = (byte[])good.Clone();
        zeroCount[8] = 0;
        Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(zeroCount, FileName, 0));

        var badKind = (byte[])good.Clone();
        badKind[12] = 2;
        Assert.Contains("kind", Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(badKind, FileName, 0)).Reason);

        byte[] trailing = [.. good, 0x00];
        Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(trailing, FileName, 0));

        // A key length varint that never ends.
        byte[] endless = [.. good[..12], 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(endless, FileName, 0));

        // A key length beyond the record.
        byte[] longKey = [.. good[..12], 0x00, 0x7F, 0x01];
        longKey[8] = 1;
        Assert.Throws<LsmCorruptionException>(() => WriteBatch.FromContents(longKey, FileName, 0));
    }

    [Fact]
    public void Put_does_not_allocate_once_the_buffer_is_large_enough()
    {
        var batch = new WriteBatch();
        for (var i = 0; i < 1000; i++)
        {
            batch.Put("key-000"u8, "value"u8);
        }

        batch.Clear();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            batch.Put("key-000"u8, "value"u8);
        }

        var count = 0;
        foreach (var entry in batch.GetEnumerator())
        {
            count += entry.Key.Length;
        }

        // A per-entry allocation would cost at least 24 KB here; the slack only absorbs runtime noise (tiering).
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 1000 puts");
        Assert.Equal(7000, count);
    }

    private static WriteBatch SampleBatch(Random random)
    {
        var batch = new WriteBatch();
        var n = 1 + random.Next(6);
        for (var i = 0; i < n; i++)
        {
            var key = new byte[random.Next(20)];
            random.NextBytes(key);
            if (random.Next(3) == 0)
            {
                batch.Delete(key);
            }
            else
            {
                var value = new byte[random.Next(3) == 0 ? random.Next(300) : random.Next(10)];
                random.NextBytes(value);
                batch.Put(key, value);
            }
        }

        batch.Sequence = (ulong)random.NextInt64();
        return batch;
    }

    private static List<(ValueKind Kind, string Key, string Value)> Entries(WriteBatch batch)
    {
        var result = new List<(ValueKind, string, string)>();
        foreach (var entry in batch.GetEnumerator())
        {
            result.Add((entry.Kind, Text(entry.Key), Text(entry.Value)));
        }

        return result;
    }

    private static string RandomString(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)random.Next(32, 127);
        }

        return new string(chars);
    }

    private static byte[] Bytes(string s) => System.Text.Encoding.Latin1.GetBytes(s);

    private static string Text(ReadOnlySpan<byte> bytes) => System.Text.Encoding.Latin1.GetString(bytes);
}
