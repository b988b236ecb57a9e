using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Infrastructure.Internal;

/// <summary>
/// Model rules of the provider, checked before EF's own so the message names what the provider needs: every entity type
/// has a primary key whose parts have an order-preserving key encoding (after value conversion); owned and complex types
/// and inheritance are refused by this version rather than stored in a way that gives wrong answers (a base-type query
/// that misses the derived rows).
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

    private static Type ProviderType(IProperty property) =>
        property.GetValueConverter()?.ProviderClrType ?? property.FindTypeMapping()?.Converter?.ProviderClrType ?? property.ClrType;

    private static void ValidateEntityType(IEntityType entityType)
    {
        if (entityType.IsOwned())
        {
            throw new InvalidOperationException(
                $"The entity type '{entityType.DisplayName()}' is owned; EFCore.Lsm does not store owned types yet. "
                + "Map it as an entity type with its own key.");
        }

        if (entityType.BaseType is { } baseType)
        {
            throw new InvalidOperationException(
                $"The entity type '{entityType.DisplayName()}' derives from '{baseType.DisplayName()}'; EFCore.Lsm does not map "
                + "inheritance yet (a query of the base type would not see the derived rows). Map each type on its own.");
        }

        if (entityType.GetComplexProperties().FirstOrDefault() is { } complex)
        {
            throw new InvalidOperationException(
                $"The property '{entityType.DisplayName()}.{complex.Name}' is a complex property; "
                + "EFCore.Lsm does not store complex types yet.");
        }

        var key = entityType.FindPrimaryKey() ?? throw new InvalidOperationException(
            $"The entity type '{entityType.DisplayName()}' has no primary key; EFCore.Lsm stores every row under its primary key, "
            + "so keyless entity types are not supported.");

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

        foreach (var property in key.Properties)
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
    }
}
