using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace EFCore.Lsm.Metadata.Conventions.Internal;

/// <summary>
/// EF's conventions, with the provider's runtime model convention in place of the core one, and tables named after the
/// context's <c>DbSet</c>s as relational providers name them (for migrations).
/// </summary>
internal sealed class LsmConventionSetBuilder(ProviderConventionSetBuilderDependencies dependencies)
    : ProviderConventionSetBuilder(dependencies)
{
    public override ConventionSet CreateConventionSet()
    {
        var conventionSet = base.CreateConventionSet();
        conventionSet.Replace<RuntimeModelConvention>(new LsmRuntimeModelConvention(Dependencies));
        var tableNames = new LsmTableNameConvention(Dependencies);
        conventionSet.EntityTypeAddedConventions.Add(tableNames);
        conventionSet.EntityTypeBaseTypeChangedConventions.Add(tableNames);
        conventionSet.PropertyAnnotationChangedConventions.Add(new LsmDefaultValueConvention());
        conventionSet.ModelFinalizingConventions.Add(new LsmColumnTypeConvention());
        return conventionSet;
    }
}

/// <summary>
/// Keeps in the read-optimized (runtime) model what the provider needs at run time but EF's runtime model drops: whether
/// the parts of an index are descending, which decides the byte order of its entries (docs/index_encoding.md).
/// </summary>
internal sealed class LsmRuntimeModelConvention(ProviderConventionSetBuilderDependencies dependencies) : RuntimeModelConvention(dependencies)
{
    protected override void ProcessIndexAnnotations(
        Dictionary<string, object?> annotations, IIndex index, RuntimeIndex runtimeIndex, bool runtime)
    {
        base.ProcessIndexAnnotations(annotations, index, runtimeIndex, runtime);
        if (!runtime && ((IReadOnlyIndex)index).IsDescending is { } descending)
        {
            annotations[LsmAnnotationNames.IndexDescending] = descending.ToArray();
        }
    }
}
