using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

public sealed class VerifyCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_clean_database_verifies_with_exit_code_zero_and_no_file_changes()
    {
        SampleDatabase.Create(_folder);
        var before = _folder.Snapshot();
        var run = new ToolRun();
        Assert.Equal(0, new VerifyCommand(run.Output).Run(_folder.DbPath));
        Assert.Empty(run.Error);
        Assert.Contains($"OK: verified 1 table (", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{SampleDatabase.TableKeys + 1} entries", run.Out, StringComparison.Ordinal);
        Assert.Contains("3 records", run.Out, StringComparison.Ordinal);

        var after = _folder.Snapshot();
        Assert.Equal(before.Keys, after.Keys);
        Assert.All(before, pair => Assert.True(pair.Value.AsSpan().SequenceEqual(after[pair.Key])));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.25)]
    [InlineData(0.45)]
    public void A_flipped_byte_in_a_data_block_is_found_and_the_table_named(double position)
    {
        SampleDatabase.Create(_folder);
        var table = Assert.Single(_folder.Files(".sst"));
        var name = Path.GetFileName(table);
        Bytes.Flip(table, (long)(new FileInfo(table).Length * position));

        var run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"corrupt: corruption in {name} at offset ", line, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", line, StringComparison.Ordinal);
        Assert.Contains("FAILED: 1 problem", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{name}  CORRUPT", run.Out, StringComparison.Ordinal);

        // The offset named is a data block's start, at or before the damaged byte.
        var offset = long.Parse(line.Split(" at offset ")[1].Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(offset, 0, (long)(new FileInfo(table).Length * position));
    }

    [Fact]
    public void A_manifest_missing_its_last_edit_is_reported_with_the_wal_it_lost()
    {
        // The edit of the last flush is gone: the manifest's log number names the WAL that flush deleted, and the
        // surviving WAL starts after writes that are in no file. Opening refuses this; verify must not say OK.
        using (var db = _folder.OpenDatabase())
        {
            db.Put("a"u8, "1"u8, new Engine.WriteOptions { Sync = true });
            db.Flush();
            db.Put("b"u8, "2"u8, new Engine.WriteOptions { Sync = true });
        }

        var manifest = Assert.Single(Directory.GetFiles(_folder.DbPath, "MANIFEST-*"));
        using (var stream = new FileStream(manifest, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }

        var run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        Assert.Contains(run.ErrorLines, l => l.Contains(".log is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_damaged_wal_record_is_found_with_its_offset()
    {
        SampleDatabase.Create(_folder);
        var log = _folder.Files(".log")[^1];
        Assert.True(new FileInfo(log).Length > 40);
        Bytes.Flip(log, 20);   // inside the first record's payload

        var run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains($"corruption in {Path.GetFileName(log)} at offset 0", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_table_and_a_truncated_table_are_both_reported()
    {
        using (var db = _folder.OpenDatabase())
        {
            db.Put("a"u8, "1"u8);
            db.Flush();
            db.Put("b"u8, "2"u8);
            db.Flush();
        }

        var tables = _folder.Files(".sst");
        Assert.Equal(2, tables.Length);
        File.Delete(tables[0]);
        using (var stream = new FileStream(tables[1], FileMode.Open))
        {
            stream.SetLength(stream.Length - 3);
        }

        var run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        Assert.Equal(2, run.ErrorLines.Length);
        Assert.Contains(run.ErrorLines, l => l.Contains(Path.GetFileName(tables[0]) + " is missing", StringComparison.Ordinal));
        Assert.Contains(run.ErrorLines, l => l.Contains(Path.GetFileName(tables[1]), StringComparison.Ordinal));
        Assert.Contains("FAILED: 2 problems", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_readable_manifest_every_file_in_the_folder_is_still_verified()
    {
        SampleDatabase.Create(_folder);
        var manifest = Directory.GetFiles(_folder.DbPath, "MANIFEST-*").Single();
        File.WriteAllBytes(manifest, new byte[100]);   // zeros read as an empty log: the manifest lacks its fields

        var run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        Assert.Contains(run.ErrorLines, l => l.Contains(Path.GetFileName(manifest), StringComparison.Ordinal));
        Assert.Contains("every table and WAL in the folder is verified", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(_folder.Files(".sst")[0])}  L?", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_obsolete_wal_is_skipped_because_recovery_never_reads_it()
    {
        SampleDatabase.Create(_folder);
        var obsolete = Path.Combine(_folder.DbPath, "000001.log");
        // A whole FULL fragment of 5 bytes whose CRC is wrong: damage, not a torn tail.
        byte[] damaged = [0xDE, 0xAD, 0xBE, 0xEF, 5, 0, 1, 1, 2, 3, 4, 5];
        File.WriteAllBytes(obsolete, damaged);
        var run = new ToolRun();
        Assert.True(new VerifyCommand(run.Output).Run(_folder.DbPath) == 0, run.Out + run.Error);
        Assert.Contains("000001.log  skipped: obsolete", run.Out, StringComparison.Ordinal);

        // The same bytes in a live WAL are damage.
        var live = _folder.Files(".log")[^1];
        File.WriteAllBytes(live, damaged);
        run = new ToolRun();
        Assert.Equal(ExitCodes.Corruption, new VerifyCommand(run.Output).Run(_folder.DbPath));
        Assert.Contains(
            $"corruption in {Path.GetFileName(live)} at offset 0: fragment checksum mismatch",
            Assert.Single(run.ErrorLines),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_refuses_a_folder_without_database_files()
    {
        var run = new ToolRun();
        run.AssertOneErrorLine(new VerifyCommand(run.Output).Run(_folder.Path), ExitCodes.BadInput, "not an lsm database");
    }
}
