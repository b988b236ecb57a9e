using EFCore.Lsm.RowEncoding.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Maps the CLR types the row codec stores exactly; anything else needs a value converter to one of them (EF applies
/// configured converters before asking for the provider type's mapping), or model validation reports the property.
/// </summary>
internal sealed class LsmTypeMappingSource(TypeMappingSourceDependencies dependencies) : TypeMappingSource(dependencies)
{
    protected override CoreTypeMapping? FindMapping(in TypeMappingInfo mappingInfo)
    {
        var clrType = mappingInfo.ClrType;
        if (clrType is null)
        {
            return null;
        }

        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        return RowValueCodec.IsSupported(type) ? new LsmTypeMapping(clrType) : base.FindMapping(mappingInfo);
    }
}
