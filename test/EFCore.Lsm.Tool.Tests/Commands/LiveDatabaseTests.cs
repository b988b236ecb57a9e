using System.Globalization;
using EFCore.Lsm.TestUtilities;
using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>
/// The lock-free commands give a true answer while another process writes, flushes and compacts the database: they
/// once reported "000205.sst is missing" for a healthy database because a compaction retired a table between their
/// reading the manifest and the table.
/// </summary>
public sealed class LiveDatabaseTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(5);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Verify_info_get_and_scan_beside_a_busy_writer_report_no_damage()
    {
        // The engine's crash worker writes a random workload with tiny memtables and files: flushes, compactions and file
        // deletions all the time.
        using var writer = new CrashWorkerProcess("random", _folder.DbPath, "4711", "0");
        for (var round = 1; round <= 6; round++)
        {
            Assert.True(writer.WaitForLines(150 * round, Guard), $"the writer did not get going: {writer.Errors}");
            var verify = new ToolRun();
            Assert.True(new VerifyCommand(verify.Output).Run(_folder.DbPath) == ExitCodes.Success, $"verify, round {round}: {verify.Error}");
            var info = new ToolRun();
            Assert.True(new InfoCommand(info.Output).Run(_folder.DbPath, hex: false) == ExitCodes.Success, $"info, round {round}: {info.Error}");
            var scan = new ToolRun();
            Assert.True(new ScanCommand(scan.Output).Run(_folder.DbPath, new ScanSettings { Count = true }) == ExitCodes.Success, scan.Error);
            Assert.True(long.Parse(scan.Out, CultureInfo.InvariantCulture) > 0);
        }

        writer.Kill();
        Assert.True(writer.Errors.Length == 0, writer.Errors);
    }
}
