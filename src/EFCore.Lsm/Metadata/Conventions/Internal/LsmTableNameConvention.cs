using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;

namespace EFCore.Lsm.Metadata.Conventions.Internal;

/// <summary>
/// Names the table of an entity type after the context's <c>DbSet</c> for it, as EF's relational providers do, so that
/// migrations (written by <c>dotnet ef</c> or by hand) name tables the way EF users expect and the provider maps them back
/// to entity types (docs/migrations.md). A derived type of a hierarchy shares its root's table; an explicit <c>ToTable</c>
/// wins over the convention.
/// </summary>
internal sealed class LsmTableNameConvention : IEntityTypeAddedConvention, IEntityTypeBaseTypeChangedConvention
{
    private readonly Dictionary<Type, string> _sets = [];

    public LsmTableNameConvention(ProviderConventionSetBuilderDependencies dependencies)
    {
        var ambiguous = new HashSet<Type>();
        foreach (var set in dependencies.SetFinder.FindSets(dependencies.ContextType))
        {
            if (!_sets.TryAdd(set.Type, set.Name))
            {
                ambiguous.Add(set.Type);
            }
        }

        foreach (var type in ambiguous)
        {
            _sets.Remove(type);
        }
    }

    public void ProcessEntityTypeAdded(IConventionEntityTypeBuilder entityTypeBuilder, IConventionContext<IConventionEntityTypeBuilder> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (entityType.BaseType is null && !entityType.HasSharedClrType && _sets.TryGetValue(entityType.ClrType, out var name))
        {
            entityTypeBuilder.HasAnnotation(LsmTableNames.TableNameAnnotation, name);
        }
    }

    public void ProcessEntityTypeBaseTypeChanged(
        IConventionEntityTypeBuilder entityTypeBuilder,
        IConventionEntityType? newBaseType,
        IConventionEntityType? oldBaseType,
        IConventionContext<IConventionEntityType> context)
    {
        var entityType = entityTypeBuilder.Metadata;
        if (newBaseType is not null)
        {
            entityTypeBuilder.HasNoAnnotation(LsmTableNames.TableNameAnnotation);
        }
        else if (!entityType.HasSharedClrType && _sets.TryGetValue(entityType.ClrType, out var name))
        {
            entityTypeBuilder.HasAnnotation(LsmTableNames.TableNameAnnotation, name);
        }
    }
}
