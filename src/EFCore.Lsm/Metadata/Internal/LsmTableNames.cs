using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// The table and column names EF's relational conventions give entity types and properties, which migrations use: the
/// table of an entity type is its root type's <c>ToTable</c> name, which the provider's conventions set to the name of the
/// context's <c>DbSet</c> for it (as relational providers do), or else its short CLR name; a column is its property's
/// <c>HasColumnName</c>, or else the property name prefixed by its path from the row as EF's relational conventions join it
/// with '_': <c>Origin_City</c> for a member of a complex property, <c>Home_City</c> for a member of an owned reference,
/// <c>Home_Geo_Latitude</c> and <c>Home_Label_Text</c> nested in one. An owned collection's elements are rows of a table
/// of their own in EF's relational mapping, not columns of their owner's, so their members' names start afresh.
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
        property.FindAnnotation(ColumnNameAnnotation)?.Value as string ?? PathPrefix(property.DeclaringType) + property.Name;

    // The names of the complex properties and owned references between the row and a member, each followed by '_', as EF's
    // relational conventions name the columns of values stored in their owner's table (table splitting).
    private static string PathPrefix(IReadOnlyTypeBase type) =>
        type switch
        {
            IReadOnlyComplexType complex => PathPrefix(complex.ComplexProperty.DeclaringType) + complex.ComplexProperty.Name + "_",
            IReadOnlyEntityType owned when owned.FindOwnership() is { PrincipalToDependent: { IsCollection: false } navigation } ownership =>
                PathPrefix(ownership.PrincipalEntityType) + navigation.Name + "_",
            _ => "",
        };

    /// <summary>The short name of an entity type name as EF forms it: the part after the last '.' or '+'.</summary>
    public static string ShortName(string entityTypeName)
    {
        var cut = entityTypeName.LastIndexOfAny(['.', '+']);
        return cut < 0 ? entityTypeName : entityTypeName[(cut + 1)..];
    }
}
