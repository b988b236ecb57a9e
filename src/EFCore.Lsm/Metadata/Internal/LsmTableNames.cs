using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// The table and column names EF's relational conventions give entity types and properties, which migrations use: the
/// table of an entity type is its root type's <c>ToTable</c> name, which the provider's conventions set to the name of the
/// context's <c>DbSet</c> for it (as relational providers do), or else its short CLR name; a column is its property's
/// <c>HasColumnName</c>, or else the property name (for a member of a complex property, its path joined by '_').
/// </summary>
internal static class LsmTableNames
{
    public const string TableNameAnnotation = "Relational:TableName";
    public const string ColumnNameAnnotation = "Relational:ColumnName";
    public const string DefaultValueAnnotation = "Relational:DefaultValue";
    public const string ColumnTypeAnnotation = "Relational:ColumnType";

    public static string Of(IReadOnlyEntityType entityType)
    {
        var root = entityType.GetRootType();
        return root.FindAnnotation(TableNameAnnotation)?.Value as string ?? root.ShortName();
    }

    public static string ColumnOf(IReadOnlyProperty property) =>
        property.FindAnnotation(ColumnNameAnnotation)?.Value as string ?? ComplexPrefix(property.DeclaringType) + property.Name;

    // A member of a complex property is named after its path, as EF's relational conventions name its column (Address_City).
    private static string ComplexPrefix(IReadOnlyTypeBase type) =>
        type is IReadOnlyComplexType complex ? ComplexPrefix(complex.ComplexProperty.DeclaringType) + complex.ComplexProperty.Name + "_" : "";

    /// <summary>The short name of an entity type name as EF forms it: the part after the last '.' or '+'.</summary>
    public static string ShortName(string entityTypeName)
    {
        var cut = entityTypeName.LastIndexOfAny(['.', '+']);
        return cut < 0 ? entityTypeName : entityTypeName[(cut + 1)..];
    }
}
