using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Compaction;

public class CompactionTests(ITestOutputHelper output)
{
    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D8}");

    private static long Property(LsmDatabase db, string name) => long.Parse(db.GetProperty(name)!);

    private static long FolderBytes(string path) => Directory.GetFiles(path).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void Overwrites_and_deletes_are_reclaimed_and_every_read_matches_the_model()
    {
        const int keys = 100_000;
        const int rounds = 20;
        const int valueSize = 100;
        using var dir = new TempDirectory("space");
        var path = dir.Sub("db");
        var options = new LsmOptions { WriteBufferSize = 4L << 20, TargetFileSize = 2L << 20, MaxBytesForLevelBase = 8L << 20 };
        var model = new Dictionary<int, int>(); // key -> round of its value
        var value = new byte[valueSize];
        var random = new Random(11);
        using (var db = LsmDatabase.Open(path, options))
        {
            var batch = new WriteBatch();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var i in Enumerable.Range(0, keys).OrderBy(_ => random.Next()))
                {
                    FillValue(value, i, round);
                    batch.Put(Key(i), value);
                    model[i] = round;
                    if (batch.Count == 500)
                    {
                        db.Write(batch);
                        batch.Clear();
                    }
                }
            }

            for (var i = 0; i < keys; i += 2)
            {
                batch.Delete(Key(i));
                model.Remove(i);
                if (batch.Count == 500)
                {
                    db.Write(batch);
                    batch.Clear();
                }
            }

            db.Write(batch);
            output.WriteLine("before CompactRange:\n" + db.GetProperty(LsmDatabase.Properties.Stats));
            Assert.True(Property(db, LsmDatabase.Properties.CompactionCount) > 0, "background compaction never ran");
            db.CompactRange(null, null);
            output.WriteLine("after CompactRange:\n" + db.GetProperty(LsmDatabase.Properties.Stats));
            CheckAgainstModel(db, model, keys);
        }

        var logical = (long)model.Count * (Key(0).Length + valueSize);
        var onDisk = FolderBytes(path);
        output.WriteLine($"logical {logical} bytes, on disk {onDisk} bytes, ratio {onDisk / (double)logical:F3}");
        foreach (var file in Directory.GetFiles(path).Order(StringComparer.Ordinal))
        {
            output.WriteLine($"  {Path.GetFileName(file)} {new FileInfo(file).Length}");
        }

        Assert.True(onDisk <= logical * 1.5, $"on-disk size {onDisk} exceeds 1.5x the logical size {logical}");

        using (var reopened = LsmDatabase.Open(path, options))
        {
            CheckAgainstModel(reopened, model, keys);
        }
    }

    private static void FillValue(Span<byte> value, int key, int round)
    {
        BinaryPrimitives.WriteInt32LittleEndian(value, key);
        BinaryPrimitives.WriteInt32LittleEndian(value[4..], round);
        value[8..].Fill((byte)(key + round));
    }

    private static void CheckAgainstModel(LsmDatabase db, Dictionary<int, int> model, int keys)
    {
        var expected = new byte[100];
        var buffer = new ArrayBufferWriter<byte>(100);
        for (var i = 0; i < keys; i++)
        {
            buffer.ResetWrittenCount();
            var found = db.TryGet(Key(i), buffer);
            Assert.Equal(model.ContainsKey(i), found);
            if (found)
            {
                FillValue(expected, i, model[i]);
                Assert.True(buffer.WrittenSpan.SequenceEqual(expected), $"key {i} has a stale or wrong value");
            }
        }

        using var iterator = db.NewIterator();
        var count = 0;
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            count++;
        }

        Assert.Equal(model.Count, count);
    }

    [Fact]
    public void Compaction_keeps_what_a_snapshot_sees_and_drops_it_once_released()
    {
        var fs = new MemoryFileSystem();
        var options = new LsmOptions { FileSystem = fs, DisableAutoCompactions = true };
        using var db = LsmDatabase.Open("/snap", options);
        for (var i = 0; i < 1000; i++)
        {
            db.Put(Key(i), Encoding.ASCII.GetBytes("old" + i));
        }

        db.Flush();
        var snapshot = db.GetSnapshot();
        for (var i = 0; i < 1000; i++)
        {
            if (i % 2 == 0)
            {
                db.Delete(Key(i));
            }
            else
            {
                db.Put(Key(i), Encoding.ASCII.GetBytes("new" + i));
            }
        }

        db.CompactRange(null, null);
        Assert.Equal("0", db.GetProperty(LsmDatabase.Properties.NumFilesAtLevelPrefix + "0"));
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(Encoding.ASCII.GetBytes("old" + i), db.Get(Key(i), new ReadOptions { Snapshot = snapshot }));
            Assert.Equal(i % 2 == 0 ? null : Encoding.ASCII.GetBytes("new" + i), db.Get(Key(i)));
        }

        var bytesWithSnapshot = Property(db, LsmDatabase.Properties.TotalSstBytes);
        snapshot.Dispose();
        db.CompactRange(null, null);
        var bytesAfter = Property(db, LsmDatabase.Properties.TotalSstBytes);
        Assert.True(bytesAfter < bytesWithSnapshot / 2, $"old versions and tombstones were not dropped ({bytesWithSnapshot} -> {bytesAfter})");
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(i % 2 == 0 ? null : Encoding.ASCII.GetBytes("new" + i), db.Get(Key(i)));
        }
    }

    [Fact]
    public void Tombstone_over_a_deeper_level_survives_until_it_reaches_the_bottom()
    {
        var fs = new MemoryFileSystem();
        using var db = LsmDatabase.Open("/tomb", new LsmOptions { FileSystem = fs, DisableAutoCompactions = true });
        db.Put(Key(1), "v1"u8);
        db.Put(Key(2), "v2"u8);
        db.CompactRange(null, null); // into L1
        db.Delete(Key(1));
        db.Flush(); // tombstone in L0, value in L1

        // Compact only L0 -> L1 by range: the tombstone meets the value and both go.
        db.CompactRange(Key(1), Key(1));
        Assert.Null(db.Get(Key(1)));
        Assert.Equal("v2"u8.ToArray(), db.Get(Key(2)));
        using var iterator = db.NewIterator();
        iterator.SeekToFirst();
        Assert.True(iterator.Valid);
        Assert.Equal(Key(2), iterator.Key.ToArray());
    }

    [Fact]
    public void A_random_read_touches_at_most_one_data_block_per_level()
    {
        const int count = 1_000_000;
        using var dir = new TempDirectory("reads");
        var options = new LsmOptions { WriteBufferSize = 8L << 20, BlockCacheSize = 8L << 20 };
        var key = new byte[16];
        var value = new byte[100];
        var random = new Random(3);
        using var db = LsmDatabase.Open(dir.Sub("db"), options);
        var batch = new WriteBatch();
        foreach (var i in Enumerable.Range(0, count).OrderBy(_ => random.Next()))
        {
            BinaryPrimitives.WriteInt64BigEndian(key, (long)i * 2654435761L % 1_000_000_007L);
            BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), i);
            batch.Put(key, value);
            if (batch.Count == 1000)
            {
                db.Write(batch);
                batch.Clear();
            }
        }

        db.Write(batch);
        db.Flush();
        db.WaitForCompactions(); // measure reads alone: compaction reads also go through the block cache counters
        var levels = Enumerable.Range(0, 7).Count(l => Property(db, LsmDatabase.Properties.NumFilesAtLevelPrefix + l) > 0);
        var blocksBefore = Property(db, LsmDatabase.Properties.BlockCacheHits) + Property(db, LsmDatabase.Properties.BlockCacheMisses);
        const int reads = 20_000;
        var buffer = new ArrayBufferWriter<byte>(100);
        for (var n = 0; n < reads; n++)
        {
            var i = random.Next(count);
            BinaryPrimitives.WriteInt64BigEndian(key, (long)i * 2654435761L % 1_000_000_007L);
            BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), i);
            buffer.ResetWrittenCount();
            Assert.True(db.TryGet(key, buffer));
        }

        var blocks = Property(db, LsmDatabase.Properties.BlockCacheHits) + Property(db, LsmDatabase.Properties.BlockCacheMisses) - blocksBefore;
        var perRead = blocks / (double)reads;
        output.WriteLine($"{levels} non-empty levels, {perRead:F3} data blocks per read, bloom useful {db.GetProperty(LsmDatabase.Properties.BloomUseful)} of {db.GetProperty(LsmDatabase.Properties.BloomChecks)}");
        output.WriteLine(db.GetProperty(LsmDatabase.Properties.Stats));
        Assert.True(perRead <= levels, $"{perRead:F3} data blocks per read over {levels} levels");
        Assert.True(perRead <= 1.1, $"{perRead:F3} data blocks per read: Bloom filters should leave about one");
    }

    [Fact]
    public void Writers_stall_on_level0_backlog_but_never_fail()
    {
        var fs = new MemoryFileSystem();
        var options = new LsmOptions
        {
            FileSystem = fs, WriteBufferSize = 64 * 1024, Level0CompactionTrigger = 2, Level0SlowdownWritesTrigger = 2,
            Level0StopWritesTrigger = 3, MaxImmutableMemtables = 1, TargetFileSize = 64 * 1024, MaxBytesForLevelBase = 256 * 1024,
        };
        using var db = LsmDatabase.Open("/stall", options);
        var value = new byte[200];
        Parallel.For(0, 4, writer =>
        {
            for (var i = 0; i < 5000; i++)
            {
                db.Put(Encoding.ASCII.GetBytes($"w{writer}-{i:D6}"), value);
            }
        });
        output.WriteLine(db.GetProperty(LsmDatabase.Properties.Stats));
        Assert.True(Property(db, LsmDatabase.Properties.StallMicros) > 0, "the tiny limits should have stalled writers");
        Assert.Matches(@"frozen memtables full \d+ waits [0-9.]+ s; L0 stop \d+ waits", db.GetProperty(LsmDatabase.Properties.Stats)!);
        for (var writer = 0; writer < 4; writer++)
        {
            for (var i = 0; i < 5000; i += 97)
            {
                Assert.NotNull(db.Get(Encoding.ASCII.GetBytes($"w{writer}-{i:D6}")));
            }
        }
    }

    [Fact]
    public void A_sequential_load_moves_level0_files_down_without_rewriting_them()
    {
        var fs = new MemoryFileSystem();
        var options = new LsmOptions { FileSystem = fs, WriteBufferSize = 64 * 1024, Level0CompactionTrigger = 2, MaxBytesForLevelBase = 1L << 30 };
        using var db = LsmDatabase.Open("/seq", options);
        var value = new byte[100];
        for (var i = 0; i < 20_000; i++)
        {
            db.Put(Key(i), value); // ascending keys: every flushed table is its own key range
        }

        db.Flush();
        db.WaitForCompactions();
        output.WriteLine(db.GetProperty(LsmDatabase.Properties.Stats));
        Assert.True(Property(db, LsmDatabase.Properties.CompactionCount) > 0, "L0 should have been compacted");
        Assert.Equal(0, Property(db, LsmDatabase.Properties.CompactionBytesWritten));
        Assert.True(Property(db, LsmDatabase.Properties.NumFilesAtLevelPrefix + "1") > 1);
        for (var i = 0; i < 20_000; i += 101)
        {
            Assert.Equal(value, db.Get(Key(i)));
        }
    }
}
