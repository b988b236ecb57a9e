using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// How the rows of one entity type hierarchy are stored (TPH: the root and all its derived types share the root's keyspace,
/// docs/catalog.md): row key = keyspace id part + the primary key parts (after value converters), row value = a MessagePack
/// map from property id to value for every property of the row's type, key properties and the discriminator included.
/// Decoded rows are in the <see cref="Layout"/> of the root (one slot per property of the hierarchy). This is what the query
/// pipeline and the save path read and write through: <see cref="EncodeKey(ReadOnlySpan{object})"/>,
/// <see cref="KeyspaceLowerBound"/>/<see cref="KeyspaceUpperBound"/>, <see cref="DecodeRow(ReadOnlySpan{byte}, bool[])"/>,
/// <see cref="EncodeRow"/>.
/// </summary>
internal sealed class LsmEntityMapping
{
    private readonly PropertyMapping[] _bySlot;
    private readonly PropertyMapping[] _byId;
    private readonly int[] _slotById;
    private readonly PropertyMapping[] _key;
    private readonly Dictionary<IEntityType, TypeMapping> _types = [];
    private readonly uint[] _preservedIds;
    private readonly Dictionary<uint, LsmOwnedMember> _ownedById = [];
    private readonly string[] _droppedOwnedMembers;
    private readonly Dictionary<uint, LsmComplexCollectionMapping> _complexCollectionById = [];

    // The catalog name of every id (retired ones too), to name the member whose stored value is damaged.
    private readonly Dictionary<uint, string> _storedNameById;

    // Model values of properties a row lacks (added after it was written, PropertyMapping.MissingValue): by slot for the
    // properties every row of the hierarchy has (null when all of them read as null); the ones declared on derived types
    // apply only to rows of a type that has them, found by the row's discriminator.
    private readonly object?[]? _missingBySlot;
    private readonly bool _hasDerivedMissingValues;
    private readonly PropertyMapping? _discriminator;
    private readonly Dictionary<object, TypeMapping> _typesByDiscriminator = [];

    public LsmEntityMapping(IEntityType entityType, CatalogEntity catalog)
    {
        EntityType = entityType.GetRootType();
        Layout = LsmRowLayout.For(EntityType);
        KeyspaceId = catalog.KeyspaceId;
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);

        var live = catalog.Properties.Where(p => !p.Retired).ToDictionary(p => p.Name, StringComparer.Ordinal);
        _storedNameById = catalog.Properties.ToDictionary(p => p.Id, p => p.Name);
        var all = new Dictionary<string, CatalogProperty>(live, StringComparer.Ordinal);
        PropertyMapping Bind(IProperty property, int slot, CatalogProperty stored)
        {
            var converter = property.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            var storedType = LsmCatalog.ProviderTypeName(property) == stored.ProviderType
                ? providerType
                : ProviderTypes.Resolve(stored.ProviderType, EntityType.Model) ?? providerType;
            var codec = ProviderValueCodec.Find(storedType) ?? throw new InvalidOperationException(
                $"The property '{property.DeclaringType.DisplayName()}.{property.Name}' has type '{storedType.Name}', "
                + "which EFCore.Lsm cannot store.");
            var conversion = StoredTypeConversion.Find(storedType, providerType);
            var mapping = new PropertyMapping(property, stored.Id, slot, converter, codec, conversion);
            mapping.SetMissingValue(catalog.FindDefault(stored.Id));
            live.Remove(stored.Name);
            return mapping;
        }

        _bySlot = new PropertyMapping[Layout.TopLevelSlotCount];
        foreach (var slot in Layout.Slots.Take(Layout.TopLevelSlotCount))
        {
            var property = (IProperty)slot.Property;
            _bySlot[slot.Index] = Bind(property, slot.Index, live[Layout.StoredNameOf(property)]);
        }

        // Owned values live in the owner's row (docs/row_encoding.md, "Owned values"): ids of their own, nested under the id of
        // their navigation.
        Owned = new LsmOwnedMap(Layout, [], Layout.OwnedNodes, all, Bind);
        foreach (var (_, name) in Layout.OwnedNavigationNames)
        {
            live.Remove(name);
        }

        foreach (var member in Owned.Members)
        {
            _ownedById[member.Id] = member;
        }

        OwnedGeneratedKeys = [.. Owned.AllValues().Where(p => IsGeneratedIntegerKey(p.Property))];

        // Complex collections are values of the row holding arrays of element maps (docs/row_encoding.md, "Complex collections").
        ComplexCollections = [.. Layout.ComplexCollections.Select(n => new LsmComplexCollectionMapping(n, all, Bind)).OrderBy(c => c.Id)];
        foreach (var collection in ComplexCollections)
        {
            live.Remove(collection.Node.StoredName);
            _complexCollectionById[collection.Id] = collection;
        }

        // A member of an owned value or of the elements of a complex collection the model has, which the catalog has and the
        // model lacks, is inside a nested value that saves rewrite whole. (The members of a collection the model lacks stay
        // in its stored value, which saves carry over whole.)
        var collectionNames = ComplexCollections.Select(c => c.Node.StoredName).ToHashSet(StringComparer.Ordinal);
        _droppedOwnedMembers =
        [
            .. live.Values.Where(p => p.Name.Contains(LsmRowLayout.PathSeparator) || (p.ComplexCollectionName is { } collection && collectionNames.Contains(collection)))
                .Select(p => p.Name),
        ];
        foreach (var dropped in _droppedOwnedMembers)
        {
            live.Remove(dropped);
        }

        // Properties the catalog has and the model lacks: their values stay in the rows, and saves carry them over.
        _preservedIds = [.. live.Values.Select(p => p.Id).Order()];
        _byId = [.. _bySlot.OrderBy(p => p.Id)];
        _slotById = new int[_byId.Length == 0 ? 1 : _byId[^1].Id + 1];
        Array.Fill(_slotById, -1);
        foreach (var property in _bySlot)
        {
            _slotById[property.Id] = property.Slot;
        }

        _key = [.. EntityType.FindPrimaryKey()!.Properties.Select(p => _bySlot[Layout.SlotOf(p)])];
        GeneratedKeys = [.. _key.Where(p => IsGeneratedIntegerKey(p.Property))];
        foreach (var type in LsmRowLayout.HierarchyOf(EntityType))
        {
            var properties = type.GetFlattenedProperties().ToHashSet();
            var written = _byId.Where(p => properties.Contains(p.Property)).ToArray();
            var hasSlot = new bool[_bySlot.Length];
            foreach (var property in written)
            {
                hasSlot[property.Slot] = true;
            }

            var ownedMembers = Owned.Members.Where(m => m.Node.Navigation.DeclaringEntityType.IsAssignableFrom(type)).ToArray();
            var complexCollections = ComplexCollections.Where(c => ((IEntityType)c.Property.DeclaringType).IsAssignableFrom(type)).ToArray();
            _types[type] = new TypeMapping(
                written,
                ownedMembers,
                complexCollections,
                [
                    .. ownedMembers.Select(m => m.Id).Concat(complexCollections.Select(c => c.Id)).Order(),
                ],
                [.. written.Where(p => p.Property.IsConcurrencyToken)],
                [
                    .. written.Select(p => p.Property).Where(p =>
                        p.IsConcurrencyToken && p.ValueGenerated == ValueGenerated.OnAddOrUpdate && p.ClrType == typeof(byte[])),
                ],
                [
                    .. written.Where(p => p.Property.FindAnnotation(LsmTableNames.DefaultValueAnnotation) is not null
                        || catalog.FindDefault(p.Id) is not null),
                ],
                hasSlot);
        }

        if (_bySlot.Any(p => p.MissingValue is not null && LsmRowLayout.DeclaringEntityType(p.Property) == EntityType))
        {
            _missingBySlot = [.. _bySlot.Select(p => LsmRowLayout.DeclaringEntityType(p.Property) == EntityType ? p.MissingValue : null)];
        }

        // Only a derived type's property that reads as non-null when missing needs the row's type; the discriminator says it.
        _hasDerivedMissingValues = _bySlot.Any(p => p.MissingValue is not null && LsmRowLayout.DeclaringEntityType(p.Property) != EntityType);
        if (EntityType.FindDiscriminatorProperty() is { } discriminator && Layout.TryGetSlot(discriminator, out var discriminatorSlot))
        {
            _discriminator = _bySlot[discriminatorSlot];
            foreach (var type in LsmRowLayout.HierarchyOf(EntityType))
            {
                if (type.GetDiscriminatorValue() is { } value)
                {
                    _typesByDiscriminator[value] = _types[type];
                }
            }
        }

        var byId = _bySlot.ToDictionary(p => p.Id);
        var modelIndexes = LsmRowLayout.HierarchyOf(EntityType).SelectMany(t => t.GetDeclaredIndexes())
            .ToDictionary(LsmCatalog.IndexName, StringComparer.Ordinal);
        var modelKeys = LsmRowLayout.HierarchyOf(EntityType).SelectMany(t => t.GetDeclaredKeys()).Where(k => !k.IsPrimaryKey())
            .ToDictionary(LsmCatalog.KeyIndexName, StringComparer.Ordinal);
        Indexes =
        [
            .. catalog.Indexes.Select(index => new LsmIndexMapping(
                this,
                modelIndexes.GetValueOrDefault(index.Name),
                modelKeys.GetValueOrDefault(index.Name),
                index,
                [.. index.PropertyIds.Select(id => byId[id])])),
        ];
    }

    /// <summary>
    /// The mappings of <paramref name="model"/> from their catalog records: one per keyspace (a hierarchy's root), under every
    /// entity type whose rows it stores (keyless types have none), with the foreign keys between them linked (<see cref="ForeignKeys"/>, <see cref="ReferencingForeignKeys"/>).
    /// </summary>
    public static Dictionary<IEntityType, LsmEntityMapping> CreateAll(IModel model, Func<IEntityType, CatalogEntity> catalog)
    {
        var mappings = new Dictionary<IEntityType, LsmEntityMapping>();
        foreach (var root in model.GetEntityTypes().Where(LsmCatalog.HasKeyspace))
        {
            var mapping = new LsmEntityMapping(root, catalog(root));
            foreach (var entityType in LsmRowLayout.HierarchyOf(root))
            {
                mappings[entityType] = mapping;
            }
        }

        foreach (var dependent in mappings.Values.Distinct())
        {
            foreach (var foreignKey in LsmRowLayout.HierarchyOf(dependent.EntityType).SelectMany(t => t.GetDeclaredForeignKeys()))
            {
                if (mappings.TryGetValue(foreignKey.PrincipalEntityType, out var principal))
                {
                    var mapping = new LsmForeignKeyMapping(foreignKey, dependent, principal);
                    dependent._foreignKeys.Add(mapping);
                    principal._referencingForeignKeys.Add(mapping);
                }
            }
        }

        return mappings;
    }

    private readonly List<LsmForeignKeyMapping> _foreignKeys = [];
    private readonly List<LsmForeignKeyMapping> _referencingForeignKeys = [];

    /// <summary>The foreign keys of the hierarchy's types (they are their dependent): each non-null one must name an existing principal.</summary>
    public IReadOnlyList<LsmForeignKeyMapping> ForeignKeys => _foreignKeys;

    /// <summary>The foreign keys that reference a type of the hierarchy (it is their principal): deleting a row applies their delete behaviour.</summary>
    public IReadOnlyList<LsmForeignKeyMapping> ReferencingForeignKeys => _referencingForeignKeys;

    /// <summary>The index that holds one unique entry per value of <paramref name="key"/> (an alternate key), if the catalog has it.</summary>
    public LsmIndexMapping? FindKeyIndex(IReadOnlyKey key)
    {
        var name = LsmCatalog.FindEnforcingIndex(EntityType, key) is { } index ? LsmCatalog.IndexName(index) : LsmCatalog.KeyIndexName(key);
        foreach (var mapping in Indexes)
        {
            if (mapping.Name == name && mapping.IsUnique)
            {
                return mapping;
            }
        }

        return null;
    }

    /// <summary>The mapping of <paramref name="property"/>.</summary>
    public PropertyMapping Property(IProperty property) => _bySlot[Layout.SlotOf(property)];

    /// <summary>The mapping of the property in slot <paramref name="slot"/> of <see cref="Layout"/>.</summary>
    public PropertyMapping PropertyAt(int slot) => _bySlot[slot];

    /// <summary>The root of the hierarchy whose rows this mapping stores.</summary>
    public IEntityType EntityType { get; }

    /// <summary>The owned navigations stored in the rows (docs/row_encoding.md, "Owned values"), bound to their ids.</summary>
    public LsmOwnedMap Owned { get; }

    /// <summary>
    /// The integer key parts of owned collection elements (their ordinal keys) that the provider generates: from the
    /// owner's keyspace's generators, so no two elements of the keyspace get the same value.
    /// </summary>
    public IReadOnlyList<PropertyMapping> OwnedGeneratedKeys { get; }

    /// <summary>Where each property's value is in a decoded row.</summary>
    public LsmRowLayout Layout { get; }

    /// <summary>The secondary indexes of the hierarchy's rows, maintained by every write of them.</summary>
    public IReadOnlyList<LsmIndexMapping> Indexes { get; }

    /// <summary>The index recorded for <paramref name="index"/>, or null when the catalog has none (a read of an unregistered model).</summary>
    public LsmIndexMapping? FindIndex(IReadOnlyIndex index)
    {
        var name = LsmCatalog.IndexName(index);
        foreach (var mapping in Indexes)
        {
            if (mapping.Name == name)
            {
                return mapping;
            }
        }

        return null;
    }

    /// <summary>The stable keyspace id from the catalog; the first part of every row key of the hierarchy.</summary>
    public long KeyspaceId { get; }

    /// <summary>Inclusive lower bound of every row key of the hierarchy: the encoded keyspace id.</summary>
    public byte[] KeyspaceLowerBound { get; }

    /// <summary>Exclusive upper bound of every row key of the hierarchy.</summary>
    public byte[] KeyspaceUpperBound { get; }

    /// <summary>
    /// The integer key parts the provider generates values for (<c>ValueGenerated.OnAdd</c>, not a foreign key): one
    /// generator per part for the whole hierarchy, so no two of its rows get the same value.
    /// </summary>
    public IReadOnlyList<PropertyMapping> GeneratedKeys { get; }

    /// <summary>Whether rows of <paramref name="entityType"/> have concurrency tokens.</summary>
    public bool HasConcurrencyTokens(IEntityType entityType) => TypeOf(entityType).ConcurrencyTokens.Length > 0;

    /// <summary>
    /// Properties of <paramref name="entityType"/> with a column default (<c>HasDefaultValue</c>, or a migration's
    /// <c>defaultValue</c>): an insert that leaves one unset (EF marks it store-generated) stores the default, as a relational
    /// database fills a column default.
    /// </summary>
    public IReadOnlyList<PropertyMapping> DefaultedProperties(IEntityType entityType) => TypeOf(entityType).Defaulted;

    /// <summary>
    /// Whether the catalog has properties the model lacks, whose stored values an update must carry over from the stored row
    /// (<see cref="CarryOver"/>) so that no save loses them.
    /// </summary>
    public bool PreservesValues => _preservedIds.Length > 0;

    /// <summary>
    /// <paramref name="newRow"/> with the values of the properties the model lacks copied from <paramref name="storedRow"/>,
    /// in property id order; <paramref name="newRow"/> itself when the stored row has none of them.
    /// </summary>
    public byte[] CarryOver(byte[] newRow, byte[]? storedRow, PooledByteBufferWriter buffer)
    {
        if (storedRow is null || _preservedIds.Length == 0)
        {
            return newRow;
        }

        // Only rows of a model that lacks stored properties come here (schema drift), so copying their values is fine.
        var kept = new List<(uint Id, byte[] Value)>();
        using var stored = new RowReader(storedRow);
        foreach (var id in _preservedIds)
        {
            if (stored.TryFind(id))
            {
                kept.Add((id, stored.RawValue.ToArray()));
            }
        }

        if (kept.Count == 0)
        {
            return newRow;
        }

        buffer.Reset();
        using var current = new RowReader(newRow);
        var row = new RowWriter(buffer, current.PropertyCount + kept.Count);
        var k = 0;
        while (current.MoveNext())
        {
            for (; k < kept.Count && kept[k].Id < current.PropertyId; k++)
            {
                row.WriteRawValue(kept[k].Id, kept[k].Value);
            }

            row.WriteRawValue(current.PropertyId, current.RawValue);
        }

        for (; k < kept.Count; k++)
        {
            row.WriteRawValue(kept[k].Id, kept[k].Value);
        }

        row.Complete();
        return buffer.ToArray();
    }

    /// <summary>
    /// The row versions (<c>IsRowVersion</c> byte arrays) of <paramref name="entityType"/>'s rows: the store has no row version
    /// of its own, so every insert and update gives them a fresh value, the 16 bytes of a version 7 Guid.
    /// </summary>
    public IReadOnlyList<IProperty> RowVersionProperties(IEntityType entityType) => TypeOf(entityType).RowVersions;

    public IReadOnlyList<PropertyMapping> KeyProperties => _key;

    /// <summary>
    /// The row key for primary key values in model form (before value conversion), in key order. Throws
    /// <see cref="ArgumentException"/> naming the property for a null part, a wrong count, a value that cannot be encoded
    /// (a lone surrogate) or a key over <see cref="KeyEncodingLimits.MaxKeySize"/>.
    /// </summary>
    public byte[] EncodeKey(ReadOnlySpan<object?> keyValues)
    {
        if (keyValues.Length != _key.Length)
        {
            throw new ArgumentException(
                $"The primary key of '{EntityType.DisplayName()}' has {_key.Length} parts, but {keyValues.Length} values were given.",
                nameof(keyValues));
        }

        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            for (var i = 0; i < _key.Length; i++)
            {
                _key[i].WriteKeyPart(ref writer, keyValues[i], EntityType);
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// The keyspace prefix followed by the first <c>leadingValues.Length</c> key parts (model form, as
    /// <see cref="EncodeKey(ReadOnlySpan{object})"/>), then, when <paramref name="stringPrefix"/> is given, the start of the
    /// next part as an unterminated string (docs/key_encoding.md, "Ranges"). Throws <see cref="LsmInvalidEntityException"/>
    /// for a value that no key can hold (null, a lone surrogate, too long).
    /// </summary>
    public byte[] EncodeKeyPrefix(ReadOnlySpan<object?> leadingValues, string? stringPrefix = null)
    {
        if (leadingValues.Length > _key.Length || (stringPrefix is not null && leadingValues.Length == _key.Length))
        {
            throw new ArgumentException(
                $"The primary key of '{EntityType.DisplayName()}' has {_key.Length} parts; a prefix of {leadingValues.Length} "
                + (stringPrefix is null ? "parts" : "parts and a string prefix") + " does not fit.",
                nameof(leadingValues));
        }

        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            for (var i = 0; i < leadingValues.Length; i++)
            {
                _key[i].WriteKeyPart(ref writer, leadingValues[i], EntityType);
            }

            if (stringPrefix is not null)
            {
                try
                {
                    writer.WriteStringPrefix(stringPrefix);
                }
                catch (ArgumentException e)
                {
                    throw new LsmInvalidEntityException(
                        EntityType, _key[leadingValues.Length].Property, "the string prefix cannot be encoded: " + e.Message, e);
                }
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>The row key of <paramref name="entry"/>'s current (or original) key values.</summary>
    public byte[] EncodeKey(IUpdateEntry entry, bool original)
    {
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            foreach (var part in _key)
            {
                var value = original && entry.CanHaveOriginalValue(part.Property)
                    ? entry.GetOriginalValue(part.Property)
                    : entry.GetCurrentValue(part.Property);
                part.WriteKeyPart(ref writer, value, EntityType);
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>The row value of <paramref name="entry"/>: every property of its type's current value, by ascending property id.</summary>
    public byte[] EncodeRow(IUpdateEntry entry, PooledByteBufferWriter buffer)
    {
        var type = TypeOf(entry.EntityType);
        var properties = type.Written;
        var nestedIds = type.NestedValueIds;
        if (nestedIds.Length > 0 && _droppedOwnedMembers.Length > 0)
        {
            throw new NotSupportedException(
                $"Cannot save '{EntityType.DisplayName()}': the database stores the owned or complex collection members "
                + string.Join(", ", _droppedOwnedMembers.Select(n => "'" + n + "'"))
                + " that the model no longer has, inside nested values that a save rewrites whole, so the save would lose them. "
                + "Put them back in the model (their stored values read again); migrations do not yet remove members of nested values.");
        }

        // Owned values and complex collections are encoded first: each is written as one raw value of the row
        // (docs/row_encoding.md, "Owned values", "Complex collections"), merged with the properties by ascending id.
        var nestedValues = nestedIds.Length == 0 ? [] : new byte[nestedIds.Length][];
        for (var i = 0; i < nestedIds.Length; i++)
        {
            nestedValues[i] = _complexCollectionById.TryGetValue(nestedIds[i], out var collection)
                ? collection.Encode(entry)
                : _ownedById[nestedIds[i]].Encode(entry);
        }

        buffer.Reset();
        LsmOwnedMap.WriteMap(buffer, properties, nestedIds, nestedValues, entry);
        return buffer.ToArray();
    }

    /// <summary>The complex collections of the rows, by ascending id (docs/row_encoding.md, "Complex collections").</summary>
    public IReadOnlyList<LsmComplexCollectionMapping> ComplexCollections { get; }

    /// <summary>
    /// The stored row <paramref name="storedRow"/> with the properties of <paramref name="changes"/> set to their model values
    /// (added when the row lacks them) and every other property it holds copied as stored: what a write that changes some
    /// properties of a row it did not materialize stores (an <c>ExecuteUpdate</c>, a database-side SetNull). The row keeps
    /// its type's properties whatever type of the hierarchy it is; properties the model no longer has are not kept, as with
    /// every update. Throws <see cref="LsmInvalidEntityException"/> for a value that cannot be stored.
    /// </summary>
    public byte[] RewriteRow(ReadOnlySpan<byte> storedRow, IReadOnlyList<(PropertyMapping Property, object? Value)> changes, PooledByteBufferWriter buffer)
    {
        var kept = new List<(uint Id, byte[]? Raw, int Change)>();
        using (var row = new RowReader(storedRow))
        {
            while (row.MoveNext())
            {
                var id = row.PropertyId;
                if (((id < _slotById.Length && _slotById[id] >= 0) || _ownedById.ContainsKey(id) || _complexCollectionById.ContainsKey(id))
                    && !Changes(changes, id))
                {
                    kept.Add((id, row.RawValue.ToArray(), -1));
                }
            }
        }

        for (var i = 0; i < changes.Count; i++)
        {
            kept.Add((changes[i].Property.Id, null, i));
        }

        kept.Sort((a, b) => a.Id.CompareTo(b.Id));
        buffer.Reset();
        var writer = new RowWriter(buffer, kept.Count);
        foreach (var (id, raw, change) in kept)
        {
            if (raw is not null)
            {
                writer.WriteRawValue(id, raw);
            }
            else
            {
                writer.WritePropertyId(id);
                changes[change].Property.WriteValue(ref writer.ValueWriter, changes[change].Value, EntityType);
            }
        }

        writer.Complete();
        return buffer.ToArray();

        static bool Changes(IReadOnlyList<(PropertyMapping Property, object? Value)> changes, uint id)
        {
            foreach (var (property, _) in changes)
            {
                if (property.Id == id)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The row versions (<c>IsRowVersion</c> byte arrays) <paramref name="storedRow"/> holds: those of its type, which a write
    /// that changes the row renews (<see cref="RowVersionProperties(IEntityType)"/>).
    /// </summary>
    public IEnumerable<PropertyMapping> RowVersionsIn(byte[] storedRow)
    {
        foreach (var rowVersion in _types.Values.SelectMany(t => t.RowVersions).Distinct())
        {
            var mapping = Property(rowVersion);
            if (ReadProperties(storedRow, [mapping]) is [byte[]])
            {
                yield return mapping;
            }
        }
    }

    /// <summary>The property of <paramref name="entry"/> whose encoded value is the longest, and that length (for errors).</summary>
    public (IProperty Property, int Bytes) LargestProperty(IUpdateEntry entry, PooledByteBufferWriter buffer)
    {
        var properties = TypeOf(entry.EntityType).Written;
        var largest = (properties[0].Property, Bytes: -1);
        foreach (var property in properties)
        {
            buffer.Reset();
            var writer = new MessagePackWriter(buffer);
            property.WriteValue(ref writer, property.CurrentValue(entry), entry.EntityType);
            writer.Flush();
            if (buffer.WrittenSpan.Length > largest.Bytes)
            {
                largest = (property.Property, buffer.WrittenSpan.Length);
            }
        }

        return largest;
    }

    /// <summary>
    /// Decodes the values of <paramref name="properties"/> (model form, converters applied back) from a stored row, in
    /// the order given; a property missing from the row reads as its default. Decodes nothing else.
    /// </summary>
    public object?[] ReadProperties(ReadOnlySpan<byte> value, IReadOnlyList<PropertyMapping> properties)
    {
        var values = new object?[properties.Count];
        ReadProperties(value, properties, values);
        return values;
    }

    /// <summary>
    /// As <see cref="ReadProperties(ReadOnlySpan{byte}, IReadOnlyList{PropertyMapping})"/>, into the first
    /// <c>properties.Count</c> elements of <paramref name="values"/>: a caller reading many rows reuses one array.
    /// </summary>
    public void ReadProperties(ReadOnlySpan<byte> value, IReadOnlyList<PropertyMapping> properties, Span<object?> values)
    {
        values = values[..properties.Count];
        TypeMapping? rowType = null;
        using var row = new RowReader(value);
        for (var i = 0; i < values.Length; i++)
        {
            // A smaller id than the last one found walks again from the start: fine for the few columns of an index.
            if (row.TryFind(properties[i].Id))
            {
                var reader = row.ValueReader;
                values[i] = properties[i].ReadValue(ref reader);
            }
            else if (properties[i].MissingValue is { } missing)
            {
                // A derived type's property is missing from the rows of the other types, which read it as null.
                values[i] = LsmRowLayout.DeclaringEntityType(properties[i].Property) == EntityType
                    || (rowType ??= RowTypeOf(value))?.HasSlot[properties[i].Slot] == true
                        ? missing
                        : null;
            }
            else
            {
                values[i] = null;
            }
        }
    }

    /// <summary>
    /// Decodes a stored row into model values (value converters applied back) in the slots of <see cref="Layout"/>, the layout
    /// of the query pipeline's rows. A property missing from the row reads as null when the row's type does not have it (it
    /// belongs to another type of the hierarchy), and as its default (<see cref="PropertyMapping.MissingValue"/>) when it was
    /// added to the model after the row was written.
    /// </summary>
    public object?[] DecodeRow(ReadOnlySpan<byte> value) => DecodeRow(value, neededSlots: null);

    /// <summary>
    /// Decodes the slots <paramref name="neededSlots"/> marks (all when null) of a stored row; the others stay null unread, so
    /// a query decodes only the properties it reads (a count reads none).
    /// </summary>
    public object?[] DecodeRow(ReadOnlySpan<byte> value, bool[]? neededSlots)
    {
        var values = new object?[Layout.SlotCount];
        if (neededSlots is not null && Array.IndexOf(neededSlots, true) < 0)
        {
            return values;
        }

        // The id whose value is being read, to name it when the row is damaged (docs/row_encoding.md, "Errors").
        var reading = 0u;
        try
        {
            DecodeRow(value, neededSlots, values, ref reading);
            return values;
        }
        catch (MessagePackFormatException e)
        {
            throw e.InStoredValue(
                EntityType.DisplayName(), reading == 0 ? "the row" : _storedNameById.GetValueOrDefault(reading) ?? "property id " + reading);
        }
    }

    private void DecodeRow(ReadOnlySpan<byte> value, bool[]? neededSlots, object?[] values, ref uint reading)
    {

        // Defaults first; a value the row has overwrites its slot's.
        if (_missingBySlot is not null)
        {
            for (var i = 0; i < _bySlot.Length; i++)
            {
                if (neededSlots is null || neededSlots[i])
                {
                    values[i] = _missingBySlot[i];
                }
            }
        }

        var present = _hasDerivedMissingValues ? new bool[_bySlot.Length] : null;
        using var row = new RowReader(value);
        while (row.MoveNext())
        {
            var id = reading = row.PropertyId;
            var slot = id < _slotById.Length ? _slotById[id] : -1;
            if (slot < 0 || (neededSlots is not null && !neededSlots[slot]))
            {
                continue;
            }

            var reader = row.ValueReader;
            values[slot] = _bySlot[slot].ReadValue(ref reader);
            if (present is not null)
            {
                present[slot] = true;
            }
        }

        if (present is not null && RowTypeOf(value) is { } type)
        {
            for (var i = 0; i < _bySlot.Length; i++)
            {
                if (!present[i] && type.HasSlot[i] && (neededSlots is null || neededSlots[i]))
                {
                    values[i] = _bySlot[i].MissingValue;
                }
            }
        }

        if (_ownedById.Count > 0)
        {
            // After the row's own values: an owned value's key is its owner's (docs/row_encoding.md, "Owned values").
            using var owned = new RowReader(value);
            foreach (var member in Owned.Members)
            {
                reading = member.Id;
                if (owned.TryFind(member.Id))
                {
                    member.Decode(owned.IsNull ? default : owned.RawValue, owned.IsNull, values, neededSlots);
                }
                else if (member.Node.IsCollection && (neededSlots is null || neededSlots[member.Node.Slot]))
                {
                    member.Decode(default, isNull: true, values, neededSlots);
                }
            }
        }

        if (ComplexCollections.Count > 0)
        {
            using var collections = new RowReader(value);
            foreach (var collection in ComplexCollections)
            {
                var slot = collection.Node.Slot;
                if (neededSlots is not null && !neededSlots[slot])
                {
                    continue;
                }

                // A row of another type of the hierarchy has no pair for it: it stays null there.
                reading = collection.Id;
                values[slot] = collections.TryFind(collection.Id)
                    ? collection.Decode(collections.IsNull ? default : collections.RawValue, collections.IsNull)
                    : collection.MissingValue;
            }
        }
    }

    /// <summary>The mapping of the type a stored row is of, by its discriminator; null when the hierarchy has none.</summary>
    private TypeMapping? RowTypeOf(ReadOnlySpan<byte> storedRow)
    {
        if (_discriminator is null)
        {
            return _types.Count == 1 ? _types.Values.First() : null;
        }

        using var row = new RowReader(storedRow);
        if (!row.TryFind(_discriminator.Id))
        {
            return null;
        }

        var reader = row.ValueReader;
        return _discriminator.ReadValue(ref reader) is { } value ? _typesByDiscriminator.GetValueOrDefault(value) : null;
    }

    /// <summary>
    /// Whether every concurrency token of <paramref name="entry"/> (its original value) equals the stored row's value.
    /// Compared as encoded MessagePack: the writer always picks the shortest form, so equal values give equal bytes.
    /// </summary>
    public bool ConcurrencyTokensMatch(ReadOnlySpan<byte> storedRow, IUpdateEntry entry, PooledByteBufferWriter scratch)
    {
        using var row = new RowReader(storedRow);
        foreach (var token in TypeOf(entry.EntityType).ConcurrencyTokens)
        {
            scratch.Reset();
            var writer = new MessagePackWriter(scratch);
            token.WriteValue(ref writer, entry.GetOriginalValue(token.Property), entry.EntityType);
            writer.Flush();
            var stored = row.TryFind(token.Id) ? row.RawValue : [MessagePackCode.Nil];
            if (!stored.SequenceEqual(scratch.WrittenSpan))
            {
                return false;
            }
        }

        return true;
    }

    private TypeMapping TypeOf(IEntityType entityType) =>
        _types.TryGetValue(entityType, out var type)
            ? type
            : throw new InvalidOperationException(
                $"The entity type '{entityType.DisplayName()}' is not stored in the keyspace of '{EntityType.DisplayName()}'.");

    /// <summary>Whether the provider generates <paramref name="property"/>'s values: an integer key part generated on add, not a foreign key.</summary>
    public static bool IsGeneratedIntegerKey(IProperty property)
    {
        var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        return property.IsPrimaryKey() && property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) && !property.IsForeignKey()
            && !type.IsEnum
            && Type.GetTypeCode(type) is TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32
                or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64;
    }

    /// <summary>
    /// What is stored for one entity type of the hierarchy: its properties by id, its tokens, its row versions, its column
    /// defaults, and which slots of the layout its rows have.
    /// </summary>
    private sealed record TypeMapping(
        PropertyMapping[] Written,
        LsmOwnedMember[] OwnedMembers,
        LsmComplexCollectionMapping[] ComplexCollections,
        uint[] NestedValueIds,
        PropertyMapping[] ConcurrencyTokens, IProperty[] RowVersions, PropertyMapping[] Defaulted, bool[] HasSlot);

    /// <summary>
    /// One property: its stable id, its slot in decoded rows, its value converter, the codec of the type its values are stored
    /// as, and, when that stored type differs from the model's provider type, the lossless conversion between them.
    /// </summary>
    internal sealed class PropertyMapping(
        IProperty property, uint id, int slot, ValueConverter? converter, ProviderValueCodec codec, StoredTypeConversion? conversion = null)
    {
        public IProperty Property { get; } = property;

        public uint Id { get; } = id;

        /// <summary>The slot of the property's value in a decoded row (<see cref="LsmRowLayout"/>).</summary>
        public int Slot { get; } = slot;

        // The nullable complex properties on the path to a complex member (outermost first): when one of them is null, so is
        // the member, whatever EF's getter gives for a member of a missing struct.
        private readonly IComplexProperty[] _optionalComplexPath = OptionalComplexPath(property);

        /// <summary>The codec of the stored provider type (after value conversion).</summary>
        public ProviderValueCodec Codec { get; } = codec;

        /// <summary>Whether stored values are the model's values as they are (no value converter, no stored-type conversion).</summary>
        public bool ReadsAsStored => converter is null && conversion is null;

        /// <summary>
        /// The model value of a row that has no value for the property (it was added after the row was written): the stored
        /// default a migration gave the column, else the model's <c>HasDefaultValue</c>, else the CLR default of a
        /// non-nullable type (never null for a property that cannot hold null), else null.
        /// </summary>
        public object? MissingValue { get; private set; }

        internal void SetMissingValue(byte[]? storedDefault)
        {
            if (storedDefault is not null)
            {
                var reader = new MessagePackReader(storedDefault);
                MissingValue = ReadValue(ref reader);
                return;
            }

            if (Property.FindAnnotation(LsmTableNames.DefaultValueAnnotation)?.Value is { } configured && configured is not DBNull)
            {
                MissingValue = configured;
                return;
            }

            // A member of a complex value that may be null reads as null: the value is null (EF reads it so when its members are).
            var clrType = Property.ClrType;
            MissingValue = clrType.IsValueType && Nullable.GetUnderlyingType(clrType) is null && !LsmRowLayout.IsInOptionalComplexValue(Property)
                ? Activator.CreateInstance(clrType)
                : null;
        }

        /// <summary>The current value of the property in <paramref name="entry"/>: null for a member of a complex value that is null.</summary>
        public object? CurrentValue(IUpdateEntry entry)
        {
            foreach (var complex in _optionalComplexPath)
            {
                if (entry.GetCurrentValue(complex) is null)
                {
                    return null;
                }
            }

            return entry.GetCurrentValue(Property);
        }

        private static IComplexProperty[] OptionalComplexPath(IProperty property)
        {
            var path = new List<IComplexProperty>();
            for (var type = property.DeclaringType; type is IComplexType complexType; type = complexType.ComplexProperty.DeclaringType)
            {
                if (complexType.ComplexProperty.IsNullable)
                {
                    path.Insert(0, complexType.ComplexProperty);
                }
            }

            return [.. path];
        }

        public void WriteKeyPart(ref KeyWriter writer, object? modelValue, IEntityType entityType)
        {
            var value = ToProvider(modelValue, entityType);
            if (value is null)
            {
                throw new LsmInvalidEntityException(
                    entityType, Property, $"its value is null, and a primary key part cannot be null");
            }

            try
            {
                Codec.WriteKeyPart(ref writer, value);
            }
            catch (LsmKeyTooLargeException e)
            {
                throw new LsmInvalidEntityException(entityType, Property, "the encoded primary key is too long: " + e.Message, e);
            }
            catch (ArgumentException e)
            {
                throw new LsmInvalidEntityException(entityType, Property, "its key value cannot be encoded: " + e.Message, e);
            }
        }

        public void WriteValue(ref MessagePackWriter writer, object? modelValue, IEntityType entityType)
        {
            var value = ToProvider(modelValue, entityType);
            try
            {
                Codec.WriteValue(ref writer, value);
            }
            catch (ArgumentException e)
            {
                throw new LsmInvalidEntityException(entityType, Property, "its value cannot be stored: " + e.Message, e);
            }
        }

        /// <summary>
        /// Whether the property's value can be read back exactly from its key part (an index entry's, a key's): no value
        /// converter and no stored-type conversion, and a type whose key encoding keeps every bit (integers, bool, char,
        /// string, Guid). Not decimal (the key is normalised: 1.0 and 1.00 share it), dates (the key drops Kind and offset),
        /// floating point (-0 and NaN are normalised) or byte arrays.
        /// </summary>
        public bool ReadsExactlyFromKey =>
            converter is null && conversion is null && KeyPartDecoder.CanRead(Nullable.GetUnderlyingType(Property.ClrType) ?? Property.ClrType);

        public object? ReadValue(ref MessagePackReader reader)
        {
            var value = Codec.ReadValue(ref reader);
            if (value is not null && conversion is not null)
            {
                value = conversion.ToModel(value);
            }

            return value is null || converter is null ? value : converter.ConvertFromProvider(value);
        }

        /// <summary>The stored form of a model value: the value converter applied, then the stored-type conversion.</summary>
        public object? ToProvider(object? modelValue) => ToProvider(modelValue, LsmRowLayout.DeclaringEntityType(Property));

        private object? ToProvider(object? modelValue, IEntityType? entityType)
        {
            var value = modelValue is null || converter is null ? modelValue : converter.ConvertToProvider(modelValue);
            if (value is null || conversion is null)
            {
                return value;
            }

            try
            {
                return conversion.ToStored(value);
            }
            catch (OverflowException e)
            {
                throw new LsmInvalidEntityException(
                    entityType!,
                    Property,
                    $"the database stores it as {conversion.StoredType.Name} (the model says {conversion.ModelType.Name}) and {e.Message} "
                    + "Add a migration that alters the column to convert the stored values (migrationBuilder.AlterColumn).",
                    e);
            }
        }
    }
}
