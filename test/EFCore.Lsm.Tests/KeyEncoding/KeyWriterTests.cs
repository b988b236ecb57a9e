using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class KeyWriterTests
{
    [Fact]
    public void Encoding_and_decoding_integer_and_Guid_keys_in_a_reused_buffer_allocates_nothing()
    {
        var buffer = new byte[64];
        var guid = Guid.NewGuid();
        var checksum = WriteAndRead(buffer, guid, 100); // warm up (tiering, statics)

        // The runtime itself may allocate on this thread while it moves the loop to optimized code (on-stack replacement,
        // tier-up), whenever a busy machine lets its background compiler finish; that happens in one pass, not in every
        // one. A pass of 10,000 operations that allocated per operation would show at least 240,000 bytes in every pass.
        var allocations = new List<long>();
        for (var pass = 0; pass < 5 && (allocations.Count == 0 || allocations[^1] != 0); pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            checksum += WriteAndRead(buffer, guid, 10_000);
            allocations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.NotEqual(0, checksum);
        Assert.Equal(0, allocations[^1]);
    }

    private static long WriteAndRead(byte[] buffer, Guid guid, int count)
    {
        long checksum = 0;
        for (var i = 0; i < count; i++)
        {
            var writer = new KeyWriter(buffer);
            writer.WriteRaw([0x15, 0x07]);
            writer.Write(i);
            writer.Write((long)i * -7919, descending: true);
            writer.Write(guid);
            writer.Write("customer");
            var reader = new KeyReader(writer.WrittenSpan);
            reader.SkipPart();
            checksum += reader.ReadInt32() + reader.ReadInt64() + reader.ReadGuid().GetHashCode() + writer.Length;
            writer.Dispose();
        }

        return checksum;
    }

    [Fact]
    public void Grows_from_a_small_buffer_and_writes_the_same_bytes()
    {
        var random = new Random(1);
        Span<byte> small = stackalloc byte[4];
        for (var round = 0; round < 200; round++)
        {
            var values = Enumerable.Range(0, random.Next(1, 30)).Select(_ => RandomString(random)).ToArray();
            var expected = Encode((ref KeyWriter w) =>
            {
                foreach (var value in values)
                {
                    w.Write(value);
                }
            });
            var writer = new KeyWriter(small);
            try
            {
                foreach (var value in values)
                {
                    writer.Write(value);
                }

                Assert.Equal(expected, writer.ToArray());
            }
            finally
            {
                writer.Dispose();
            }
        }
    }

    [Fact]
    public void Keys_longer_than_the_limit_are_refused_naming_the_limit_and_left_unchanged()
    {
        var writer = new KeyWriter(16);
        try
        {
            writer.WriteRaw(new byte[KeyEncodingLimits.MaxKeySize - 3]);
            writer.Write(1); // two bytes: one left
            var length = writer.Length;
            var error = Assert.Throws<LsmKeyTooLargeException>(() => WriteOneMore());
            Assert.Contains($"{KeyEncodingLimits.MaxKeySize} bytes", error.Message, StringComparison.Ordinal);
            Assert.Contains("MaxKeySize", error.Message, StringComparison.Ordinal);
            Assert.Equal(KeyEncodingLimits.MaxKeySize + 1, error.Size);
            Assert.Equal(length, writer.Length);
            writer.Write(true);
            Assert.Equal(KeyEncodingLimits.MaxKeySize, writer.Length);
        }
        finally
        {
            writer.Dispose();
        }

        static void WriteOneMore()
        {
            var w = new KeyWriter(stackalloc byte[8]);
            try
            {
                w.WriteRaw(new byte[KeyEncodingLimits.MaxKeySize - 1]);
                w.Write(1);
            }
            finally
            {
                w.Dispose();
            }
        }

        Assert.Throws<LsmKeyTooLargeException>(() => Encode((ref KeyWriter w) => w.Write(new string('\u00E9', 5000))));
        Assert.Throws<LsmKeyTooLargeException>(() => KeyEncodingLimits.CheckKeySize(KeyEncodingLimits.MaxKeySize + 1L));
        KeyEncodingLimits.CheckKeySize(KeyEncodingLimits.MaxKeySize);
    }

    [Fact]
    public void Reset_and_Truncate_reuse_the_buffer_for_keys_sharing_a_prefix()
    {
        var writer = new KeyWriter(8);
        try
        {
            writer.Write("orders");
            var prefix = writer.Length;
            writer.Write(1);
            var first = writer.ToArray();
            writer.Truncate(prefix);
            writer.Write(2);
            Assert.Equal(Encode((ref KeyWriter w) =>
            {
                w.Write("orders");
                w.Write(2);
            }), writer.ToArray());
            Assert.True(Memcmp(first, writer.ToArray()) < 0);
            writer.Reset();
            Assert.Equal(0, writer.Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => TruncateBeyond());
        }
        finally
        {
            writer.Dispose();
        }

        static void TruncateBeyond()
        {
            var w = new KeyWriter(stackalloc byte[8]);
            w.Write(1);
            w.Truncate(3);
        }
    }
}
