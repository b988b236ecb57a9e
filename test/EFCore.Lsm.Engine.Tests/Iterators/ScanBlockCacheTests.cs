using System.Buffers;
using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Iterators;

/// <summary>Iterators fill the block cache at low priority: a scan larger than the cache keeps what point reads use.</summary>
public class ScanBlockCacheTests
{
    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D8}");

    private static long Property(LsmDatabase db, string name) => long.Parse(db.GetProperty(name)!);

    [Fact]
    public void A_scan_larger_than_the_cache_does_not_evict_the_blocks_point_reads_use()
    {
        // About 1.2 MiB of incompressible values in ~300 data blocks against a 64 KiB cache (one shard, ~15 blocks).
        var options = new LsmOptions { FileSystem = new MemoryFileSystem(), BlockCacheSize = 64 << 10 };
        using var db = LsmDatabase.Open("/scan-cache", options);
        var random = new Random(11);
        var batch = new WriteBatch();
        const int count = 6000;
        for (var i = 0; i < count; i++)
        {
            var value = new byte[200];
            random.NextBytes(value);
            batch.Put(Key(i), value);
            if (batch.Count == 500)
            {
                db.Write(batch);
                batch.Clear();
            }
        }

        db.Write(batch);
        db.CompactRange(null, null);
        db.WaitForCompactions();

        // Eight keys far apart (eight blocks, half the cache) are read twice: the second pass hits.
        int[] hot = [10, 800, 1600, 2400, 3200, 4000, 4800, 5600];
        var buffer = new ArrayBufferWriter<byte>();
        void ReadHot()
        {
            foreach (var i in hot)
            {
                buffer.ResetWrittenCount();
                Assert.True(db.TryGet(Key(i), buffer));
            }
        }

        ReadHot();
        var missesBefore = Property(db, LsmDatabase.Properties.BlockCacheMisses);
        ReadHot();
        Assert.Equal(missesBefore, Property(db, LsmDatabase.Properties.BlockCacheMisses));

        // A full scan filling the cache (the default) reads every block, twenty times the cache.
        var scanned = 0;
        using (var it = db.NewIterator(new ReadOptions()))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                Assert.Equal(Key(scanned), it.Key.ToArray());
                scanned++;
            }
        }

        Assert.Equal(count, scanned);
        Assert.True(Property(db, LsmDatabase.Properties.BlockCacheUsage) <= 64 << 10);

        // The point reads' blocks are all still cached.
        var missesAfterScan = Property(db, LsmDatabase.Properties.BlockCacheMisses);
        ReadHot();
        Assert.Equal(missesAfterScan, Property(db, LsmDatabase.Properties.BlockCacheMisses));
    }
}
