using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Inspection;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm verify &lt;db&gt;</c>: reads CURRENT and the manifest, every block of every live table (checksums, entry
/// structure, key order, entry count, and size and key range against the manifest) and every record of every live WAL
/// (CRCs and batch encoding, no tolerance). Prints one line per file and a summary; each problem also goes to stderr
/// naming the file and offset. Exit code 0 when clean, 2 when anything is wrong. Read-only and lock-free.
/// </summary>
internal sealed class VerifyCommand(ToolOutput output)
{
    public int Run(string database) => CommandRunner.Run(output, () =>
    {
        var path = DatabaseFolder.RequireForInspection(database);

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
        catch (LsmException e)
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
                VerifyLog(logPath, report, problems, totals);
                progress.Advance(SizeOf(logPath));
            }
        });

        output.Out.Write(report.ToString());
        var checkedText = $"{Text.Plural(totals.Tables, "table")} ({totals.Blocks} data blocks, {totals.Entries} entries), "
            + $"{Text.Plural(totals.Logs, "WAL file")} ({Text.Plural(totals.Records, "record")})"
            + (manifest is null ? "" : $" and {manifest.ManifestName}");
        if (problems.Count == 0)
        {
            output.Out.WriteLine($"OK: verified {checkedText}.");
            return ExitCodes.Success;
        }

        output.Out.WriteLine($"FAILED: {Text.Plural(problems.Count, "problem")}; checked {checkedText}.");
        output.Out.Flush();
        foreach (var problem in problems)
        {
            output.Error.WriteLine("corrupt: " + problem);
        }

        return ExitCodes.Corruption;
    });

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
                    $"{Path.GetFileName(tablePath)}  skipped: not in the manifest (a leftover the engine deletes at the next open)");
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

    private static void VerifyLog(string path, StringWriter report, List<string> problems, Totals totals)
    {
        var name = Path.GetFileName(path);
        try
        {
            var summary = WalFile.Walk(path, visitor: null);
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

    private sealed class Totals
    {
        public long Tables { get; set; }

        public long Blocks { get; set; }

        public long Entries { get; set; }

        public long Logs { get; set; }

        public long Records { get; set; }
    }
}
