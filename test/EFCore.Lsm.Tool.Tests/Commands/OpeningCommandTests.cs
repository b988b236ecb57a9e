using EFCore.Lsm.Engine;
using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>
/// The commands that go through <see cref="LsmDatabase.Open"/>: get, scan and stats read-only (no lock, so beside another
/// opener too), compact for writing (the lock), and their failures.
/// </summary>
public sealed class OpeningCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> OpeningCommands => ["get", "scan", "stats", "compact"];

    public static TheoryData<string> ReadingCommands => ["get", "scan", "stats"];

    [Fact]
    public void Compacting_a_database_in_use_is_one_clear_line_and_exit_code_3()
    {
        using var db = _folder.OpenDatabase();
        db.Put("k"u8, "v"u8);
        var run = new ToolRun();
        var exit = RunCommand("compact", run);
        run.AssertOneErrorLine(exit, ExitCodes.DatabaseInUse, "in use", _folder.DbPath);

        // The holder is unaffected.
        Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
    }

    [Theory]
    [MemberData(nameof(ReadingCommands))]
    public void Reading_commands_work_while_another_opener_holds_the_database(string command)
    {
        using var db = _folder.OpenDatabase();
        db.Put("k"u8, "v"u8);
        var before = Directory.GetFiles(_folder.DbPath).Order(StringComparer.Ordinal).ToArray();
        var run = new ToolRun();
        Assert.True(RunCommand(command, run) == ExitCodes.Success, run.Error);
        Assert.Empty(run.Error);
        if (command == "get")
        {
            Assert.Equal("v\n", run.Out);
        }

        Assert.Equal(before, Directory.GetFiles(_folder.DbPath).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("v"u8.ToArray(), db.Get("k"u8));
    }

    [Theory]
    [MemberData(nameof(OpeningCommands))]
    public void A_folder_that_is_not_a_database_is_refused_and_left_alone(string command)
    {
        Directory.CreateDirectory(_folder.DbPath);
        var run = new ToolRun();
        run.AssertOneErrorLine(RunCommand(command, run), ExitCodes.BadInput, "not an lsm database");
        Assert.Empty(Directory.GetFileSystemEntries(_folder.DbPath));

        run = new ToolRun();
        var missing = Path.Combine(_folder.Path, "missing");
        run.AssertOneErrorLine(RunCommand(command, run, missing), ExitCodes.BadInput, "does not exist");
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void A_damaged_wal_met_while_opening_is_reported_as_corruption_naming_the_file()
    {
        SampleDatabase.Create(_folder);
        var log = _folder.Files(".log")[^1];
        Bytes.Flip(log, 20);
        var run = new ToolRun();
        var exit = new GetCommand(run.Output).Run(_folder.DbPath, "wal/batch-1", hex: false);
        run.AssertOneErrorLine(exit, ExitCodes.Corruption, $"corruption in {Path.GetFileName(log)} at offset 0");
    }

    [Fact]
    public void Stats_prints_the_engine_statistics()
    {
        SampleDatabase.Create(_folder);
        var run = new ToolRun();
        Assert.Equal(0, new StatsCommand(run.Output).Run(_folder.DbPath));
        Assert.StartsWith("Level  Files  Size(MiB)", run.Out, StringComparison.Ordinal);
        Assert.Contains("  L0  ", run.Out, StringComparison.Ordinal);
        Assert.Contains("last sequence 2006", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Compact_moves_everything_out_of_level_0_and_keeps_the_data()
    {
        using (var db = _folder.OpenDatabase())
        {
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 200; i++)
                {
                    db.Put(Bytes.Utf8(SampleDatabase.Key(i)), Bytes.Utf8("r" + round));
                }

                db.Delete(Bytes.Utf8(SampleDatabase.Key(round)));
                db.Flush();
            }
        }

        var run = new ToolRun();
        Assert.Equal(0, new CompactCommand(run.Output).Run(_folder.DbPath, from: null, to: null, hex: false));
        var text = run.Out;
        var before = text[..text.IndexOf("After:", StringComparison.Ordinal)];
        var after = text[text.IndexOf("After:", StringComparison.Ordinal)..];
        Assert.Contains("  L0      3", before, StringComparison.Ordinal);
        Assert.Contains("  L0      0", after, StringComparison.Ordinal);
        Assert.Contains("  L1      1", after, StringComparison.Ordinal);
        Assert.Contains("Compacted [start .. end] in ", text, StringComparison.Ordinal);

        var info = new ToolRun();
        Assert.Equal(0, new InfoCommand(info.Output).Run(_folder.DbPath, hex: false));
        Assert.Contains("L0 0  L1 1", info.Out, StringComparison.Ordinal);

        // Keys 0..1 were deleted in rounds 0..1 and rewritten later; key 2 was deleted last.
        var scan = new ToolRun();
        Assert.Equal(0, new ScanCommand(scan.Output).Run(_folder.DbPath, new ScanSettings { Count = true }));
        Assert.Equal("199\n", scan.Out);
        var verify = new ToolRun();
        Assert.Equal(0, new VerifyCommand(verify.Output).Run(_folder.DbPath));
    }

    [Fact]
    public void Compact_of_a_range_parses_bounds_and_rejects_bad_hex()
    {
        SampleDatabase.Create(_folder);
        var run = new ToolRun();
        Assert.Equal(0, new CompactCommand(run.Output).Run(_folder.DbPath, "user/00010", "0x757365722F3030303230", hex: false));
        Assert.Contains("Compacted [user/00010 .. user/00020]", run.Out, StringComparison.Ordinal);

        run = new ToolRun();
        run.AssertOneErrorLine(new CompactCommand(run.Output).Run(_folder.DbPath, "0xq", null, hex: false), ExitCodes.BadInput, "--from");
    }

    private int RunCommand(string command, ToolRun run, string? path = null)
    {
        path ??= _folder.DbPath;
        return command switch
        {
            "get" => new GetCommand(run.Output).Run(path, "k", hex: false),
            "scan" => new ScanCommand(run.Output).Run(path, new ScanSettings()),
            "stats" => new StatsCommand(run.Output).Run(path),
            "compact" => new CompactCommand(run.Output).Run(path, null, null, hex: false),
            _ => throw new ArgumentOutOfRangeException(nameof(command)),
        };
    }
}
