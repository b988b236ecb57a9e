using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Inspection;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm dump-sst &lt;db&gt; &lt;file-number-or-path&gt; [--entries]</c>: a table's properties and, with --entries, every
/// internal key (user key, sequence, kind) with a value preview. Read-only; a <c>.sst</c> path may replace the folder.
/// </summary>
internal sealed class DumpSstCommand(ToolOutput output)
{
    public const int ValuePreviewBytes = 64;

    public int Run(string target, string? file, bool entries, bool hex) => CommandRunner.Run(output, () =>
    {
        string path;
        if (file is null)
        {
            path = File.Exists(target)
                ? Path.GetFullPath(target)
                : throw new ToolException(ExitCodes.BadInput, $"Name the table to dump: lsm dump-sst {target} <file-number-or-path>.");
        }
        else
        {
            path = DatabaseFolder.ResolveFile(DatabaseFolder.RequireForInspection(target), file, DbFileKind.Table);
        }

        using var table = TableFile.Open(path);
        WriteProperties(table, hex);
        if (entries)
        {
            WriteEntries(table, hex);
        }

        return ExitCodes.Success;
    });

    private void WriteProperties(TableReader table, bool hex)
    {
        var w = output.Out;
        var p = table.Properties;
        w.WriteLine($"{table.FileName} ({p.FileSize} bytes)");
        w.WriteLine($"  format version  {p.FormatVersion}");
        w.WriteLine($"  entries         {p.EntryCount} ({p.DeletionCount} deletions)");
        w.WriteLine($"  sequences       {p.SmallestSequence}..{p.LargestSequence}");
        w.Write("  smallest key    ");
        WriteInternalKey(w, p.SmallestKey, hex);
        w.WriteLine();
        w.Write("  largest key     ");
        WriteInternalKey(w, p.LargestKey, hex);
        w.WriteLine();
        w.WriteLine($"  data blocks     {p.DataBlockCount} ({p.DataSize} bytes)");
        w.WriteLine($"  index block     {p.IndexSize} bytes");
        w.WriteLine(p.FilterSize > 0 ? $"  filter block    {p.FilterSize} bytes" : "  filter block    none");
        w.WriteLine($"  raw keys        {p.RawKeySize} bytes");
        w.WriteLine($"  raw values      {p.RawValueSize} bytes");
    }

    private void WriteEntries(TableReader table, bool hex)
    {
        var w = output.Out;
        w.WriteLine("  entries:");
        using var iterator = table.NewIterator(fillCache: false);
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            w.Write("    ");
            WriteInternalKey(w, iterator.Key, hex);
            if (InternalKey.Kind(iterator.Key) == ValueKind.Put)
            {
                var value = iterator.Value;
                w.Write(" => ");
                ByteText.WritePreview(w, value, ValuePreviewBytes, hex);
                w.Write($" ({value.Length} bytes)");
            }

            w.WriteLine();
        }
    }

    /// <summary>"user-key @sequence Kind", or "(none)" for the empty key range of an empty table.</summary>
    private static void WriteInternalKey(TextWriter w, ReadOnlySpan<byte> internalKey, bool hex)
    {
        if (!InternalKey.IsWellFormed(internalKey))
        {
            w.Write(internalKey.IsEmpty ? "(none)" : $"(malformed: {ByteText.Format(internalKey, hex: true)})");
            return;
        }

        ByteText.Write(w, InternalKey.UserKey(internalKey), hex);
        w.Write($" @{InternalKey.Sequence(internalKey)} {InternalKey.Kind(internalKey)}");
    }
}
