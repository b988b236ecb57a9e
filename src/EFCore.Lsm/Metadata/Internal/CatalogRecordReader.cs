using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using MessagePack;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>Reads one field of a catalog record into <paramref name="record"/>; false for a field number it does not know.</summary>
internal delegate bool CatalogFieldReader<in TRecord>(ref MessagePackReader reader, uint field, TRecord record);

/// <summary>
/// The one reader of the records of the catalog keyspace (docs/catalog.md: the header, entity records, history records, the
/// migration state): each is a MessagePack map {field number: value}, read field by field, a field number this version does
/// not know skipped (a later version's; that keeps old readers forward compatible), and nothing may follow the map. Whatever is
/// wrong with the bytes (an exception of the MessagePack package, a field of the wrong type or shape, a record that ends
/// early or goes on) is raised as the provider's typed stored-data error, <see cref="LsmStoredDataException"/>, naming the
/// record and its key in the catalog keyspace; a package exception never escapes.
/// </summary>
internal static class CatalogRecordReader
{
    /// <summary>Reads <paramref name="value"/>, the record described as <paramref name="record"/>, into <paramref name="fields"/>.</summary>
    public static TRecord Read<TRecord>(ReadOnlySpan<byte> value, string record, TRecord fields, CatalogFieldReader<TRecord> readField)
    {
        var reader = new MessagePackReader(value.ToArray());
        try
        {
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                if (!readField(ref reader, reader.ReadUInt32(), fields))
                {
                    reader.SkipValue();
                }
            }

            if (!reader.End)
            {
                throw new MessagePackFormatException(reader.Consumed, "bytes follow the record's map");
            }

            return fields;
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw Damaged(record, MessagePackFormatException.FromPackage(e, reader.Sequence, reader.Consumed, "a field of the record"));
        }
        catch (MessagePackFormatException e)
        {
            throw Damaged(record, e);
        }
    }

    /// <summary>How errors name the header record (0, 0).</summary>
    public const string Header = "the header record (0, 0)";

    /// <summary>How errors name the migration state record (0, 4).</summary>
    public const string MigrationState = "the migration state record (0, 4)";

    /// <summary>How errors name the record (0, 1, name) of an entity type.</summary>
    public static string Entity(string name) => $"the record (0, 1, '{name}') of entity type '{name}'";

    /// <summary>How errors name the history record (0, 3, id) of a migration.</summary>
    public static string History(string migrationId) => $"the history record (0, 3, '{migrationId}') of migration '{migrationId}'";

    /// <summary>Reads an array header that must announce <paramref name="length"/> items (an entry of a record's list field).</summary>
    public static void ExpectArray(ref MessagePackReader reader, int length, string entry)
    {
        var position = reader.Consumed;
        if (reader.ReadArrayHeader() != length)
        {
            throw new MessagePackFormatException(position, $"{entry} does not have {length} fields");
        }
    }

    /// <summary>The typed error for a record whose fields are readable but say something impossible.</summary>
    public static LsmStoredDataException Damaged(string record, string reason) =>
        new($"The catalog (keyspace 0) of the EFCore.Lsm database is damaged: {record} {reason}.");

    private static LsmStoredDataException Damaged(string record, MessagePackFormatException e) =>
        new($"The catalog (keyspace 0) of the EFCore.Lsm database is damaged: {record} cannot be read ({e.Message}).", e);
}
