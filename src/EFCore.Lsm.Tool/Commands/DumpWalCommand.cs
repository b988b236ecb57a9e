using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Inspection;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm dump-wal &lt;db&gt; [file]</c>: every record of one WAL (or of all WALs in the folder, or of a single
/// <c>.log</c> path given instead of the folder) with its offset, sequence and entry count, and every entry. Read-only.
/// </summary>
internal sealed class DumpWalCommand(ToolOutput output)
{
    /// <summary>Value bytes shown per entry; the full length is printed beside the preview.</summary>
    public const int ValuePreviewBytes = 64;

    public int Run(string target, string? file, bool hex) => CommandRunner.Run(output, () =>
    {
        foreach (var path in ResolveLogs(target, file))
        {
            Dump(path, hex);
        }

        return ExitCodes.Success;
    });

    private static List<string> ResolveLogs(string target, string? file)
    {
        if (file is null && File.Exists(target))
        {
            return [Path.GetFullPath(target)];
        }

        var folder = DatabaseFolder.RequireForInspection(target);
        if (file is not null)
        {
            return [DatabaseFolder.ResolveFile(folder, file, DbFileKind.Log)];
        }

        return DatabaseFolder.ListFiles(folder, DbFileKind.Log).Select(f => f.Path).ToList();
    }

    private void Dump(string path, bool hex)
    {
        var w = output.Out;
        var name = Path.GetFileName(path);
        w.WriteLine($"{name} ({new FileInfo(path).Length} bytes)");
        var summary = WalFile.Walk(path, (offset, batch) =>
        {
            var sequence = WriteBatch.ReadSequence(batch);
            var count = WriteBatch.ReadCount(batch);
            w.WriteLine($"  @{offset}  seq {sequence}  count {count}  ({batch.Length} bytes)");
            foreach (var entry in WriteBatch.Enumerate(batch))
            {
                w.Write($"    {sequence++} {entry.Kind} ");
                ByteText.Write(w, entry.Key, hex);
                if (entry.Kind == ValueKind.Put)
                {
                    w.Write(" => ");
                    ByteText.WritePreview(w, entry.Value, ValuePreviewBytes, hex);
                    w.Write($" ({entry.Value.Length} bytes)");
                }

                w.WriteLine();
            }
        });

        w.Write($"  {summary.Records} records, {summary.Entries} entries");
        w.Write(summary.Entries > 0 ? $", seq {summary.FirstSequence}..{summary.LastSequence}" : "");
        w.WriteLine(summary.TrailingBytes > 0
            ? $"; {summary.TrailingBytes} bytes after the last complete record (a torn write, ignored by recovery)"
            : "");
    }
}
