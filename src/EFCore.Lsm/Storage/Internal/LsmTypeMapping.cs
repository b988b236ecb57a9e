using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.Json;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// The type mapping of a CLR type the row format stores (docs/row_encoding.md lists them). Public, with a public static
/// <see cref="Default"/>, because compiled models (<c>dotnet ef dbcontext optimize</c>) rebuild their type mappings from
/// <c>LsmTypeMapping.Default.Clone(...)</c>.
/// </summary>
public sealed class LsmTypeMapping : CoreTypeMapping
{
    /// <summary>The mapping compiled models clone; its CLR type is replaced by each clone's.</summary>
    public static LsmTypeMapping Default { get; } = new(typeof(object));

    /// <summary>Creates the mapping of <paramref name="clrType"/>.</summary>
    /// <param name="clrType">The CLR type of the values, after any value converter.</param>
    public LsmTypeMapping(Type clrType)
        : base(new CoreTypeMappingParameters(clrType))
    {
    }

    private LsmTypeMapping(CoreTypeMappingParameters parameters)
        : base(parameters)
    {
    }

    /// <inheritdoc />
    protected override CoreTypeMapping Clone(CoreTypeMappingParameters parameters) => new LsmTypeMapping(parameters);

    /// <inheritdoc />
    public override CoreTypeMapping WithComposedConverter(
        Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? converter,
        ValueComparer? comparer = null,
        ValueComparer? keyComparer = null,
        CoreTypeMapping? elementMapping = null,
        JsonValueReaderWriter? jsonValueReaderWriter = null) =>
        new LsmTypeMapping(Parameters.WithComposedConverter(converter, comparer, keyComparer, elementMapping, jsonValueReaderWriter));
}
