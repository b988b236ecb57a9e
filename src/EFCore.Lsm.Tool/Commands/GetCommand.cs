using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary><c>lsm get &lt;db&gt; &lt;key&gt;</c>: prints the value of one key (exit code 4 when there is none).</summary>
internal sealed class GetCommand(ToolOutput output)
{
    public int Run(string database, string key, bool hex) => CommandRunner.Run(output, () =>
    {
        // Parse before opening, so bad hex never costs a database open (which replays every WAL).
        var keyBytes = ByteText.Parse(key, hex, "key");
        using var db = DatabaseFolder.OpenReadOnly(database);
        var value = db.Get(keyBytes);
        if (value is null)
        {
            return CommandRunner.Fail(output, ExitCodes.NotFound, $"key '{ByteText.Format(keyBytes, hex)}' not found");
        }

        ByteText.Write(output.Out, value, hex);
        output.Out.WriteLine();
        return ExitCodes.Success;
    });
}
