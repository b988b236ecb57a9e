using System.Buffers;
using System.Buffers.Binary;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Database;

/// <summary>Data far larger than the memtable: flushed to many SSTs, reopened and read back exactly.</summary>
public class LargeDataTests(ITestOutputHelper output)
{
    private const int ValueSize = 100;

    private static void FillKey(Span<byte> key, long i)
    {
        // 16-byte keys as in db_bench: an 8-byte big-endian scrambled number, then the number itself.
        BinaryPrimitives.WriteUInt64BigEndian(key, (ulong)i * 0x9E3779B97F4A7C15UL);
        BinaryPrimitives.WriteUInt64BigEndian(key[8..], (ulong)i);
    }

    private static void FillValue(Span<byte> value, long i)
    {
        for (var j = 0; j < value.Length; j++)
        {
            value[j] = (byte)(i * 31 + j);
        }
    }

    [Fact]
    public void Two_hundred_megabytes_round_trip_through_many_tables_and_a_reopen()
    {
        const long count = 2_000_000; // 2M x (16 + 100) bytes ≈ 230 MB of user data
        using var dir = new TempDirectory("large");
        var path = dir.Sub("db");
        var options = new LsmOptions { WriteBufferSize = 8L << 20, Compression = TableCompression.None }; // many tables: sized uncompressed
        var key = new byte[16];
        var value = new byte[ValueSize];
        using (var db = LsmDatabase.Open(path, options))
        {
            var batch = new WriteBatch();
            for (long i = 0; i < count; i++)
            {
                FillKey(key, i);
                FillValue(value, i);
                batch.Put(key, value);
                if (batch.Count == 1000)
                {
                    db.Write(batch);
                    batch.Clear();
                }
            }

            db.Write(batch);
        }

        using (var db = LsmDatabase.Open(path, options))
        {
            var files = Enumerable.Range(0, 7).Sum(level => long.Parse(db.GetProperty(LsmDatabase.Properties.NumFilesAtLevelPrefix + level)!));
            output.WriteLine(db.GetProperty(LsmDatabase.Properties.Stats));
            Assert.True(files >= 20, $"expected many tables, got {files}");
            Assert.True(long.Parse(db.GetProperty(LsmDatabase.Properties.NumFilesAtLevelPrefix + "1")!) > 0, "compaction should have filled L1");

            var expected = new byte[ValueSize];
            var buffer = new ArrayBufferWriter<byte>(ValueSize);
            var random = new Random(42);
            for (var n = 0; n < 20_000; n++)
            {
                long i = random.NextInt64(count);
                FillKey(key, i);
                FillValue(expected, i);
                buffer.ResetWrittenCount();
                Assert.True(db.TryGet(key, buffer), $"key {i} missing");
                Assert.True(buffer.WrittenSpan.SequenceEqual(expected), $"key {i} has the wrong value");
            }

            long seen = 0;
            var previous = new byte[16];
            using var iterator = db.NewIterator(new ReadOptions { FillCache = false });
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                Assert.Equal(16, iterator.Key.Length);
                if (seen > 0)
                {
                    Assert.True(iterator.Key.SequenceCompareTo(previous) > 0, "keys out of order");
                }

                iterator.Key.CopyTo(previous);
                var i = (long)BinaryPrimitives.ReadUInt64BigEndian(iterator.Key[8..]);
                FillValue(expected, i);
                Assert.True(iterator.Value.SequenceEqual(expected), $"key {i} has the wrong value in the scan");
                seen++;
            }

            Assert.Equal(count, seen);
        }
    }
}
