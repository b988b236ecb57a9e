using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using MessagePack;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// What a stored-schema difference is, as the drift record writes it (docs/catalog.md, "Drift records"). Written to disk: do
/// not change the numbers.
/// </summary>
internal enum SchemaDriftKind
{
    /// <summary>An entity type with a record in the catalog is not in the model; its rows are kept.</summary>
    EntityTypeNotInModel = 0,

    /// <summary>A property with an id in the catalog is not in the model; its values are kept.</summary>
    PropertyNotInModel = 1,

    /// <summary>A property's stored type differs from the model's and its values are converted when read.</summary>
    PropertyTypeConverted = 2,

    /// <summary>The model was refused: a look-alike rename of an entity type or property with data.</summary>
    RenameRefused = 3,

    /// <summary>The model was refused for another difference a migration must resolve (a changed key, a lossy type change…).</summary>
    ModelRefused = 4,
}

/// <summary>
/// One difference between the catalog and a model: what it is, the entity type (<c>IEntityType.Name</c>, as the catalog names
/// it), the property as the catalog names it (its stored name, <c>Sender/Code</c>) and as migrations name it (its column,
/// <c>Sender_Code</c>), and the message logged or thrown for it.
/// </summary>
internal sealed record SchemaDriftEntry(SchemaDriftKind Kind, string EntityType, string? Property, string? Column, string Message)
{
    /// <summary>The public form of a tolerated difference; null for a refusal (which is thrown, not listed).</summary>
    public LsmSchemaDifference? ToDifference() => Kind switch
    {
        SchemaDriftKind.EntityTypeNotInModel => new(LsmSchemaDifferenceKind.EntityTypeNotInModel, EntityType, Property, Message),
        SchemaDriftKind.PropertyNotInModel => new(LsmSchemaDifferenceKind.PropertyNotInModel, EntityType, Property, Message),
        SchemaDriftKind.PropertyTypeConverted => new(LsmSchemaDifferenceKind.PropertyTypeConverted, EntityType, Property, Message),
        _ => null,
    };

    /// <summary>Whether the entry is a refusal of the model rather than a tolerated difference.</summary>
    public bool IsRefusal => Kind is SchemaDriftKind.RenameRefused or SchemaDriftKind.ModelRefused;
}

/// <summary>
/// The drift records of the catalog keyspace (docs/catalog.md, "Drift records"): <c>(0, 5, contextName)</c> → what the
/// provider found when a context of that type first used the database with its model: the tolerated differences, or the
/// refusal that stopped it. Written only when it changes, deleted when the model matches the catalog again, so that
/// <c>lsm catalog</c> and <c>lsm info</c>, which have no EF model, can report the drift the application saw.
/// </summary>
internal static class SchemaDriftRecord
{
    /// <summary>The format of the record's entries; a reader refuses a larger one. Written to disk.</summary>
    public const int FormatVersion = 1;

    // Field numbers of the drift map, and the length of an entry. Written to disk: do not change.
    private const uint FormatVersionField = 1;
    private const uint EntriesField = 2;
    private const int EntryLength = 5;

    /// <summary>How errors name the drift record of <paramref name="contextName"/>.</summary>
    public static string Describe(string contextName) => $"the drift record (0, 5, '{contextName}') of context '{contextName}'";

    public static byte[] Encode(IReadOnlyList<SchemaDriftEntry> entries)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.Write(FormatVersionField);
        writer.Write(FormatVersion);
        writer.Write(EntriesField);
        writer.WriteArrayHeader(entries.Count);
        foreach (var entry in entries)
        {
            writer.WriteArrayHeader(EntryLength);
            writer.Write((int)entry.Kind);
            writer.WriteStrictString(entry.EntityType);
            WriteOptional(ref writer, entry.Property);
            WriteOptional(ref writer, entry.Column);
            writer.WriteStrictString(entry.Message);
        }

        writer.Flush();
        return buffer.ToArray();
    }

    public static IReadOnlyList<SchemaDriftEntry> Decode(string contextName, ReadOnlySpan<byte> value)
    {
        var record = Describe(contextName);
        var fields = CatalogRecordReader.Read(
            value,
            record,
            new Fields(),
            static (ref MessagePackReader reader, uint field, Fields fields) =>
            {
                switch (field)
                {
                    case FormatVersionField:
                        fields.Version = reader.ReadInt32();
                        return true;
                    case EntriesField:
                        var count = reader.ReadArrayHeader();
                        for (var i = 0; i < count; i++)
                        {
                            CatalogRecordReader.ExpectArray(ref reader, EntryLength, "a drift entry");
                            var kind = reader.ReadInt32();
                            var entityType = reader.ReadString()!;
                            var property = reader.TryReadNil() ? null : reader.ReadString();
                            var column = reader.TryReadNil() ? null : reader.ReadString();
                            var message = reader.ReadString()!;
                            if (!Enum.IsDefined((SchemaDriftKind)kind))
                            {
                                fields.Damage = $"has an entry of unknown kind {kind}";
                            }

                            fields.Entries.Add(new SchemaDriftEntry((SchemaDriftKind)kind, entityType, property, column, message));
                        }

                        return true;
                    default:
                        return false;
                }
            });

        if (fields.Version > FormatVersion)
        {
            throw new LsmStoredDataException(
                $"The catalog (keyspace 0) of the EFCore.Lsm database has {record} in format version {fields.Version}; this "
                + $"provider reads version {FormatVersion} and older. Use a newer EFCore.Lsm.");
        }

        if (fields.Version < 1 || fields.Damage is not null)
        {
            throw CatalogRecordReader.Damaged(record, fields.Damage ?? "is malformed (no format version)");
        }

        return fields.Entries;
    }

    /// <summary>Every drift record <paramref name="view"/> sees, by context name (ordinal order).</summary>
    public static SortedDictionary<string, IReadOnlyList<SchemaDriftEntry>> LoadAll(ILsmReadView view)
    {
        var records = new SortedDictionary<string, IReadOnlyList<SchemaDriftEntry>>(StringComparer.Ordinal);
        var prefix = CatalogKeys.KindPrefix(CatalogKeys.DriftKind);
        using var cursor = view.Scan(prefix, KeyRange.PrefixSuccessor(prefix)!);
        while (cursor.MoveNext())
        {
            var reader = new KeyReader(cursor.Key[prefix.Length..]);
            var name = reader.ReadString();
            records[name] = Decode(name, cursor.Value);
        }

        return records;
    }

    private static void WriteOptional(ref MessagePackWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteStrictString(value);
        }
    }

    private sealed class Fields
    {
        public int Version { get; set; } = -1;

        public string? Damage { get; set; }

        public List<SchemaDriftEntry> Entries { get; } = [];
    }
}
