using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

public sealed class DumpCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public DumpCommandTests() => SampleDatabase.Create(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Dump_wal_prints_each_record_and_entry()
    {
        var log = _folder.Files(".log")[^1];
        var run = new ToolRun();
        Assert.Equal(0, new DumpWalCommand(run.Output).Run(_folder.DbPath, Path.GetFileName(log), hex: false));
        Assert.Empty(run.Error);
        var lines = run.OutLines;

        // Sequences continue after the table's 2001 entries.
        Assert.Equal($"{Path.GetFileName(log)} ({new FileInfo(log).Length} bytes)", lines[0]);
        Assert.Equal("  @0  seq 2002  count 1  (33 bytes)", lines[1]);
        Assert.Equal("    2002 Put wal/only => in the log (10 bytes)", lines[2]);
        Assert.StartsWith("  @40  seq 2003  count 1", lines[3], StringComparison.Ordinal);
        Assert.Equal("    2003 Delete user/00001", lines[4]);
        Assert.Contains("  seq 2004  count 3", lines[5], StringComparison.Ordinal);
        Assert.Equal("    2004 Put wal/batch-1 => b1 (2 bytes)", lines[6]);
        Assert.Equal($"    2005 Put wal/batch-2 => 0x{new string('0', 128)}... (300 bytes)", lines[7]);
        Assert.Equal("    2006 Delete wal/only", lines[8]);
        Assert.Equal("  3 records, 5 entries, seq 2002..2006", lines[9]);
        Assert.Equal(10, lines.Length);
    }

    [Fact]
    public void Dump_wal_accepts_a_log_path_a_file_number_or_the_whole_folder()
    {
        var log = _folder.Files(".log")[^1];
        var number = ulong.Parse(Path.GetFileNameWithoutExtension(log), System.Globalization.CultureInfo.InvariantCulture);

        var byPath = new ToolRun();
        Assert.Equal(0, new DumpWalCommand(byPath.Output).Run(log, file: null, hex: false));
        var byNumber = new ToolRun();
        var numberText = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, new DumpWalCommand(byNumber.Output).Run(_folder.DbPath, numberText, hex: false));
        var all = new ToolRun();
        Assert.Equal(0, new DumpWalCommand(all.Output).Run(_folder.DbPath, file: null, hex: false));

        Assert.Equal(byPath.Out, byNumber.Out);
        Assert.EndsWith(byPath.Out, all.Out, StringComparison.Ordinal);
        Assert.Contains("Put wal/only", byPath.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_wal_of_a_missing_file_is_a_clear_error()
    {
        var run = new ToolRun();
        run.AssertOneErrorLine(new DumpWalCommand(run.Output).Run(_folder.DbPath, "999", hex: false), ExitCodes.BadInput, "000999.log");
    }

    [Fact]
    public void Dump_wal_prints_the_records_before_damage_then_names_file_and_offset()
    {
        var log = _folder.Files(".log")[^1];
        Bytes.Flip(log, 40 + 10);   // inside the second record
        var run = new ToolRun();
        var exit = new DumpWalCommand(run.Output).Run(log, file: null, hex: false);
        run.AssertOneErrorLine(exit, ExitCodes.Corruption, $"corruption in {Path.GetFileName(log)} at offset 40", "checksum");
        Assert.Contains("Put wal/only", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Delete user/00001", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_wal_reports_a_torn_tail_without_failing()
    {
        var log = _folder.Files(".log")[^1];
        using (var stream = new FileStream(log, FileMode.Open))
        {
            stream.SetLength(stream.Length - 5);   // cut into the last record: a crash mid-write
        }

        var run = new ToolRun();
        Assert.Equal(0, new DumpWalCommand(run.Output).Run(log, file: null, hex: false));
        Assert.Contains("2 records, 2 entries, seq 2002..2003;", run.Out, StringComparison.Ordinal);
        Assert.Contains("bytes after the last complete record", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_sst_prints_properties()
    {
        var table = Assert.Single(_folder.Files(".sst"));
        var number = Path.GetFileNameWithoutExtension(table).TrimStart('0');
        var run = new ToolRun();
        Assert.Equal(0, new DumpSstCommand(run.Output).Run(_folder.DbPath, number, entries: false, hex: false));
        Assert.Empty(run.Error);
        var text = run.Out;
        Assert.StartsWith($"{Path.GetFileName(table)} ({new FileInfo(table).Length} bytes)", text, StringComparison.Ordinal);
        Assert.Contains("  format version  2", text, StringComparison.Ordinal); // LZ4 blocks by default: version 2
        Assert.Contains($"  entries         {SampleDatabase.TableKeys + 1} (1 deletions)", text, StringComparison.Ordinal);
        Assert.Contains($"  sequences       1..{SampleDatabase.TableKeys + 1}", text, StringComparison.Ordinal);
        Assert.Contains($"  smallest key    user/00000 @{SampleDatabase.TableKeys + 1} Delete", text, StringComparison.Ordinal);
        Assert.Contains($"  largest key     user/01999 @{SampleDatabase.TableKeys} Put", text, StringComparison.Ordinal);
        Assert.Matches(@"  data blocks     [1-9][0-9]+ \(", text);
        Assert.DoesNotContain("entries:", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_sst_entries_lists_every_internal_key_in_order()
    {
        var table = Assert.Single(_folder.Files(".sst"));
        var run = new ToolRun();
        Assert.Equal(0, new DumpSstCommand(run.Output).Run(table, file: null, entries: true, hex: false));
        var entries = run.OutLines.SkipWhile(l => l != "  entries:").Skip(1).ToArray();
        Assert.Equal(SampleDatabase.TableKeys + 1, entries.Length);

        // The tombstone of user/00000 (newest) sorts before its put.
        Assert.Equal($"    user/00000 @{SampleDatabase.TableKeys + 1} Delete", entries[0]);
        var preview = System.Text.Encoding.UTF8.GetString(SampleDatabase.Value(0)[..64]);
        Assert.Equal($"    user/00000 @1 Put => {preview}... (100 bytes)", entries[1]);
        Assert.StartsWith($"    user/01999 @{SampleDatabase.TableKeys} Put => value-1999", entries[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_sst_of_a_file_that_is_not_a_table_is_corruption()
    {
        var bogus = Path.Combine(_folder.DbPath, "000777.sst");
        File.WriteAllBytes(bogus, new byte[200]);
        var run = new ToolRun();
        run.AssertOneErrorLine(new DumpSstCommand(run.Output).Run(_folder.DbPath, "777", entries: false, hex: false),
            ExitCodes.Corruption, "000777.sst", "magic");

        run = new ToolRun();
        run.AssertOneErrorLine(new DumpSstCommand(run.Output).Run(_folder.DbPath, "no-such.sst", entries: false, hex: false),
            ExitCodes.BadInput, "no-such.sst");

        run = new ToolRun();
        run.AssertOneErrorLine(new DumpSstCommand(run.Output).Run(_folder.DbPath, file: null, entries: false, hex: false),
            ExitCodes.BadInput, "Name the table");
    }
}
