using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>One property of an entity type as the catalog records it (docs/catalog.md).</summary>
/// <param name="Id">The stable property id, the key of the property's value in every row; never reused.</param>
/// <param name="Name">The EF property name.</param>
/// <param name="ProviderType">The provider CLR type's full name (after value conversion), nullable unwrapped.</param>
/// <param name="Retired">
/// Whether a migration dropped the property (or, in databases written before schema drift was tolerated, the model stopped
/// having it); its values are skipped by readers and its id stays taken. A property the model merely lacks is not retired.
/// </param>
internal sealed record CatalogProperty(uint Id, string Name, string ProviderType, bool Retired)
{
    /// <summary>
    /// The provider type recorded for an owned reference navigation: its value is a nested map (docs/row_encoding.md,
    /// "Owned values"). Written to disk: do not change.
    /// </summary>
    public const string OwnedReferenceType = "EFCore.Lsm:OwnedReference";

    /// <summary>The provider type recorded for an owned collection navigation: its value is an array of nested maps. Written to disk: do not change.</summary>
    public const string OwnedCollectionType = "EFCore.Lsm:OwnedCollection";

    /// <summary>
    /// The provider type recorded for a complex collection (<c>ComplexCollection</c>): its value is an array of element maps
    /// (docs/row_encoding.md, "Complex collections"). Written to disk: do not change.
    /// </summary>
    public const string ComplexCollectionType = "EFCore.Lsm:ComplexCollection";

    /// <summary>Whether the record is an owned navigation's (<see cref="OwnedReferenceType"/>, <see cref="OwnedCollectionType"/>).</summary>
    public bool IsOwnedNavigation => ProviderType is OwnedReferenceType or OwnedCollectionType;

    /// <summary>
    /// Whether the record is a member of a nested value, stored inside another value of the row rather than as a pair of the row
    /// itself: of an owned value (its name is a path, <c>ShippingAddress/City</c>), or of a complex collection's elements
    /// (<see cref="IsComplexElementMember"/>).
    /// </summary>
    public bool IsOwnedMember => Name.Contains(LsmRowLayout.PathSeparator) || IsComplexElementMember;

    /// <summary>
    /// Whether the record is a member of the elements of a complex collection (<c>Lines[].Product</c>, <c>Lines[].Size.Width</c>):
    /// its values are in the element maps of the collection's value (docs/row_encoding.md, "Complex collections").
    /// </summary>
    public bool IsComplexElementMember =>
        Name.Contains(LsmRowLayout.ComplexCollectionElementSuffix + LsmRowLayout.ComplexPathSeparator, StringComparison.Ordinal);

    /// <summary>The stored name of the complex collection whose elements hold this member (<c>Lines</c>); null for any other record.</summary>
    public string? ComplexCollectionName =>
        Name.IndexOf(LsmRowLayout.ComplexCollectionElementSuffix + LsmRowLayout.ComplexPathSeparator, StringComparison.Ordinal) is > 0 and var end
            ? Name[..end]
            : null;
}

/// <summary>One part of an entity type's primary key as the catalog records it.</summary>
internal sealed record CatalogKeyPart(uint PropertyId, string ProviderType, bool Descending);

/// <summary>Whether an index's entries are complete. Written to disk: do not change the numbers.</summary>
internal enum CatalogIndexState
{
    /// <summary>Writes maintain the entries, but rows written before the index existed may lack theirs: queries do not use it.</summary>
    Building = 0,

    /// <summary>Every row has its entries: queries may read the index.</summary>
    Ready = 1,
}

/// <summary>One secondary index of an entity type as the catalog records it (docs/index_encoding.md).</summary>
/// <param name="Name">The index's name (<see cref="LsmCatalog.IndexName"/>).</param>
/// <param name="KeyspaceId">The keyspace of its entries; from the same id space as entity keyspaces, never reused.</param>
/// <param name="PropertyIds">The indexed properties, in index order.</param>
/// <param name="Descending">Per indexed property, whether its part is stored descending.</param>
/// <param name="Unique">Whether two rows may not have equal non-null values.</param>
/// <param name="State">Whether the entries are complete.</param>
internal sealed record CatalogIndex(
    string Name,
    long KeyspaceId,
    IReadOnlyList<uint> PropertyIds,
    IReadOnlyList<bool> Descending,
    bool Unique,
    CatalogIndexState State)
{
    /// <summary>Whether <paramref name="other"/> stores the same entries (same keyspace contents), whatever its state.</summary>
    public bool SameDefinition(CatalogIndex other) =>
        PropertyIds.SequenceEqual(other.PropertyIds) && Descending.SequenceEqual(other.Descending) && Unique == other.Unique;
}

/// <summary>The value rows without a value of property <paramref name="PropertyId"/> read as: one MessagePack value.</summary>
internal sealed record CatalogDefault(uint PropertyId, byte[] Value);

/// <summary>An entity type's catalog record: where its rows live and how its keys and values are laid out.</summary>
internal sealed record CatalogEntity(
    string Name,
    long KeyspaceId,
    int ValueFormatVersion,
    uint NextPropertyId,
    IReadOnlyList<CatalogProperty> Properties,
    IReadOnlyList<CatalogKeyPart> KeyParts)
{
    /// <summary>The entity type's secondary indexes (field 6; absent in records written before indexes existed).</summary>
    public IReadOnlyList<CatalogIndex> Indexes { get; init; } = [];

    /// <summary>
    /// The table name EF's relational conventions give the entity type (field 7), which migrations name it by; null in
    /// records written before migrations existed.
    /// </summary>
    public string? TableName { get; init; }

    /// <summary>
    /// Values that rows without a value of a property read as (field 8), each one MessagePack value: the default of a column
    /// a migration added (<c>AddColumn(defaultValue: …)</c>). A property not listed reads as the model's default.
    /// </summary>
    public IReadOnlyList<CatalogDefault> Defaults { get; init; } = [];

    /// <summary>The table name for messages: <see cref="TableName"/>, or the entity type's short name.</summary>
    public string DisplayTableName => TableName ?? LsmTableNames.ShortName(Name);

    /// <summary>The live (not retired) property named <paramref name="name"/>, or null.</summary>
    public CatalogProperty? FindProperty(string name)
    {
        foreach (var property in Properties)
        {
            if (!property.Retired && property.Name == name)
            {
                return property;
            }
        }

        return null;
    }

    /// <summary>The stored default of property <paramref name="propertyId"/> (MessagePack), or null.</summary>
    public byte[]? FindDefault(uint propertyId)
    {
        foreach (var d in Defaults)
        {
            if (d.PropertyId == propertyId)
            {
                return d.Value;
            }
        }

        return null;
    }

    // Field numbers of the record's MessagePack map. Written to disk: do not change.
    private const uint KeyspaceIdField = 1;
    private const uint ValueFormatField = 2;
    private const uint NextPropertyIdField = 3;
    private const uint PropertiesField = 4;
    private const uint KeyPartsField = 5;
    private const uint IndexesField = 6;
    private const uint TableNameField = 7;
    private const uint DefaultsField = 8;

    public byte[] Encode()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5u + (Indexes.Count > 0 ? 1u : 0u) + (TableName is null ? 0u : 1u) + (Defaults.Count > 0 ? 1u : 0u));
        writer.Write(KeyspaceIdField);
        writer.Write(KeyspaceId);
        writer.Write(ValueFormatField);
        writer.Write(ValueFormatVersion);
        writer.Write(NextPropertyIdField);
        writer.Write(NextPropertyId);
        writer.Write(PropertiesField);
        writer.WriteArrayHeader((uint)Properties.Count);
        foreach (var property in Properties)
        {
            writer.WriteArrayHeader(4);
            writer.Write(property.Id);
            writer.WriteStrictString(property.Name);
            writer.WriteStrictString(property.ProviderType);
            writer.Write(property.Retired);
        }

        writer.Write(KeyPartsField);
        writer.WriteArrayHeader((uint)KeyParts.Count);
        foreach (var part in KeyParts)
        {
            writer.WriteArrayHeader(3);
            writer.Write(part.PropertyId);
            writer.WriteStrictString(part.ProviderType);
            writer.Write(part.Descending);
        }

        if (Indexes.Count > 0)
        {
            writer.Write(IndexesField);
            writer.WriteArrayHeader((uint)Indexes.Count);
            foreach (var index in Indexes)
            {
                writer.WriteArrayHeader(6);
                writer.WriteStrictString(index.Name);
                writer.Write(index.KeyspaceId);
                writer.WriteArrayHeader((uint)index.PropertyIds.Count);
                foreach (var id in index.PropertyIds)
                {
                    writer.Write(id);
                }

                writer.WriteArrayHeader((uint)index.Descending.Count);
                foreach (var descending in index.Descending)
                {
                    writer.Write(descending);
                }

                writer.Write(index.Unique);
                writer.Write((long)index.State);
            }
        }

        if (TableName is not null)
        {
            writer.Write(TableNameField);
            writer.WriteStrictString(TableName);
        }

        if (Defaults.Count > 0)
        {
            writer.Write(DefaultsField);
            writer.WriteArrayHeader((uint)Defaults.Count);
            foreach (var d in Defaults)
            {
                writer.WriteArrayHeader(2);
                writer.Write(d.PropertyId);
                writer.Write(d.Value);
            }
        }

        writer.Flush();
        return buffer.ToArray();
    }

    public static CatalogEntity Decode(string name, ReadOnlySpan<byte> value)
    {
        var record = CatalogRecordReader.Entity(name);
        var fields = CatalogRecordReader.Read(value, record, new EntityFields(name), ReadField);
        if (fields.KeyspaceId <= CatalogKeys.CatalogKeyspaceId)
        {
            throw CatalogRecordReader.Damaged(record, $"has no valid keyspace id ({fields.KeyspaceId})");
        }

        return new CatalogEntity(name, fields.KeyspaceId, fields.ValueFormat, fields.NextPropertyId, fields.Properties, fields.KeyParts)
        {
            Indexes = fields.Indexes,
            TableName = fields.TableName,
            Defaults = fields.Defaults,
        };
    }

    private static bool ReadField(ref MessagePackReader reader, uint field, EntityFields entity)
    {
        var name = entity.Name;
        switch (field)
        {
            case KeyspaceIdField:
                entity.KeyspaceId = reader.ReadInt64();
                return true;
            case ValueFormatField:
                entity.ValueFormat = reader.ReadInt32();
                return true;
            case NextPropertyIdField:
                entity.NextPropertyId = reader.ReadUInt32();
                return true;
            case PropertiesField:
                var propertyCount = reader.ReadArrayHeader();
                for (var p = 0; p < propertyCount; p++)
                {
                    CatalogRecordReader.ExpectArray(ref reader, 4, "a property");
                    entity.Properties.Add(new CatalogProperty(
                        reader.ReadUInt32(), reader.ReadStrictString(), reader.ReadStrictString(), reader.ReadBoolean()));
                }

                return true;
            case KeyPartsField:
                var partCount = reader.ReadArrayHeader();
                for (var p = 0; p < partCount; p++)
                {
                    CatalogRecordReader.ExpectArray(ref reader, 3, "a key part");
                    entity.KeyParts.Add(new CatalogKeyPart(reader.ReadUInt32(), reader.ReadStrictString(), reader.ReadBoolean()));
                }

                return true;
            case IndexesField:
                var indexCount = reader.ReadArrayHeader();
                for (var x = 0; x < indexCount; x++)
                {
                    CatalogRecordReader.ExpectArray(ref reader, 6, "an index");
                    var indexName = reader.ReadStrictString();
                    var indexKeyspace = reader.ReadInt64();
                    var ids = new uint[reader.ReadArrayHeader()];
                    for (var k = 0; k < ids.Length; k++)
                    {
                        ids[k] = reader.ReadUInt32();
                    }

                    var descending = new bool[reader.ReadArrayHeader()];
                    for (var k = 0; k < descending.Length; k++)
                    {
                        descending[k] = reader.ReadBoolean();
                    }

                    var unique = reader.ReadBoolean();
                    var state = (CatalogIndexState)reader.ReadInt32();
                    if (descending.Length != ids.Length || indexKeyspace <= CatalogKeys.CatalogKeyspaceId
                        || state is not (CatalogIndexState.Building or CatalogIndexState.Ready))
                    {
                        throw new MessagePackFormatException(reader.Consumed, $"index '{indexName}' of entity type '{name}' is malformed");
                    }

                    entity.Indexes.Add(new CatalogIndex(indexName, indexKeyspace, ids, descending, unique, state));
                }

                return true;
            case TableNameField:
                entity.TableName = reader.ReadStrictString();
                return true;
            case DefaultsField:
                var defaultCount = reader.ReadArrayHeader();
                for (var d = 0; d < defaultCount; d++)
                {
                    CatalogRecordReader.ExpectArray(ref reader, 2, "a default value");
                    entity.Defaults.Add(new CatalogDefault(reader.ReadUInt32(), reader.ReadStrictBytes()));
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>The fields of an entity record as they are read.</summary>
    private sealed class EntityFields(string name)
    {
        public string Name { get; } = name;

        public long KeyspaceId { get; set; } = -1;

        public int ValueFormat { get; set; }

        public uint NextPropertyId { get; set; }

        public List<CatalogProperty> Properties { get; } = [];

        public List<CatalogKeyPart> KeyParts { get; } = [];

        public List<CatalogIndex> Indexes { get; } = [];

        public string? TableName { get; set; }

        public List<CatalogDefault> Defaults { get; } = [];
    }
}
