using EFCore.Lsm.Engine.CrashWorker;
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

        var ex = Assert.Throws<LsmException>(() => LsmDatabase.Open(FaultRun.DbPath, RandomWorkload.SmallOptions(fs)));
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
        Assert.Contains(FaultRun.DbPath, ex.Message, StringComparison.Ordinal);

        // The failed open released the lock and left a database that opens once the disk is healthy.
        fs.Heal();
        using var db = LsmDatabase.Open(FaultRun.DbPath, RandomWorkload.SmallOptions(fs));
        db.Put("k"u8, "v"u8);
        Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
    }
}
