using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// EF's differ service for EFCore.Lsm: the operations between two models' schemas (<see cref="LsmModelDiffer"/>). EF's
/// design tools hand it each model's relational model; the provider reads the model itself from it
/// (<see cref="IRelationalModel.Model"/>).
/// </summary>
internal sealed class LsmMigrationsModelDiffer : IMigrationsModelDiffer
{
    public IReadOnlyList<MigrationOperation> GetDifferences(IRelationalModel? source, IRelationalModel? target) =>
        LsmModelDiffer.Diff(source?.Model, target?.Model);

    public bool HasDifferences(IRelationalModel? source, IRelationalModel? target) => GetDifferences(source, target).Count > 0;
}
