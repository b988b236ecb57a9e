using EFCore.Lsm.Migrations.Internal;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;

// User-facing extension methods live where users look for them, as EF's own providers do.
namespace Microsoft.EntityFrameworkCore;

/// <summary>EFCore.Lsm extension methods for <see cref="MigrationBuilder"/>: the escape hatch for steps EF has no operation for.</summary>
public static class LsmMigrationBuilderExtensions
{
    /// <summary>
    /// A custom migration step: <paramref name="step"/> runs inside the migration (after the operations before it, before the
    /// ones after it) and changes rows through <see cref="EFCore.Lsm.Migrations.LsmMigrationContext"/>, e.g.
    /// <c>migrationBuilder.LsmOperation("fill Slug", m =&gt; m.UpdateRows("Articles", row =&gt; row["Slug"] = Slugify((string)row["Title"]!)))</c>.
    /// Its changes are part of the migration's one atomic switch, like every other operation's. What the
    /// <c>Sql</c> operation is on a relational database.
    /// </summary>
    public static OperationBuilder<MigrationOperation> LsmOperation(
        this MigrationBuilder migrationBuilder, string description, Action<EFCore.Lsm.Migrations.LsmMigrationContext> step)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(step);
        var operation = new LsmCustomOperation(description, step);
        migrationBuilder.Operations.Add(operation);
        return new OperationBuilder<MigrationOperation>(operation);
    }
}
