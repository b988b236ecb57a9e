using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using MessagePack;

namespace EFCore.Lsm.Tool.Entities;

/// <summary>
/// The EF catalog of a database as it is stored (docs/catalog.md), read with the provider's own catalog reader and
/// nothing of the application: entity types by name, their keyspaces, properties and key schemas. The entity commands
/// decode rows and encode keys through it, with the provider's key writer and row codecs, so what they show is what the
/// provider reads.
/// </summary>
internal sealed class StoredSchema
{
    private StoredSchema(LsmCatalog catalog, IReadOnlyDictionary<string, IReadOnlyList<SchemaDriftEntry>> drift)
    {
        Catalog = catalog;
        Drift = drift;
        Entities = [.. catalog.Entities.Values.OrderBy(e => e.KeyspaceId).Select(e => new StoredEntity(e))];
    }

    /// <summary>The drift records (docs/catalog.md, "Drift records"), by context name: what each application context found.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<SchemaDriftEntry>> Drift { get; }

    /// <summary>The catalog as the provider loads it.</summary>
    public LsmCatalog Catalog { get; }

    /// <summary>The entity types, by keyspace id.</summary>
    public IReadOnlyList<StoredEntity> Entities { get; }

    /// <summary>
    /// Reads the catalog at <paramref name="view"/>; throws <see cref="ToolException"/> when the database has none (an lsm
    /// database that EFCore.Lsm never wrote to, or one whose catalog was deleted).
    /// </summary>
    public static StoredSchema Load(ILsmReadView view, string database)
    {
        var catalog = LsmCatalog.Load(view);
        if (!catalog.Exists)
        {
            throw new ToolException(
                ExitCodes.BadInput,
                $"'{database}' holds no EF catalog: it is an lsm database, but EFCore.Lsm has not created it (use the raw "
                + "commands, e.g. 'lsm scan', for its keys).");
        }

        return new StoredSchema(catalog, SchemaDriftRecord.LoadAll(view));
    }

    /// <summary>
    /// The entity type named <paramref name="name"/>: its full EF name ("MyApp.Blog"), or, when only one type has it, its
    /// short name ("Blog"), compared ignoring case when nothing matches exactly. Throws <see cref="ToolException"/> listing
    /// the stored names when none or several match.
    /// </summary>
    public StoredEntity Find(string name)
    {
        var exact = Entities.FirstOrDefault(e => e.Name == name);
        if (exact is not null)
        {
            return exact;
        }

        foreach (var comparison in new[] { StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase })
        {
            var matches = Entities
                .Where(e => string.Equals(e.Name, name, comparison) || string.Equals(e.ShortName, name, comparison))
                .ToList();
            if (matches.Count == 1)
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new ToolException(
                    ExitCodes.BadInput,
                    $"The entity name '{name}' is ambiguous: it names {string.Join(", ", matches.Select(m => m.Name))}; give the full name.");
            }
        }

        var known = Entities.Count == 0 ? "none" : string.Join(", ", Entities.Select(e => e.Name));
        throw new ToolException(ExitCodes.BadInput, $"The database has no entity type '{name}'. Stored entity types: {known}.");
    }
}

/// <summary>One entity type as the catalog records it, with its row decoding and key encoding.</summary>
internal sealed class StoredEntity
{
    public StoredEntity(CatalogEntity catalog)
    {
        Catalog = catalog;
        var lastDot = catalog.Name.LastIndexOfAny(['.', '+']);
        ShortName = lastDot < 0 ? catalog.Name : catalog.Name[(lastDot + 1)..];
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);

        var live = catalog.Properties.Where(p => !p.Retired).ToDictionary(p => p.Id, p => new StoredProperty(p));
        KeyParts = [.. catalog.KeyParts.Select(part => live[part.PropertyId])];
        DescendingKey = catalog.KeyParts.Any(p => p.Descending);
        // Owned values are nested in their navigation's value (docs/row_encoding.md, "Owned values"): a column per owned
        // navigation, whose members are shown inside it.
        foreach (var navigation in live.Values.Where(p => p.Property.IsOwnedNavigation))
        {
            var prefix = navigation.Name + LsmRowLayout.PathSeparator;
            navigation.Members = live.Values
                .Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal) && p.Name.IndexOf(LsmRowLayout.PathSeparator, prefix.Length) < 0)
                .ToDictionary(p => p.Id);
        }

        // A complex collection's value is an array of element maps (docs/row_encoding.md, "Complex collections"): a column per
        // collection, whose elements' members (Lines[].Product) are shown inside it.
        foreach (var collection in live.Values.Where(p => p.ProviderType == CatalogProperty.ComplexCollectionType))
        {
            collection.Members = live.Values.Where(p => p.Property.ComplexCollectionName == collection.Name).ToDictionary(p => p.Id);
        }

        Columns = [.. KeyParts, .. live.Values.Where(p => !KeyParts.Contains(p) && !p.Property.IsOwnedMember).OrderBy(p => p.Id)];
        Retired = [.. catalog.Properties.Where(p => p.Retired).OrderBy(p => p.Id)];
    }

    public CatalogEntity Catalog { get; }

    /// <summary>The EF entity type name, e.g. "MyApp.Blog".</summary>
    public string Name => Catalog.Name;

    /// <summary>The name without its namespace, e.g. "Blog".</summary>
    public string ShortName { get; }

    public long KeyspaceId => Catalog.KeyspaceId;

    public byte[] KeyspaceLowerBound { get; }

    public byte[] KeyspaceUpperBound { get; }

    /// <summary>The primary key parts, in key order.</summary>
    public IReadOnlyList<StoredProperty> KeyParts { get; }

    /// <summary>Whether any key part is stored descending (which the catalog allows but no provider version writes yet).</summary>
    public bool DescendingKey { get; }

    /// <summary>The live properties as the entity commands show them: the key parts in key order, then the rest by id.</summary>
    public IReadOnlyList<StoredProperty> Columns { get; }

    /// <summary>Properties that left the model; their ids stay taken and old rows may still hold their values.</summary>
    public IReadOnlyList<CatalogProperty> Retired { get; }

    /// <summary>"Name (Title, Year desc) unique, keyspace 4, ready".</summary>
    public string DescribeIndex(CatalogIndex index) =>
        $"{index.Name} ({string.Join(", ", index.PropertyIds.Select((id, i) => PropertyName(id) + (index.Descending[i] ? " desc" : "")))})"
        + (index.Unique ? " unique" : "")
        + $", keyspace {index.KeyspaceId}, {index.State.ToString().ToLowerInvariant()}";

    /// <summary>The name of property <paramref name="id"/>, live or retired ("#7" when the catalog has no such id).</summary>
    public string PropertyName(uint id) => Catalog.Properties.FirstOrDefault(p => p.Id == id)?.Name ?? "#" + id;

    /// <summary>"(Id Int32)", "(CustomerId Int32, Number Int32)".</summary>
    public string DescribeKey() =>
        "(" + string.Join(", ", Catalog.KeyParts.Select((part, i) =>
            KeyParts[i].Name + " " + ShortTypeName(part.ProviderType) + (part.Descending ? " desc" : ""))) + ")";

    /// <summary>
    /// The values of <see cref="Columns"/> in a stored row; a property absent from the row (added to the model after the row
    /// was written) is flagged in <see cref="DecodedRow.Present"/>. Malformed rows raise the provider's
    /// <see cref="MessagePackFormatException"/>.
    /// </summary>
    public DecodedRow DecodeRow(ReadOnlySpan<byte> value)
    {
        var values = new object?[Columns.Count];
        var present = new bool[Columns.Count];
        var row = new RowReader(value);

        // Ids ascending: one pass over the row.
        foreach (var (column, index) in Columns.Select((c, i) => (c, i)).OrderBy(c => c.c.Id))
        {
            if (row.TryFind(column.Id))
            {
                var reader = row.ValueReader;
                values[index] = column.Read(ref reader);
                present[index] = true;
            }
        }

        return new DecodedRow(values, present);
    }

    /// <summary>The row key for primary key values given as command-line text, in key order.</summary>
    public byte[] EncodeKey(IReadOnlyList<string> keyValues)
    {
        if (keyValues.Count != KeyParts.Count)
        {
            throw new ToolException(
                ExitCodes.BadInput,
                $"The primary key of '{Name}' is {DescribeKey()}: give {KeyParts.Count} value(s) in key order, not {keyValues.Count}.");
        }

        return EncodePrefix(KeyParts.Select((part, i) => part.ParseKeyValue(keyValues[i])).ToList());
    }

    /// <summary>The keyspace prefix followed by the leading key parts <paramref name="values"/> (provider values).</summary>
    public byte[] EncodePrefix(IReadOnlyList<object> values)
    {
        if (DescendingKey)
        {
            throw new ToolException(
                ExitCodes.BadInput,
                $"The key of '{Name}' has descending parts, which this version of the tool cannot encode; use 'lsm scan' without --entity.");
        }

        var writer = new KeyWriter(256);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            for (var i = 0; i < values.Count; i++)
            {
                KeyParts[i].WriteKeyPart(ref writer, values[i]);
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>"System.Int32" → "Int32"; names outside System keep their namespace.</summary>
    public static string ShortTypeName(string providerType) =>
        providerType.StartsWith("System.", StringComparison.Ordinal) && providerType.IndexOf('.', 7) < 0
            ? providerType[7..]
            : providerType;
}

/// <summary>One decoded row: values by column, and whether the row holds each column at all.</summary>
internal readonly record struct DecodedRow(object?[] Values, bool[] Present);

/// <summary>An owned value as the entity commands show it: its members by name, in stored order.</summary>
internal sealed class OwnedValue(List<(string Name, object? Value)> members)
{
    public IReadOnlyList<(string Name, object? Value)> Members { get; } = members;
}

/// <summary>
/// A live property: its catalog record and the provider's codec for its provider type. Types the tool cannot load by name
/// are enums of the application (stored as their underlying integer, docs/row_encoding.md), read and parsed as integers.
/// </summary>
internal sealed class StoredProperty
{
    public StoredProperty(CatalogProperty property)
    {
        Property = property;
        var type = Type.GetType(property.ProviderType, throwOnError: false);
        Codec = type is null ? null : ProviderValueCodec.Find(type);
    }

    public CatalogProperty Property { get; }

    public uint Id => Property.Id;

    public string Name => Property.Name;

    public string ProviderType => Property.ProviderType;

    /// <summary>The provider's codec for the type; null for a type the tool cannot load (an application enum).</summary>
    public ProviderValueCodec? Codec { get; }

    /// <summary>For an owned navigation: the stored properties of the owned type (and its owned navigations), by id.</summary>
    public Dictionary<uint, StoredProperty>? Members { get; set; }

    private object? ReadOwned(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (Property.ProviderType == CatalogProperty.OwnedReferenceType)
        {
            return ReadOwnedMap(ref reader);
        }

        var count = reader.ReadArrayHeader();
        var elements = new List<OwnedValue>(count);
        for (var i = 0; i < count; i++)
        {
            // A complex collection's element may be null (nil); an owned collection's never is.
            elements.Add(reader.TryReadNil() ? null! : ReadOwnedMap(ref reader));
        }

        return elements;
    }

    private OwnedValue ReadOwnedMap(ref MessagePackReader reader)
    {
        var count = reader.ReadMapHeader();
        var members = new List<(string, object?)>(count);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadUInt32();
            if (Members?.GetValueOrDefault(id) is { } member)
            {
                members.Add((MemberName(member.Property), member.Read(ref reader)));
            }
            else
            {
                // A member whose id the catalog does not list as live (a dropped one): shown by id, value skipped.
                reader.Skip();
                members.Add(("#" + id, "(dropped)"));
            }
        }

        return new OwnedValue(members);
    }

    /// <summary>
    /// A nested member's name inside its value: after the last <c>/</c> of an owned member (<c>Home/City</c> → <c>City</c>), after
    /// the collection's <c>[].</c> of a complex element member (<c>Lines[].Size.Width</c> → <c>Size.Width</c>).
    /// </summary>
    private static string MemberName(CatalogProperty member) =>
        member.ComplexCollectionName is { } collection
            ? member.Name[(collection.Length + LsmRowLayout.ComplexCollectionElementSuffix.Length + 1)..]
            : member.Name[(member.Name.LastIndexOf(LsmRowLayout.PathSeparator) + 1)..];

    /// <summary>
    /// Reads one stored value (nil reads as null; an owned value as an <see cref="OwnedValue"/> or a list of them, a complex
    /// collection as a list of its elements).
    /// </summary>
    public object? Read(ref MessagePackReader reader)
    {
        if (Property.IsOwnedNavigation || Property.ProviderType == CatalogProperty.ComplexCollectionType)
        {
            return ReadOwned(ref reader);
        }

        if (Codec is not null)
        {
            return Codec.ReadValue(ref reader);
        }

        if (reader.TryReadNil())
        {
            return null;
        }

        // An enum's underlying integer: signed unless it only fits unsigned (uint64 is the only format above long).
        if (reader.NextMessagePackType != MessagePackType.Integer)
        {
            throw new MessagePackFormatException(
                reader.Consumed, $"expected an integer for '{Name}' but found {MessagePackFormatException.Describe(reader.NextCode)}");
        }

        return reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64();
    }

    /// <summary>Parses a key value typed on the command line into this property's provider type.</summary>
    public object ParseKeyValue(string text) =>
        ValueText.Parse(text, Codec?.ProviderType, $"the value '{text}' of key property '{Name}' ({ProviderType})");

    public void WriteKeyPart(ref KeyWriter writer, object value)
    {
        if (Codec is not null)
        {
            Codec.WriteKeyPart(ref writer, value);
        }
        else if (value is ulong unsigned)
        {
            writer.Write(unsigned);
        }
        else
        {
            // Integers encode width-independently (docs/key_encoding.md), so an enum's key is its value as a long.
            writer.Write((long)value);
        }
    }
}
