using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace EFCore.Lsm.ValueGeneration.Internal;

/// <summary>
/// Integer keys come from the store's persistent block generator; Guid keys are version 7 (time-ordered, so new rows land
/// at the end of the keyspace instead of all over it); everything else as EF does by default.
/// </summary>
internal sealed class LsmValueGeneratorSelector(ValueGeneratorSelectorDependencies dependencies) : ValueGeneratorSelector(dependencies)
{
    protected override ValueGenerator? FindForType(IProperty property, ITypeBase typeBase, Type clrType)
    {
        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        if (type == typeof(Guid))
        {
            return new GuidVersion7ValueGenerator();
        }

        // Every integer key part generated on add (also of a composite key), unless a foreign key gives it its value.
        if (Metadata.Internal.LsmEntityMapping.IsGeneratedIntegerKey(property) && LsmIntegerValueGenerator.IsSupported(type))
        {
            return LsmIntegerValueGenerator.Create(type, property);
        }

        return base.FindForType(property, typeBase, clrType);
    }
}
