using EFCore.Lsm.Engine;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary><c>lsm stats &lt;db&gt;</c>: opens the database and prints the engine's <c>lsm.stats</c> property.</summary>
internal sealed class StatsCommand(ToolOutput output)
{
    public int Run(string database) => CommandRunner.Run(output, () =>
    {
        using var db = DatabaseFolder.OpenReadOnly(database);
        output.Out.Write(db.GetProperty(LsmDatabase.Properties.Stats));
        return ExitCodes.Success;
    });
}
