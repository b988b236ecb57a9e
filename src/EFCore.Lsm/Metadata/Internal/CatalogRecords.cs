using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>One property of an entity type as the catalog records it (docs/catalog.md).</summary>
/// <param name="Id">The stable property id, the key of the property's value in every row; never reused.</param>
/// <param name="Name">The EF property name.</param>
/// <param name="ProviderType">The provider CLR type's full name (after value conversion), nullable unwrapped.</param>
/// <param name="Retired">Whether the model no longer has the property; its id stays taken.</param>
internal sealed record CatalogProperty(uint Id, string Name, string ProviderType, bool Retired);

/// <summary>One part of an entity type's primary key as the catalog records it.</summary>
internal sealed record CatalogKeyPart(uint PropertyId, string ProviderType, bool Descending);

/// <summary>An entity type's catalog record: where its rows live and how its keys and values are laid out.</summary>
internal sealed record CatalogEntity(
    string Name,
    long KeyspaceId,
    int ValueFormatVersion,
    uint NextPropertyId,
    IReadOnlyList<CatalogProperty> Properties,
    IReadOnlyList<CatalogKeyPart> KeyParts)
{
    // Field numbers of the record's MessagePack map. Written to disk: do not change.
    private const uint KeyspaceIdField = 1;
    private const uint ValueFormatField = 2;
    private const uint NextPropertyIdField = 3;
    private const uint PropertiesField = 4;
    private const uint KeyPartsField = 5;

    public byte[] Encode()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5);
        writer.WriteUInt64(KeyspaceIdField);
        writer.WriteInt64(KeyspaceId);
        writer.WriteUInt64(ValueFormatField);
        writer.WriteInt64(ValueFormatVersion);
        writer.WriteUInt64(NextPropertyIdField);
        writer.WriteUInt64(NextPropertyId);
        writer.WriteUInt64(PropertiesField);
        writer.WriteArrayHeader((uint)Properties.Count);
        foreach (var property in Properties)
        {
            writer.WriteArrayHeader(4);
            writer.WriteUInt64(property.Id);
            writer.WriteString(property.Name);
            writer.WriteString(property.ProviderType);
            writer.WriteBoolean(property.Retired);
        }

        writer.WriteUInt64(KeyPartsField);
        writer.WriteArrayHeader((uint)KeyParts.Count);
        foreach (var part in KeyParts)
        {
            writer.WriteArrayHeader(3);
            writer.WriteUInt64(part.PropertyId);
            writer.WriteString(part.ProviderType);
            writer.WriteBoolean(part.Descending);
        }

        return buffer.ToArray();
    }

    public static CatalogEntity Decode(string name, ReadOnlySpan<byte> value)
    {
        var reader = new MessagePackReader(value);
        long keyspaceId = -1;
        var valueFormat = 0;
        uint nextPropertyId = 0;
        var properties = new List<CatalogProperty>();
        var keyParts = new List<CatalogKeyPart>();
        var fields = reader.ReadMapHeader();
        for (var i = 0; i < fields; i++)
        {
            switch (reader.ReadUInt32())
            {
                case KeyspaceIdField:
                    keyspaceId = reader.ReadInt64();
                    break;
                case ValueFormatField:
                    valueFormat = reader.ReadInt32();
                    break;
                case NextPropertyIdField:
                    nextPropertyId = reader.ReadUInt32();
                    break;
                case PropertiesField:
                    var propertyCount = reader.ReadArrayHeader();
                    for (var p = 0; p < propertyCount; p++)
                    {
                        ExpectArray(ref reader, 4, name);
                        properties.Add(new CatalogProperty(
                            reader.ReadUInt32(), reader.ReadString(), reader.ReadString(), reader.ReadBoolean()));
                    }

                    break;
                case KeyPartsField:
                    var partCount = reader.ReadArrayHeader();
                    for (var p = 0; p < partCount; p++)
                    {
                        ExpectArray(ref reader, 3, name);
                        keyParts.Add(new CatalogKeyPart(reader.ReadUInt32(), reader.ReadString(), reader.ReadBoolean()));
                    }

                    break;
                default:
                    // A field written by a later catalog version: skipping keeps this reader forward compatible.
                    reader.Skip();
                    break;
            }
        }

        if (keyspaceId <= CatalogKeys.CatalogKeyspaceId || !reader.End)
        {
            throw new MessagePackFormatException(reader.Position, $"the catalog record of entity type '{name}' is malformed");
        }

        return new CatalogEntity(name, keyspaceId, valueFormat, nextPropertyId, properties, keyParts);
    }

    private static void ExpectArray(ref MessagePackReader reader, int length, string name)
    {
        var position = reader.Position;
        if (reader.ReadArrayHeader() != length)
        {
            throw new MessagePackFormatException(position, $"a catalog entry of entity type '{name}' does not have {length} fields");
        }
    }
}
