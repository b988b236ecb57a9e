using EFCore.Lsm.Engine.Tests.TestUtilities;
using EFCore.Lsm.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Recovery;

/// <summary>
/// One writer per database, whatever an operator does to the folder: a second process is refused while the first holds
/// the database, also after LOCK was deleted (two writers reuse file numbers and delete each other's files).
/// </summary>
public class DatabaseLockTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    [Fact]
    public void A_second_process_is_refused_while_the_first_holds_the_database()
    {
        using var dir = new TempDirectory("lock");
        var path = dir.Sub("db");
        using var holder = StartHolder(path);
        var error = Assert.Throws<LsmException>(() => LsmDatabase.Open(path));
        Assert.True(error.IsDatabaseInUse, error.Message);
        Assert.Contains("open elsewhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_LOCK_does_not_let_a_second_process_open_the_database()
    {
        using var dir = new TempDirectory("lock-deleted");
        var path = dir.Sub("db");
        using var holder = StartHolder(path);
        File.Delete(Path.Combine(path, "LOCK"));
        var before = FolderSnapshot.Of(path);

        var error = Assert.Throws<LsmException>(() => LsmDatabase.Open(path));
        Assert.True(error.IsDatabaseInUse, error.Message);
        var after = FolderSnapshot.Of(path);
        Assert.True(before.Files.Keys.All(after.Files.ContainsKey), $"files went missing: before {before}, after {after}");
    }

    [RootFact]
    public void A_lock_file_that_cannot_be_opened_is_an_LsmException_naming_it()
    {
        using var dir = new TempDirectory("lock-denied");
        var path = dir.Sub("db");
        LsmDatabase.Open(path).Dispose();
        var lockFile = Path.Combine(path, "LOCK");
        PrivilegedFileSystemTools.Run("chattr", "+i", lockFile);
        try
        {
            var error = Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
            Assert.False(error.IsDatabaseInUse, error.Message);
            Assert.Contains(lockFile, error.Message, StringComparison.Ordinal);
            Assert.Contains("denied", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            PrivilegedFileSystemTools.Run("chattr", "-i", lockFile);
        }
    }

    [RootFact]
    public void A_read_only_file_system_is_reported_as_such_not_as_another_process()
    {
        using var mount = new PrivilegedFileSystemTools.TmpfsMount();
        var path = Path.Combine(mount.Path, "db");
        using (var db = LsmDatabase.Open(path))
        {
            db.Put("a"u8, "1"u8, new WriteOptions { Sync = true });
        }

        mount.MakeReadOnly();
        var error = Assert.ThrowsAny<LsmException>(() => LsmDatabase.Open(path));
        Assert.False(error.IsDatabaseInUse, error.Message);
        Assert.Contains("read-only file system", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("another process", error.Message, StringComparison.Ordinal);
    }

    private static CrashWorkerProcess StartHolder(string path)
    {
        var holder = new CrashWorkerProcess("hold", path);
        Assert.True(holder.WaitReady(Guard), $"the holder did not open the database: {holder.Errors}");
        return holder;
    }
}
