using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.Json;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>The type mapping of a CLR type the row format stores (docs/row_encoding.md lists them).</summary>
internal sealed class LsmTypeMapping : CoreTypeMapping
{
    public LsmTypeMapping(Type clrType)
        : base(new CoreTypeMappingParameters(clrType))
    {
    }

    private LsmTypeMapping(CoreTypeMappingParameters parameters)
        : base(parameters)
    {
    }

    protected override CoreTypeMapping Clone(CoreTypeMappingParameters parameters) => new LsmTypeMapping(parameters);

    public override CoreTypeMapping WithComposedConverter(
        Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? converter,
        ValueComparer? comparer = null,
        ValueComparer? keyComparer = null,
        CoreTypeMapping? elementMapping = null,
        JsonValueReaderWriter? jsonValueReaderWriter = null) =>
        new LsmTypeMapping(Parameters.WithComposedConverter(converter, comparer, keyComparer, elementMapping, jsonValueReaderWriter));
}
