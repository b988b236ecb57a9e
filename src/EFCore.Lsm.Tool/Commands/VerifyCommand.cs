using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Inspection;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm verify &lt;db&gt;</c>: reads CURRENT and the manifest, every block of every live table (checksums, entry
/// structure, key order, entry count, and size and key range against the manifest) and every record of every live WAL
/// (CRCs and batch encoding, no tolerance), and checks what opening checks: the WAL the manifest's log number names
/// exists, and the WALs' sequence numbers continue the manifest's without a hole. Prints one line per file and a
/// summary; each problem also goes to stderr naming the file and offset. Exit code 0 when clean, 2 when anything is
/// wrong. Read-only and lock-free: beside a running writer, an answer with problems is believed only if CURRENT and the
/// manifest did not change meanwhile (else it verifies again; a writer that never pauses gives exit code 3, "in use").
/// </summary>
internal sealed class VerifyCommand(ToolOutput output)
{
    /// <summary>
    /// <c>lsm verify &lt;db&gt; --indexes</c>: checks the EF data instead of the files, through
    /// <see cref="LsmDatabaseVerifier.VerifyIndexes(string)"/>: every entry of every index the catalog lists points to a live
    /// row with those values, and every row has its entries. Prints each problem to stderr ("inconsistent: ..."), each index
    /// it skipped and why, and a summary with the rows and entries read; exit code 0 when consistent, 2 when not. Unlike the
    /// file check it opens the database, taking its lock (exit code 3 while an application has it open), and reads at one view.
    /// </summary>
    public int RunIndexes(string database) => CommandRunner.Run(output, () =>
    {
        var path = DatabaseFolder.RequireForInspection(database);
        LsmVerificationResult? verified = null;
        output.Progress.Run("Verifying indexes", 0, _ => verified = LsmDatabaseVerifier.VerifyIndexes(path));
        var result = verified!;
        foreach (var skipped in result.Skipped)
        {
            output.Out.WriteLine("skipped: " + skipped);
        }

        var checkedText = $"{Text.Plural(result.Rows, "row")} and {result.Entries} index {(result.Entries == 1 ? "entry" : "entries")}";
        if (result.IsConsistent)
        {
            output.Out.WriteLine($"OK: the indexes agree with the rows; read {checkedText}.");
            return ExitCodes.Success;
        }

        output.Out.WriteLine($"FAILED: {Text.Plural(result.Problems.Count, "problem")}; read {checkedText}.");
        output.Out.Flush();
        foreach (var problem in result.Problems)
        {
            output.Error.WriteLine("inconsistent: " + problem);
        }

        return ExitCodes.Corruption;
    });

    public int Run(string database) => CommandRunner.Run(output, () =>
    {
        var path = DatabaseFolder.RequireForInspection(database);
        var result = ConsistentRead.Run(LocalFileSystem.Instance, path, () => VerifyOnce(path), r => r.Problems.Count > 0);

        output.Out.Write(result.Report);
        var totals = result.Totals;
        var checkedText = $"{Text.Plural(totals.Tables, "table")} ({totals.Blocks} data blocks, {totals.Entries} entries), "
            + $"{Text.Plural(totals.Logs, "WAL file")} ({Text.Plural(totals.Records, "record")})"
            + (result.ManifestName is null ? "" : $" and {result.ManifestName}");
        if (result.Problems.Count == 0)
        {
            output.Out.WriteLine($"OK: verified {checkedText}.");
            return ExitCodes.Success;
        }

        output.Out.WriteLine($"FAILED: {Text.Plural(result.Problems.Count, "problem")}; checked {checkedText}.");
        output.Out.Flush();
        foreach (var problem in result.Problems)
        {
            output.Error.WriteLine("corrupt: " + problem);
        }

        return ExitCodes.Corruption;
    });

    private Result VerifyOnce(string path)
    {
        // The report is collected and printed after the progress display has gone, so the two never interleave.
        var report = new StringWriter();
        var problems = new List<string>();
        var totals = new Totals();

        DatabaseManifest? manifest = null;
        try
        {
            manifest = DatabaseManifest.Read(path);
            report.WriteLine($"{manifest.ManifestName}  ok ({Text.Plural(manifest.LiveTables().Count(), "live table")})");
        }
        catch (LsmException e) when (e is not LsmNotADatabaseException)
        {
            Problem(report, problems, "manifest", Describe(e));
            report.WriteLine("  (without a readable manifest, every table and WAL in the folder is verified)");
        }

        var tables = TablesToVerify(path, manifest, report);
        var logs = new List<(ulong Number, string Path)>();
        foreach (var log in DatabaseFolder.ListFiles(path, DbFileKind.Log))
        {
            if (manifest is null || log.Number >= manifest.LogNumber)
            {
                logs.Add(log);
            }
            else
            {
                report.WriteLine($"{Path.GetFileName(log.Path)}  skipped: obsolete (its writes are in tables; deleted at the next open)");
            }
        }

        if (manifest is not null && manifest.LogNumber != 0 && logs.All(l => l.Number != manifest.LogNumber))
        {
            var name = Path.GetFileName(FileNames.LogFile(path, manifest.LogNumber));
            Problem(report, problems, name, $"{name} is missing (the manifest's log number names it: the writes not yet in "
                + "tables start there)");
        }

        var continuity = manifest is null ? null : new SequenceContinuity(manifest.LastSequence, manifest.ManifestName, tolerateGaps: false);
        var totalBytes = tables.Sum(t => SizeOf(t.Path)) + logs.Sum(l => SizeOf(l.Path));
        output.Progress.Run("Verifying", totalBytes, progress =>
        {
            foreach (var table in tables)
            {
                progress.Describe("Verifying " + Path.GetFileName(table.Path));
                VerifyTable(table, report, problems, totals);
                progress.Advance(SizeOf(table.Path));
            }

            foreach (var (_, logPath) in logs)
            {
                progress.Describe("Verifying " + Path.GetFileName(logPath));
                VerifyLog(logPath, continuity, report, problems, totals);
                progress.Advance(SizeOf(logPath));
            }
        });

        return new Result(report.ToString(), problems, totals, manifest?.ManifestName);
    }

    private static List<TableToVerify> TablesToVerify(string path, DatabaseManifest? manifest, StringWriter report)
    {
        var present = DatabaseFolder.ListFiles(path, DbFileKind.Table);
        if (manifest is null)
        {
            return present.Select(t => new TableToVerify(t.Path, Level: null, Expected: null)).ToList();
        }

        var live = manifest.LiveTables()
            .Select(t => new TableToVerify(FileNames.TableFile(path, t.File.Number), t.Level, t.File))
            .ToList();
        var liveNumbers = live.Select(t => t.Expected!.Number).ToHashSet();
        foreach (var (number, tablePath) in present)
        {
            if (!liveNumbers.Contains(number))
            {
                report.WriteLine(
                    $"{Path.GetFileName(tablePath)}  skipped: not in the manifest (left by an interrupted flush or compaction; "
                    + "the engine deletes it at its next open once it proves it redundant)");
            }
        }

        return live;
    }

    private static void VerifyTable(TableToVerify table, StringWriter report, List<string> problems, Totals totals)
    {
        var name = Path.GetFileName(table.Path);
        var where = table.Level is { } level ? $"L{level}" : "L?";
        if (!File.Exists(table.Path))
        {
            Problem(report, problems, name, $"{name} is missing (the manifest lists it in level {table.Level})");
            return;
        }

        try
        {
            using var reader = TableFile.Open(table.Path);
            var properties = reader.Properties;
            if (table.Expected is { } expected)
            {
                if (properties.FileSize != expected.Size)
                {
                    Problem(report, problems, name, $"{name} is {properties.FileSize} bytes but the manifest says {expected.Size}");
                    return;
                }

                if (!properties.SmallestKey.AsSpan().SequenceEqual(expected.Smallest)
                    || !properties.LargestKey.AsSpan().SequenceEqual(expected.Largest))
                {
                    Problem(report, problems, name, $"{name} holds a different key range than the manifest records for it");
                    return;
                }
            }

            reader.VerifyAllBlocks();
            totals.Tables++;
            totals.Blocks += properties.DataBlockCount;
            totals.Entries += properties.EntryCount;
            report.WriteLine(
                $"{name}  {where}  {properties.FileSize} bytes  {properties.DataBlockCount} data blocks  "
                + $"{properties.EntryCount} entries  ok");
        }
        catch (LsmException e)
        {
            Problem(report, problems, name, Describe(e));
        }
    }

    private static void VerifyLog(string path, SequenceContinuity? continuity, StringWriter report, List<string> problems, Totals totals)
    {
        var name = Path.GetFileName(path);
        try
        {
            var summary = WalFile.Walk(path, (offset, batch) =>
            {
                var count = WriteBatch.ReadCount(batch);
                if (count > 0)
                {
                    continuity?.Check(WriteBatch.ReadSequence(batch), (ulong)count, name, offset);
                }
            });
            totals.Logs++;
            totals.Records += summary.Records;
            var tail = summary.TrailingBytes > 0 ? $", {summary.TrailingBytes} bytes of torn tail (ignored by recovery)" : "";
            report.WriteLine($"{name}  {summary.Length} bytes  {Text.Plural(summary.Records, "record")}  ok{tail}");
        }
        catch (LsmException e)
        {
            Problem(report, problems, name, Describe(e));
        }
    }

    private static void Problem(StringWriter report, List<string> problems, string file, string problem)
    {
        problems.Add(problem);
        report.WriteLine($"{file}  CORRUPT: {problem}");
    }

    private static string Describe(LsmException e)
        => e is LsmCorruptionException c ? CommandRunner.Describe(c) : CommandRunner.OneLine(e.Message);

    private static long SizeOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private sealed record TableToVerify(string Path, int? Level, FileMetadata? Expected);

    private sealed record Result(string Report, List<string> Problems, Totals Totals, string? ManifestName);

    private sealed class Totals
    {
        public long Tables { get; set; }

        public long Blocks { get; set; }

        public long Entries { get; set; }

        public long Logs { get; set; }

        public long Records { get; set; }
    }
}
