namespace EFCore.Lsm.Metadata;

/// <summary>What kind of difference between the stored schema and the model an <see cref="LsmSchemaDifference"/> is.</summary>
public enum LsmSchemaDifferenceKind
{
    /// <summary>An entity type has rows in the database but is not in the model; the rows are kept.</summary>
    EntityTypeNotInModel,

    /// <summary>A property has stored values but is not in the model; the values are kept, and saves carry them over.</summary>
    PropertyNotInModel,

    /// <summary>A property's stored type differs from the model's; stored values convert without loss when read.</summary>
    PropertyTypeConverted,
}

/// <summary>
/// One difference between the schema recorded in an EFCore.Lsm database and a context's model that the provider tolerates
/// without losing data, until a migration resolves it (docs/migrations.md). Logged as a warning when a context first opens
/// the database, and listed by <c>LsmDatabaseFacadeExtensions.GetLsmSchemaDifferences</c>.
/// </summary>
/// <param name="Kind">What differs.</param>
/// <param name="EntityType">The entity type's name (<c>IEntityType.Name</c>).</param>
/// <param name="Property">The property's name, for property differences.</param>
/// <param name="Message">What differs, what the provider does about it, and the migration that resolves it.</param>
public sealed record LsmSchemaDifference(LsmSchemaDifferenceKind Kind, string EntityType, string? Property, string Message);
