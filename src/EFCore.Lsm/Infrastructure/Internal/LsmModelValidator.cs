using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Infrastructure.Internal;

/// <summary>
/// Model rules of the provider, checked before EF's own so the message names what the provider needs: every entity type
/// has a primary key whose parts have an order-preserving key encoding (after value conversion); a hierarchy is mapped
/// table-per-hierarchy (TPT/TPC are refused); owned types are stored in their owner's row, within the limits
/// <see cref="ValidateOwnedType"/> names; complex properties are stored in their entity's row, within the limits
/// <see cref="ValidateComplexProperty"/> names.
/// </summary>
internal sealed class LsmModelValidator(ModelValidatorDependencies dependencies) : ModelValidator(dependencies)
{
    public override void Validate(IModel model, IDiagnosticsLogger<DbLoggerCategory.Model.Validation> logger)
    {
        foreach (var entityType in model.GetEntityTypes())
        {
            ValidateEntityType(entityType);
        }

        base.Validate(model, logger);
    }

    // The annotation EF's relational UseTptMappingStrategy/UseTpcMappingStrategy set (EF.Relational's RelationalAnnotationNames).
    private const string MappingStrategyAnnotation = "Relational:MappingStrategy";

    private static Type ProviderType(IProperty property) =>
        property.GetValueConverter()?.ProviderClrType ?? property.FindTypeMapping()?.Converter?.ProviderClrType ?? property.ClrType;

    /// <summary>
    /// Owned types are stored inside their owner's row (docs/row_encoding.md, "Owned values"): what a nested value cannot
    /// hold is refused here, naming it.
    /// </summary>
    private static void ValidateOwnedType(IEntityType entityType)
    {
        var ownership = entityType.FindOwnership()!;
        var path = $"'{ownership.PrincipalEntityType.DisplayName()}.{ownership.PrincipalToDependent?.Name}'";
        if (entityType.BaseType is not null || entityType.GetDirectlyDerivedTypes().Any())
        {
            throw new InvalidOperationException(
                $"The owned type '{entityType.DisplayName()}' (owned through {path}) is part of an inheritance hierarchy; EFCore.Lsm "
                + "does not store owned types with derived types. Map the hierarchy as entity types with keys of their own.");
        }

        if (entityType.GetDeclaredIndexes().FirstOrDefault() is { } index)
        {
            throw new InvalidOperationException(
                $"The owned type '{entityType.DisplayName()}' (owned through {path}) has the index {index.DisplayName()}; EFCore.Lsm "
                + "stores owned values inside their owner's row and does not index them. Remove the index, or map the type as an "
                + "entity type with a key of its own.");
        }

        if (entityType.GetDeclaredForeignKeys().FirstOrDefault(f => !f.IsOwnership) is { } foreignKey)
        {
            throw new InvalidOperationException(
                $"The owned type '{entityType.DisplayName()}' (owned through {path}) has a relationship to "
                + $"'{foreignKey.PrincipalEntityType.DisplayName()}'; EFCore.Lsm does not check or join relationships of owned "
                + "values. Put the foreign key on the owner, or map the type as an entity type with a key of its own.");
        }
    }

    /// <summary>
    /// Complex values are stored in their entity's row, a pair per member (docs/row_encoding.md, "Complex values"): what that
    /// cannot hold is refused here, naming the property.
    /// </summary>
    private static void ValidateComplexProperty(IEntityType entityType, IComplexProperty complex, string path, bool inCollectionOrOwned)
    {
        var name = $"'{entityType.DisplayName()}.{path}'";
        if (complex.IsCollection && inCollectionOrOwned)
        {
            // A complex collection is stored as one value of its entity's row (docs/row_encoding.md, "Complex collections"); one
            // inside an owned value, a complex value or another collection's elements would be a nested array the row format
            // does not define.
            throw new InvalidOperationException(
                $"The property {name} is a complex collection (ComplexCollection) inside "
                + (entityType.IsOwned() ? "an owned type" : "a complex type")
                + "; EFCore.Lsm stores complex collections only as properties of an entity type. Map it as an owned collection "
                + "instead (OwnsMany), or move it to the entity type.");
        }

        foreach (var member in complex.ComplexType.GetDeclaredProperties())
        {
            if (ProviderValueCodec.Find(ProviderType(member)) is null)
            {
                throw new InvalidOperationException(
                    $"The property '{entityType.DisplayName()}.{path}.{member.Name}' has type '{ProviderType(member).Name}', which "
                    + "EFCore.Lsm cannot store; configure a value converter to a type it stores (docs/row_encoding.md lists them).");
            }
        }

        foreach (var nested in complex.ComplexType.GetDeclaredComplexProperties())
        {
            ValidateComplexProperty(entityType, nested, path + "." + nested.Name, inCollectionOrOwned: true);
        }
    }

    private static void ValidateEntityType(IEntityType entityType)
    {
        if (entityType.IsOwned())
        {
            ValidateOwnedType(entityType);
        }

        foreach (var complex in entityType.GetDeclaredComplexProperties())
        {
            ValidateComplexProperty(entityType, complex, complex.Name, inCollectionOrOwned: entityType.IsOwned());
        }

        // A hierarchy is stored in its root's keyspace with a discriminator (TPH); the other strategies are relational ideas
        // of tables that a key-value store does not have.
        if (entityType.FindAnnotation(MappingStrategyAnnotation)?.Value is string strategy && strategy != "TPH")
        {
            throw new InvalidOperationException(
                $"The entity type '{entityType.DisplayName()}' is mapped with the {strategy} inheritance strategy; EFCore.Lsm stores a "
                + "hierarchy in one keyspace with a discriminator (table-per-hierarchy). Remove Use"
                + (strategy == "TPT" ? "Tpt" : "Tpc") + "MappingStrategy() to use TPH, EF's default.");
        }

        // Key parts first: their message says what a key part needs, which is more than "cannot be stored".
        foreach (var property in entityType.FindPrimaryKey()?.Properties ?? [])
        {
            var providerType = ProviderType(property);
            if (!ProviderValueCodec.IsKeyEncodable(providerType))
            {
                throw new InvalidOperationException(
                    $"The key property '{entityType.DisplayName()}.{property.Name}' has type '{providerType.Name}', which has no "
                    + "order-preserving key encoding in EFCore.Lsm. Key parts can be integers, enums, bool, char, Guid, string, "
                    + "byte[], DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, decimal, double or float; configure a value "
                    + "converter to one of them.");
            }
        }

        foreach (var property in entityType.GetDeclaredProperties())
        {
            if (ProviderValueCodec.Find(ProviderType(property)) is null)
            {
                throw new InvalidOperationException(
                    $"The property '{entityType.DisplayName()}.{property.Name}' has type '{ProviderType(property).Name}', which "
                    + "EFCore.Lsm cannot store; configure a value converter to a type it stores (docs/row_encoding.md lists them).");
            }
        }

        if (entityType.FindPrimaryKey() is null)
        {
            // Keyless types have no rows (rows are stored under their key, and keyless types are never saved); a query of
            // one fails with a message saying so.
            return;
        }

        foreach (var index in entityType.GetDeclaredIndexes())
        {
            foreach (var property in index.Properties)
            {
                if (!ProviderValueCodec.IsKeyEncodable(ProviderType(property)))
                {
                    throw new InvalidOperationException(
                        $"The index {index.DisplayName()} of '{entityType.DisplayName()}' includes '{property.Name}' of type "
                        + $"'{ProviderType(property).Name}', which has no order-preserving key encoding in EFCore.Lsm, so it cannot be "
                        + "indexed. Index parts can be integers, enums, bool, char, Guid, string, byte[], DateTime, DateTimeOffset, "
                        + "DateOnly, TimeOnly, TimeSpan, decimal, double or float; configure a value converter to one of them.");
                }
            }
        }
    }
}
