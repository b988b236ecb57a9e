using System.Text;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Recovery;

/// <summary>
/// Open refuses what it cannot prove is a whole database of ours, and then changes nothing: a folder whose CURRENT,
/// tables or WALs are missing, a manifest that lost its last edits, a folder of someone else's files. Each case here
/// once opened "successfully" with data silently gone, or deleted files that were not the engine's.
/// </summary>
public class WholeDatabaseTests
{
    private static readonly WriteOptions Synced = new() { Sync = true };

    [Fact]
    public void A_missing_CURRENT_is_refused_and_nothing_is_deleted()
    {
        using var dir = new TempDirectory("no-current");
        var path = dir.Sub("db");
        using (var db = LsmDatabase.Open(path, new LsmOptions { WriteBufferSize = 64 * 1024 }))
        {
            for (var i = 0; i < 2000; i++)
            {
                db.Put(Encoding.ASCII.GetBytes($"k{i:D6}"), new byte[200], Synced);
            }

            db.Flush();
            db.Put("tail"u8, "in-wal"u8, Synced);
        }

        File.Delete(Path.Combine(path, "CURRENT"));
        var before = FolderSnapshot.Of(path);
        Assert.Contains(before.Files.Keys, n => n.EndsWith(".sst", StringComparison.Ordinal));

        var error = Assert.Throws<LsmMissingFileException>(() => LsmDatabase.Open(path));
        Assert.Equal("CURRENT", error.FileName);
        Assert.Contains("CURRENT", error.Message, StringComparison.Ordinal);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Fact]
    public void A_folder_of_files_named_like_ours_is_not_a_database_and_keeps_every_file()
    {
        using var dir = new TempDirectory("foreign");
        var path = dir.Sub("mine");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "000042.log"), "my notes, named like a log");
        File.WriteAllText(Path.Combine(path, "000123.sst"), "a file of mine");
        File.WriteAllText(Path.Combine(path, "notes.txt"), "more notes");
        var before = FolderSnapshot.Of(path);

        var error = Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
        Assert.IsNotType<LsmCorruptionException>(error);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Fact]
    public void An_unparsable_log_alone_is_refused_without_leaving_files_behind()
    {
        using var dir = new TempDirectory("foreign-log");
        var path = dir.Sub("mine");
        Directory.CreateDirectory(path);
        File.WriteAllBytes(Path.Combine(path, "000005.log"), Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray());
        var before = FolderSnapshot.Of(path);

        Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Theory]
    [InlineData("leveldb")]
    [InlineData("rocksdb")]
    public void A_LevelDB_or_RocksDB_folder_is_not_an_EFCore_Lsm_database(string engine)
    {
        using var dir = new TempDirectory(engine);
        var path = dir.Sub("db");
        if (engine == "leveldb")
        {
            ForeignDatabases.WriteLevelDb(path);
        }
        else
        {
            ForeignDatabases.WriteRocksDb(path);
        }

        var before = FolderSnapshot.Of(path);
        var error = Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
        Assert.IsType<LsmNotADatabaseException>(error);
        Assert.Contains("not an EFCore.Lsm database", error.Message, StringComparison.Ordinal);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Fact]
    public void A_manifest_one_byte_short_is_refused_instead_of_opening_with_a_hole()
    {
        using var dir = new TempDirectory("short-manifest");
        var path = dir.Sub("db");
        using (var db = LsmDatabase.Open(path))
        {
            db.Put("a"u8, "1"u8, Synced);
            db.Flush();
            db.Put("b"u8, "2"u8, Synced);
        }

        var manifest = Directory.GetFiles(path, "MANIFEST-*").Single();
        using (var fs = new FileStream(manifest, FileMode.Open))
        {
            fs.SetLength(fs.Length - 1);
        }

        var before = FolderSnapshot.Of(path);
        var error = Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
        Assert.IsAssignableFrom<LsmCorruptionException>(error);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Fact]
    public void A_missing_table_is_an_open_error_naming_it()
    {
        using var dir = new TempDirectory("missing-table");
        var path = dir.Sub("db");
        using (var db = LsmDatabase.Open(path))
        {
            db.Put("a"u8, "1"u8, Synced);
            db.Flush();
        }

        var table = Directory.GetFiles(path, "*.sst").Single();
        File.Delete(table);
        var before = FolderSnapshot.Of(path);
        var error = Assert.Throws<LsmMissingFileException>(() => LsmDatabase.Open(path));
        Assert.Equal(Path.GetFileName(table), error.FileName);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }

    [Fact]
    public void A_missing_wal_named_by_the_manifest_is_an_open_error_naming_it()
    {
        using var dir = new TempDirectory("missing-wal");
        var path = dir.Sub("db");
        using (var db = LsmDatabase.Open(path))
        {
            db.Put("a"u8, "1"u8, Synced);
            db.Flush();
            db.Put("b"u8, "2"u8, Synced);
        }

        var wal = Directory.GetFiles(path, "*.log").Single();
        File.Delete(wal);
        var before = FolderSnapshot.Of(path);
        var error = Assert.Throws<LsmMissingFileException>(() => LsmDatabase.Open(path));
        Assert.Equal(Path.GetFileName(wal), error.FileName);
        FolderSnapshot.AssertUnchanged(before, path, "after the refused open");
    }
}
