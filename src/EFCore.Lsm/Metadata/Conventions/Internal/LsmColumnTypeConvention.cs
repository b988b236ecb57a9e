using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;

namespace EFCore.Lsm.Metadata.Conventions.Internal;

/// <summary>
/// Records each property's stored type (its provider CLR type, as the catalog records it) as its column type, the one
/// store-type fact a relational provider's type mappings would give EF's tools: <c>dotnet ef</c>'s model snapshot
/// writes it (<c>HasColumnType("System.Int32")</c>) instead of asking for a relational type mapping the provider does not
/// have. An explicit <c>HasColumnType</c> wins.
/// </summary>
internal sealed class LsmColumnTypeConvention : IModelFinalizingConvention
{
    private static IEnumerable<IConventionProperty> ComplexMembers(IConventionTypeBase type) =>
        type.GetDeclaredComplexProperties().SelectMany(c => c.ComplexType.GetDeclaredProperties().Concat(ComplexMembers(c.ComplexType)));

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            foreach (var property in entityType.GetDeclaredProperties().Concat(ComplexMembers(entityType)))
            {
                var type = property.GetValueConverter()?.ProviderClrType ?? property.ClrType;
                property.Builder.HasAnnotation(LsmTableNames.ColumnTypeAnnotation, (Nullable.GetUnderlyingType(type) ?? type).FullName);
            }
        }
    }
}
