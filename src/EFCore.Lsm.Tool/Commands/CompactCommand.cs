using System.Diagnostics;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm compact &lt;db&gt; [--from K] [--to K]</c>: compacts the key range [from, to] (both inclusive, as
/// <see cref="LsmDatabase.CompactRange"/> takes it; either side may be open) and prints the stats before and after.
/// </summary>
internal sealed class CompactCommand(ToolOutput output)
{
    public int Run(string database, string? from, string? to, bool hex) => CommandRunner.Run(output, () =>
    {
        var begin = from is null ? null : ByteText.Parse(from, hex, "--from");
        var end = to is null ? null : ByteText.Parse(to, hex, "--to");
        using var db = DatabaseFolder.OpenForWriting(database);
        var before = db.GetProperty(LsmDatabase.Properties.Stats);
        var stopwatch = Stopwatch.StartNew();
        output.Progress.Run("Compacting", 0, _ => db.CompactRange(begin, end));
        stopwatch.Stop();
        var after = db.GetProperty(LsmDatabase.Properties.Stats);

        var w = output.Out;
        w.WriteLine("Before:");
        w.Write(before);
        w.WriteLine();
        w.WriteLine("After:");
        w.Write(after);
        w.WriteLine();
        var range = $"[{(begin is null ? "start" : ByteText.Format(begin, hex))} .. {(end is null ? "end" : ByteText.Format(end, hex))}]";
        w.WriteLine($"Compacted {range} in {stopwatch.ElapsedMilliseconds} ms.");
        return ExitCodes.Success;
    });
}
