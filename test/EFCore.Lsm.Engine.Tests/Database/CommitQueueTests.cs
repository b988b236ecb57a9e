using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Database;

/// <summary>
/// The commit queue: concurrent writers grouped by a leader, and every write applied as if the writers'
/// batches had run one after another in some order that keeps each writer's own order.
/// </summary>
public class CommitQueueTests
{
    [Fact]
    public void Concurrent_writers_each_land_in_order_in_groups_or_alone()
    {
        const int writers = 8;
        const int writesPerWriter = 400;
        using var db = LsmDatabase.Open("/commit-queue", new LsmOptions { FileSystem = new MemoryFileSystem() });
        var synced = new WriteOptions { Sync = true };
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            var batch = new WriteBatch();
            start.SignalAndWait();
            for (var i = 0; i < writesPerWriter; i++)
            {
                batch.Clear();
                batch.Put(Encoding.ASCII.GetBytes($"w{w}-{i:D4}"), BitConverter.GetBytes(i));
                batch.Put(Encoding.ASCII.GetBytes($"last-{w}"), BitConverter.GetBytes(i));
                db.Write(batch, i % 4 == 0 ? synced : null);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Reference model: every write of every writer, and each writer's last write last.
        for (var w = 0; w < writers; w++)
        {
            for (var i = 0; i < writesPerWriter; i++)
            {
                Assert.Equal(i, BitConverter.ToInt32(db.Get(Encoding.ASCII.GetBytes($"w{w}-{i:D4}"))));
            }

            Assert.Equal(writesPerWriter - 1, BitConverter.ToInt32(db.Get(Encoding.ASCII.GetBytes($"last-{w}"))));
        }

        var s = db.Statistics;
        Assert.Equal(writers * writesPerWriter, Interlocked.Read(ref s.Writes));
        Assert.Equal((ulong)(2 * writers * writesPerWriter), db.LastSequence);
    }

    [Fact]
    public void A_lone_writer_never_waits_in_the_queue()
    {
        using var db = LsmDatabase.Open("/commit-queue-lone", new LsmOptions { FileSystem = new MemoryFileSystem() });
        for (var i = 0; i < 1000; i++)
        {
            db.Put(BitConverter.GetBytes(i), "v"u8, i % 10 == 0 ? new WriteOptions { Sync = true } : null);
        }

        Assert.Equal(0, Interlocked.Read(ref db.Statistics.CommitQueueWaits));
        Assert.Equal(0, Interlocked.Read(ref db.Statistics.GroupedCommits));
        Assert.Equal(100, Interlocked.Read(ref db.Statistics.WalSyncs));
        Assert.Equal(1000, Interlocked.Read(ref db.Statistics.Writes));
    }
}
