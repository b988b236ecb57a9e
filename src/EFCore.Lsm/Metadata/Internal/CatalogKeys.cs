using EFCore.Lsm.KeyEncoding.Internal;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// The keys of the reserved catalog keyspace (docs/catalog.md). Every catalog key starts with keyspace id 0 as an
/// encoded integer part, then a record kind. Written to disk: do not change the numbers.
/// </summary>
internal static class CatalogKeys
{
    /// <summary>The catalog's own keyspace id; entity keyspaces start at 1.</summary>
    public const long CatalogKeyspaceId = 0;

    /// <summary>Record kind of the header: (0, 0) → catalog format version and the next keyspace id.</summary>
    public const long HeaderKind = 0;

    /// <summary>Record kind of an entity type: (0, 1, entity type name) → its keyspace, properties and key schema.</summary>
    public const long EntityKind = 1;

    /// <summary>Record kind of a key generator: (0, 2, keyspace id, property id) → the end of its last allocated block.</summary>
    public const long GeneratorKind = 2;

    /// <summary>Record kind of an applied migration: (0, 3, migration id) → its product version (docs/migrations.md).</summary>
    public const long HistoryKind = 3;

    /// <summary>Record kind of the migration in progress: (0, 4) → what it reserved and what to clean up (docs/migrations.md).</summary>
    public const long MigrationStateKind = 4;

    /// <summary>
    /// Record kind of a drift record: (0, 5, context type name) → the differences between the catalog and that context's model
    /// found when it first used the database (docs/catalog.md, "Drift records").
    /// </summary>
    public const long DriftKind = 5;

    /// <summary>Exclusive upper bound of the catalog keyspace: every catalog key sorts below it, every row key above.</summary>
    public static byte[] CatalogUpperBound { get; } = KeyRange.AfterParts(KeyspacePrefix(CatalogKeyspaceId));

    /// <summary>
    /// Exclusive upper bound of every key the provider writes: keys start with an encoded integer part, whose type codes
    /// are all below 0xFF.
    /// </summary>
    public static byte[] AllKeysUpperBound { get; } = [0xFF];

    /// <summary>
    /// Inclusive lower bound of the schema records (the header and the entity records, kinds 0 and 1), which change
    /// together and are guarded together; key generators (kind 2) change on their own and sort after them.
    /// </summary>
    public static byte[] SchemaLowerBound { get; } = KindPrefix(HeaderKind);

    /// <summary>Exclusive upper bound of the schema records.</summary>
    public static byte[] SchemaUpperBound { get; } = KindPrefix(GeneratorKind);

    public static byte[] Header() => Build(HeaderKind, static (ref w) => { });

    public static byte[] Entity(string entityTypeName) => Build(EntityKind, (ref w) => w.Write(entityTypeName.AsSpan()));

    public static byte[] Generator(long keyspaceId, uint propertyId) =>
        Build(GeneratorKind, (ref w) =>
        {
            w.Write(keyspaceId);
            w.Write(propertyId);
        });

    public static byte[] History(string migrationId) => Build(HistoryKind, (ref w) => w.Write(migrationId.AsSpan()));

    public static byte[] Drift(string contextName) => Build(DriftKind, (ref w) => w.Write(contextName.AsSpan()));

    public static byte[] MigrationState() => Build(MigrationStateKind, static (ref w) => { });

    /// <summary>The key range of the generator records of keyspace <paramref name="keyspaceId"/>.</summary>
    public static (byte[] Lower, byte[] Upper) GeneratorsOf(long keyspaceId)
    {
        var lower = Build(GeneratorKind, (ref w) => w.Write(keyspaceId));
        return (lower, KeyRange.AfterParts(lower));
    }

    /// <summary>The bytes every key of record kind <paramref name="kind"/> starts with.</summary>
    public static byte[] KindPrefix(long kind) => Build(kind, static (ref w) => { });

    /// <summary>The encoded keyspace-id part that starts every row key of <paramref name="keyspaceId"/>.</summary>
    public static byte[] KeyspacePrefix(long keyspaceId)
    {
        var writer = new KeyWriter(16);
        try
        {
            writer.Write(keyspaceId);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private delegate void PartsWriter(ref KeyWriter writer);

    private static byte[] Build(long kind, PartsWriter rest)
    {
        var writer = new KeyWriter(64);
        try
        {
            writer.Write(CatalogKeyspaceId);
            writer.Write(kind);
            rest(ref writer);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }
}
