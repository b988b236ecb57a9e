using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

public sealed class InfoCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Info_describes_manifest_tables_and_wals()
    {
        SampleDatabase.Create(_folder);
        var run = new ToolRun();
        Assert.Equal(0, new InfoCommand(run.Output).Run(_folder.DbPath, hex: false));
        Assert.Empty(run.Error);

        var text = run.Out;
        var table = Path.GetFileName(Assert.Single(_folder.Files(".sst")));
        var log = Path.GetFileName(_folder.Files(".log")[^1]);
        Assert.Contains("CURRENT        MANIFEST-", text, StringComparison.Ordinal);
        Assert.Contains("Tables per level  L0 1  L1 0", text, StringComparison.Ordinal);
        var size = new FileInfo(Path.Combine(_folder.DbPath, table)).Length;
        Assert.Contains($"{table}  {size} bytes  keys user/00000 .. user/01999", text, StringComparison.Ordinal);
        Assert.Contains($"{SampleDatabase.TableKeys + 1} entries (1 deletions)", text, StringComparison.Ordinal);
        Assert.Contains($"  {log}  ", text, StringComparison.Ordinal);
        Assert.Contains("3 records, 5 entries", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_changes_no_file()
    {
        SampleDatabase.Create(_folder);
        var before = _folder.Snapshot();
        var run = new ToolRun();
        Assert.Equal(0, new InfoCommand(run.Output).Run(_folder.DbPath, hex: true));
        var after = _folder.Snapshot();
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (name, bytes) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        }
    }

    [Fact]
    public void Info_works_while_the_database_is_open_because_it_takes_no_lock()
    {
        using var db = _folder.OpenDatabase();
        db.Put("k"u8, "v"u8);
        var run = new ToolRun();
        Assert.Equal(0, new InfoCommand(run.Output).Run(_folder.DbPath, hex: false));
        Assert.Contains("1 record, 1 entries", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_refuses_a_missing_folder_a_file_and_a_folder_that_is_not_a_database()
    {
        var run = new ToolRun();
        var missing = Path.Combine(_folder.Path, "nope");
        run.AssertOneErrorLine(new InfoCommand(run.Output).Run(missing, hex: false), ExitCodes.BadInput, "does not exist", missing);
        Assert.False(Directory.Exists(missing));

        var plain = Path.Combine(_folder.Path, "plain");
        Directory.CreateDirectory(plain);
        File.WriteAllText(Path.Combine(plain, "notes.txt"), "hello");
        run = new ToolRun();
        run.AssertOneErrorLine(new InfoCommand(run.Output).Run(plain, hex: false), ExitCodes.BadInput, "not an lsm database");
        Assert.Equal(["notes.txt"], Directory.GetFiles(plain).Select(Path.GetFileName));

        run = new ToolRun();
        run.AssertOneErrorLine(
            new InfoCommand(run.Output).Run(Path.Combine(plain, "notes.txt"), hex: false), ExitCodes.BadInput, "is a file");
    }

    [Fact]
    public void Info_on_a_damaged_current_reports_corruption_in_one_line()
    {
        SampleDatabase.Create(_folder);
        File.WriteAllText(Path.Combine(_folder.DbPath, "CURRENT"), "MANIFEST-999999\n");
        var run = new ToolRun();
        var exit = new InfoCommand(run.Output).Run(_folder.DbPath, hex: false);
        run.AssertOneErrorLine(exit, ExitCodes.Corruption, "CURRENT", "MANIFEST-999999");
    }

    [Fact]
    public void Info_names_an_unreadable_table_and_exits_with_corruption()
    {
        SampleDatabase.Create(_folder);
        var table = Assert.Single(_folder.Files(".sst"));
        Bytes.Flip(table, new FileInfo(table).Length - 1);   // the footer's magic number
        var run = new ToolRun();
        var exit = new InfoCommand(run.Output).Run(_folder.DbPath, hex: false);
        run.AssertOneErrorLine(exit, ExitCodes.Corruption, Path.GetFileName(table), "magic");
        Assert.Contains("UNREADABLE", run.Out, StringComparison.Ordinal);
    }
}
