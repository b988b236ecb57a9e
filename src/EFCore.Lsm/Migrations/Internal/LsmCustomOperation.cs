using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>A custom step of a migration (<c>migrationBuilder.LsmOperation</c>): a C# callback over the rows.</summary>
internal sealed class LsmCustomOperation(string description, Action<LsmMigrationContext> step) : MigrationOperation
{
    public string Description { get; } = description;

    public void Apply(LsmMigrationContext context) => step(context);

    public override string ToString() => "LsmOperation: " + Description;
}
