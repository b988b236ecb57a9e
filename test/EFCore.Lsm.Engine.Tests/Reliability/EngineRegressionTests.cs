using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>Engine bugs the reliability harnesses found, each pinned by the smallest case that showed it.</summary>
public class EngineRegressionTests
{
    [Theory]
    [InlineData(0)] // creating the new WAL
    [InlineData(1)] // syncing the new manifest
    [InlineData(2)] // renaming CURRENT's temp file
    public void An_io_error_while_opening_surfaces_as_LsmException(int call)
    {
        var fs = FaultRun.NewFileSystem();
        switch (call)
        {
            case 0:
                fs.FailAt(FaultOp.Create, DbFileKind.Log, 1, FaultMode.IOError);
                break;
            case 1:
                fs.FailAt(FaultOp.Sync, DbFileKind.Manifest, 1, FaultMode.DiskFull);
                break;
            default:
                fs.FailAt(FaultOp.Rename, DbFileKind.Current, 1, FaultMode.IOError);
                break;
        }

        var ex = Assert.Throws<LsmException>(() => LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(fs)));
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
        Assert.Contains(FaultRun.DbPath, ex.Message, StringComparison.Ordinal);

        // The failed open released the lock and left a database that opens once the disk is healthy.
        fs.Heal();
        using var db = LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(fs));
        db.Put("k"u8, "v"u8);
        Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
    }

    [Theory]
    [InlineData(0)] // writing an output table
    [InlineData(1)] // syncing the manifest edit that installs the result
    public void A_failed_manual_compaction_raises_LsmException_and_makes_the_database_read_only(int call)
    {
        var fs = FaultRun.NewFileSystem();
        var workload = new RandomWorkload(7);
        var state = new ExpectedState(workload);
        var options = FaultRun.Options(fs);
        options.DisableAutoCompactions = true;
        long last = -1;
        using (var db = LsmDatabase.Open(FaultRun.DbPath, options))
        {
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 50; i++)
                {
                    RandomWorkload.Apply(db, workload.Op(++last));
                }

                db.Flush();
            }

            if (call == 0)
            {
                fs.FailAt(FaultOp.Create, DbFileKind.Table, 1, FaultMode.IOError);
            }
            else
            {
                fs.FailAt(FaultOp.Sync, DbFileKind.Manifest, 1, FaultMode.DiskFull);
            }

            var ex = Assert.Throws<LsmException>(() => db.CompactRange(null, null));
            Assert.IsAssignableFrom<IOException>(ex.InnerException);
            Assert.Equal(1, fs.FaultsInjected);

            // The manifest may end in a torn or unsynced edit now: nothing may be written on top of it.
            Assert.Throws<LsmException>(() => RandomWorkload.Apply(db, workload.Op(last + 1)));
            Assert.Throws<LsmException>(() => db.Flush());
            state.Verify(db, last, last, "live after the failed compaction");
        }

        fs.Heal();
        using (var db = LsmDatabase.Open(FaultRun.DbPath, options))
        {
            state.Verify(db, last, last, "after reopen");
            RandomWorkload.Apply(db, workload.Op(++last));
            db.CompactRange(null, null);
            state.Verify(db, last, last, "after compacting on the healed disk");
        }
    }

    [Fact]
    public void A_failed_directory_sync_after_switching_CURRENT_keeps_the_manifest_it_names()
    {
        var fs = FaultRun.NewFileSystem();
        using (var db = LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(fs)))
        {
            db.Put("k"u8, "v"u8, new WriteOptions { Sync = true });

            // The first flush after an open switches to a new manifest: it syncs the folder after the new WAL (1) and the
            // table (2), then writes the manifest and switches CURRENT to it: temp file, rename, folder sync (3).
            var renames = fs.Count(FaultOp.Rename, DbFileKind.Current);
            fs.FailAt(FaultOp.SyncDirectory, null, 3, FaultMode.IOError);
            Assert.Throws<LsmException>(() => db.Flush());
            Assert.Equal(1, fs.FaultsInjected);
            Assert.Equal(renames + 1, fs.Count(FaultOp.Rename, DbFileKind.Current));
        }

        fs.Heal();
        using (var db = LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(fs)))
        {
            Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
            db.Put("k2"u8, "v2"u8, new WriteOptions { Sync = true });
            db.Flush();
        }

        using (var db = LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(fs)))
        {
            Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
            Assert.Equal("v2"u8.ToArray(), db.Get("k2"u8));
        }
    }

    [Fact]
    public void Scanning_backward_past_a_key_that_gets_newer_versions_meanwhile_is_not_corruption()
    {
        // Found by the concurrency stress test: a reverse scan over a hot key reported "input is not in internal-key
        // order", because positioning before the key (seek, then step back) landed on a newer version a writer had just
        // inserted, and the scan met the key again. Here 20 versions of "c" are visible at sequence 20, and every seek
        // to "c" is followed by 20 newer, invisible versions of it, as a busy writer would add.
        var entries = new List<(byte[], byte[])> { (InternalKey.Create("a"u8, 1, ValueKind.Put), "a1"u8.ToArray()) };
        for (ulong s = 2; s <= 20; s++)
        {
            entries.Add((InternalKey.Create("c"u8, s, ValueKind.Put), System.Text.Encoding.ASCII.GetBytes("c" + s)));
        }

        var input = new ConcurrentInsertIterator(entries);
        ulong next = 100;
        input.AfterSeek = (it, target) =>
        {
            if (InternalKey.UserKey(target).SequenceEqual("c"u8))
            {
                for (var i = 0; i < 20; i++, next++)
                {
                    it.Insert(InternalKey.Create("c"u8, next, ValueKind.Put), "invisible"u8.ToArray());
                }
            }
        };

        using var iterator = new LsmIterator(input, sequence: 20, lowerBound: null, upperBound: null, resources: null);
        iterator.SeekToLast();
        Assert.True(iterator.Valid);
        Assert.Equal("c"u8.ToArray(), iterator.Key.ToArray());
        Assert.Equal("c20"u8.ToArray(), iterator.Value.ToArray());
        iterator.Prev();
        Assert.True(iterator.Valid);
        Assert.Equal("a"u8.ToArray(), iterator.Key.ToArray());
        iterator.Prev();
        Assert.False(iterator.Valid);
    }

    [Fact]
    public void Merging_iterator_turning_backward_steps_over_entries_inserted_after_its_seek()
    {
        // Found by the long concurrency stress run: "child iterators are not consistently ordered". Turning backward,
        // the merging iterator seeks every other child to the current key and steps back once; a memtable written
        // meanwhile can gain an entry between the seek target and where the seek landed, and stepping back then stops
        // on it, after the current key.
        var tables = new ConcurrentInsertIterator([(Key("b"), "b"u8.ToArray()), (Key("d"), "d"u8.ToArray())]);
        var memtable = new ConcurrentInsertIterator([(Key("a"), "a"u8.ToArray()), (Key("e"), "e"u8.ToArray())]);
        var inserted = false;
        memtable.AfterSeek = (it, target) =>
        {
            if (!inserted && InternalKey.UserKey(target).SequenceEqual("b"u8))
            {
                inserted = true;
                it.Insert(InternalKey.Create("c"u8, 100, ValueKind.Put), "newer"u8.ToArray());
            }
        };

        using var merging = new MergingIterator([tables, memtable]);
        merging.SeekToFirst();
        merging.Next();
        Assert.Equal(Key("b"), merging.Key.ToArray());
        merging.Prev();
        Assert.True(inserted);
        Assert.True(merging.Valid);
        Assert.Equal(Key("a"), merging.Key.ToArray());
        merging.Prev();
        Assert.False(merging.Valid);

        static byte[] Key(string user) => InternalKey.Create(System.Text.Encoding.ASCII.GetBytes(user), 1, ValueKind.Put);
    }
}
