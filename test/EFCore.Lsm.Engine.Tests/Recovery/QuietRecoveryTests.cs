using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Recovery;

/// <summary>
/// Opening replays a small WAL into the memtable and keeps it (RocksDB's avoid_flush_during_recovery) instead of
/// writing a tiny L0 table and a new manifest every time: a program that opens the database per unit of work must not
/// leave a table per open behind. What is kept stays durable and ordered: a synced write after a reopen never survives a
/// power loss that takes an earlier write (no hole), and a flush later retires the kept WALs.
/// </summary>
public class QuietRecoveryTests
{
    private const string DbPath = "/quiet";
    private static readonly WriteOptions Synced = new() { Sync = true };

    // Inline background work: a flush has also deleted the files it made obsolete when Flush returns.
    private static LsmOptions Options(MemoryFileSystem fs) => new() { FileSystem = fs, DisableAutoCompactions = true, InlineBackgroundWork = true };

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D4}");

    private static int Count(MemoryFileSystem fs, string suffix) => fs.ListFiles(DbPath).Count(n => n.EndsWith(suffix, StringComparison.Ordinal));

    private static string Current(MemoryFileSystem fs) => Encoding.ASCII.GetString(fs.ReadAllBytes(Path.Combine(DbPath, "CURRENT")));

    [Fact]
    public void Reopening_with_a_small_wal_writes_no_table_and_no_manifest()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            db.Put(Key(0), "v0"u8, Synced);
        }

        var current = Current(fs);
        for (var i = 1; i < 6; i++)
        {
            using var db = LsmDatabase.Open(DbPath, Options(fs));
            for (var k = 0; k < i; k++)
            {
                Assert.Equal(Encoding.ASCII.GetBytes($"v{k}"), db.Get(Key(k)));
            }

            db.Put(Key(i), Encoding.ASCII.GetBytes($"v{i}"), Synced);
        }

        Assert.Equal(0, Count(fs, ".sst"));
        Assert.Equal(current, Current(fs));
        Assert.Single(fs.ListFiles(DbPath), n => n.StartsWith("MANIFEST-", StringComparison.Ordinal));
    }

    [Fact]
    public void Opens_without_writes_reuse_the_empty_wal_and_add_no_file()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        LsmDatabase.Open(DbPath, Options(fs)).Dispose();
        var files = fs.ListFiles(DbPath);
        for (var i = 0; i < 20; i++)
        {
            LsmDatabase.Open(DbPath, Options(fs)).Dispose();
        }

        Assert.Equal(files, fs.ListFiles(DbPath));
    }

    [Fact]
    public void Kept_wals_are_bounded_then_flushed_into_a_table()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        var maxLogs = 0;
        for (var i = 0; i < 40; i++)
        {
            using var db = LsmDatabase.Open(DbPath, Options(fs));
            db.Put(Key(i), "v"u8, Synced);
            maxLogs = Math.Max(maxLogs, Count(fs, ".log"));
        }

        Assert.InRange(maxLogs, 2, 9);
        Assert.InRange(Count(fs, ".sst"), 1, 40 / 7);
        using var reopened = LsmDatabase.Open(DbPath, Options(fs));
        for (var i = 0; i < 40; i++)
        {
            Assert.NotNull(reopened.Get(Key(i)));
        }
    }

    [Fact]
    public void An_unsynced_write_before_a_reopen_survives_a_power_loss_that_a_later_synced_write_survives()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            db.Put(Key(1), "unsynced"u8);
        }

        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            db.Put(Key(2), "synced"u8, Synced);
        }

        fs.SimulateCrash();
        using var after = LsmDatabase.Open(DbPath, Options(fs));
        Assert.Equal("synced"u8.ToArray(), after.Get(Key(2)));
        Assert.Equal("unsynced"u8.ToArray(), after.Get(Key(1)));
    }

    [Fact]
    public void A_flush_after_a_quiet_open_retires_the_kept_wals_and_keeps_every_write()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        for (var i = 0; i < 3; i++)
        {
            using var db = LsmDatabase.Open(DbPath, Options(fs));
            db.Put(Key(i), "v"u8, Synced);
        }

        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            Assert.True(Count(fs, ".log") >= 3);
            db.Put(Key(3), "v"u8, Synced);
            db.Flush();
            Assert.Equal(1, Count(fs, ".log"));
        }

        fs.SimulateCrash();
        using var after = LsmDatabase.Open(DbPath, Options(fs));
        for (var i = 0; i < 4; i++)
        {
            Assert.NotNull(after.Get(Key(i)));
        }
    }
}
