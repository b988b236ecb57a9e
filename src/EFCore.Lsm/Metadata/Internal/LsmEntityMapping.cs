using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// How one entity type is stored: row key = keyspace id part + the primary key parts (after value converters), row value
/// = a MessagePack map from property id to value for every property, key properties included (docs/catalog.md explains
/// why). This is the storage seam the query pipeline reads through: <see cref="EncodeKey(ReadOnlySpan{object})"/>,
/// <see cref="KeyspaceLowerBound"/>/<see cref="KeyspaceUpperBound"/> and <see cref="DecodeRow"/>.
/// </summary>
internal sealed class LsmEntityMapping
{
    private readonly PropertyMapping[] _byIndex;
    private readonly PropertyMapping[] _byId;
    private readonly PropertyMapping[] _key;
    private readonly PropertyMapping[] _concurrencyTokens;
    private readonly uint[] _preservedIds;

    public LsmEntityMapping(IEntityType entityType, CatalogEntity catalog)
    {
        EntityType = entityType;
        KeyspaceId = catalog.KeyspaceId;
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);

        var live = catalog.Properties.Where(p => !p.Retired).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var properties = entityType.GetProperties().ToArray();
        _byIndex = new PropertyMapping[properties.Length];
        foreach (var property in properties)
        {
            var converter = property.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            var stored = live[property.Name];
            var storedType = LsmCatalog.ProviderTypeName(property) == stored.ProviderType
                ? providerType
                : ProviderTypes.Resolve(stored.ProviderType, entityType.Model) ?? providerType;
            var codec = ProviderValueCodec.Find(storedType) ?? throw new InvalidOperationException(
                $"The property '{entityType.DisplayName()}.{property.Name}' has type '{storedType.Name}', "
                + "which EFCore.Lsm cannot store.");
            var conversion = StoredTypeConversion.Find(storedType, providerType);
            var mapping = new PropertyMapping(property, stored.Id, converter, codec, conversion);
            mapping.SetMissingValue(catalog.FindDefault(stored.Id));
            _byIndex[property.GetIndex()] = mapping;
            live.Remove(property.Name);
        }

        // Properties the catalog has and the model lacks: their values stay in the rows, and saves carry them over.
        _preservedIds = [.. live.Values.Select(p => p.Id).Order()];
        _byId = [.. _byIndex.OrderBy(p => p.Id)];
        DefaultedProperties =
        [
            .. _byId.Where(p => p.Property.FindAnnotation(LsmTableNames.DefaultValueAnnotation) is not null
                || catalog.FindDefault(p.Id) is not null),
        ];
        _key = [.. entityType.FindPrimaryKey()!.Properties.Select(p => _byIndex[p.GetIndex()])];
        _concurrencyTokens = [.. _byId.Where(p => p.Property.IsConcurrencyToken)];
        RowVersionProperties =
        [
            .. properties.Where(p =>
                p.IsConcurrencyToken && p.ValueGenerated == ValueGenerated.OnAddOrUpdate && p.ClrType == typeof(byte[])),
        ];

        var key = entityType.FindPrimaryKey()!.Properties;
        if (key.Count == 1 && key[0].ValueGenerated.HasFlag(ValueGenerated.OnAdd) && IsInteger(key[0].ClrType))
        {
            GeneratedIntegerKey = _key[0];
        }

        var byId = _byIndex.ToDictionary(p => p.Id);
        var modelIndexes = entityType.GetIndexes().ToDictionary(LsmCatalog.IndexName, StringComparer.Ordinal);
        Indexes =
        [
            .. catalog.Indexes.Select(index => new LsmIndexMapping(
                this,
                modelIndexes.GetValueOrDefault(index.Name),
                index,
                [.. index.PropertyIds.Select(id => byId[id])])),
        ];
    }

    /// <summary>The entity type's secondary indexes, maintained by every write of its rows.</summary>
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

    public IEntityType EntityType { get; }

    /// <summary>The stable keyspace id from the catalog; the first part of every row key of this entity type.</summary>
    public long KeyspaceId { get; }

    /// <summary>Inclusive lower bound of every row key of the entity type: the encoded keyspace id.</summary>
    public byte[] KeyspaceLowerBound { get; }

    /// <summary>Exclusive upper bound of every row key of the entity type.</summary>
    public byte[] KeyspaceUpperBound { get; }

    /// <summary>The single integer key property the provider generates values for, if any.</summary>
    public PropertyMapping? GeneratedIntegerKey { get; }

    public bool HasConcurrencyTokens => _concurrencyTokens.Length > 0;

    /// <summary>
    /// Properties with a column default (<c>HasDefaultValue</c>, or a migration's <c>defaultValue</c>): an insert that leaves
    /// one unset (EF marks it store-generated) stores the default, as a relational database fills a column default.
    /// </summary>
    public IReadOnlyList<PropertyMapping> DefaultedProperties { get; }

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
        var stored = new RowReader(storedRow);
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
        var current = new RowReader(newRow);
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
    /// Row versions (<c>IsRowVersion</c> byte arrays): the store has no row version of its own, so every insert and
    /// update gives them a fresh value, the 16 bytes of a version 7 Guid (unique, and increasing within a process).
    /// </summary>
    public IReadOnlyList<IProperty> RowVersionProperties { get; }

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

    /// <summary>The row value of <paramref name="entry"/>: every property's current value, by ascending property id.</summary>
    public byte[] EncodeRow(IUpdateEntry entry, PooledByteBufferWriter buffer)
    {
        buffer.Reset();
        var row = new RowWriter(buffer, _byId.Length);
        foreach (var property in _byId)
        {
            row.WritePropertyId(property.Id);
            property.WriteValue(ref row.ValueWriter, entry.GetCurrentValue(property.Property), EntityType);
        }

        row.Complete();
        return buffer.ToArray();
    }

    /// <summary>The property of <paramref name="entry"/> whose encoded value is the longest, and that length (for errors).</summary>
    public (IProperty Property, int Bytes) LargestProperty(IUpdateEntry entry, PooledByteBufferWriter buffer)
    {
        var largest = (_byId[0].Property, Bytes: -1);
        foreach (var property in _byId)
        {
            buffer.Reset();
            var writer = new MessagePackWriter(buffer);
            property.WriteValue(ref writer, entry.GetCurrentValue(property.Property), EntityType);
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
        using var row = new RowReader(value);
        for (var i = 0; i < values.Length; i++)
        {
            // A smaller id than the last one found walks again from the start: fine for the few columns of an index.
            if (row.TryFind(properties[i].Id))
            {
                var reader = row.ValueReader;
                values[i] = properties[i].ReadValue(ref reader);
            }
            else
            {
                values[i] = properties[i].MissingValue;
            }
        }

        return values;
    }

    /// <summary>
    /// Decodes a stored row into model values (value converters applied back) in EF property-index order, the layout of
    /// a <c>ValueBuffer</c>. A property missing from the row (added after the row was written) reads as its default
    /// (<see cref="PropertyMapping.MissingValue"/>).
    /// </summary>
    public object?[] DecodeRow(ReadOnlySpan<byte> value)
    {
        var values = new object?[_byIndex.Length];
        using var row = new RowReader(value);
        foreach (var property in _byId)
        {
            if (row.TryFind(property.Id))
            {
                var reader = row.ValueReader;
                values[property.Property.GetIndex()] = property.ReadValue(ref reader);
            }
            else
            {
                values[property.Property.GetIndex()] = property.MissingValue;
            }
        }

        return values;
    }

    /// <summary>
    /// Whether every concurrency token of <paramref name="entry"/> (its original value) equals the stored row's value.
    /// Compared as encoded MessagePack: the writer always picks the shortest form, so equal values give equal bytes.
    /// </summary>
    public bool ConcurrencyTokensMatch(ReadOnlySpan<byte> storedRow, IUpdateEntry entry, PooledByteBufferWriter scratch)
    {
        using var row = new RowReader(storedRow);
        foreach (var token in _concurrencyTokens)
        {
            scratch.Reset();
            var writer = new MessagePackWriter(scratch);
            token.WriteValue(ref writer, entry.GetOriginalValue(token.Property), EntityType);
            writer.Flush();
            var stored = row.TryFind(token.Id) ? row.RawValue : [MessagePackCode.Nil];
            if (!stored.SequenceEqual(scratch.WrittenSpan))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsInteger(Type type) =>
        Type.GetTypeCode(Nullable.GetUnderlyingType(type) ?? type) is TypeCode.SByte or TypeCode.Byte or TypeCode.Int16
            or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64
        && !(Nullable.GetUnderlyingType(type) ?? type).IsEnum;

    /// <summary>
    /// One property: its stable id, its value converter, the codec of the type its values are stored as, and, when that
    /// stored type differs from the model's provider type, the lossless conversion between them.
    /// </summary>
    internal sealed class PropertyMapping(
        IProperty property, uint id, ValueConverter? converter, ProviderValueCodec codec, StoredTypeConversion? conversion = null)
    {
        public IProperty Property { get; } = property;

        public uint Id { get; } = id;

        /// <summary>The codec of the stored provider type (after value conversion).</summary>
        public ProviderValueCodec Codec { get; } = codec;

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

            var clrType = Property.ClrType;
            MissingValue = clrType.IsValueType && Nullable.GetUnderlyingType(clrType) is null ? Activator.CreateInstance(clrType) : null;
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
        public object? ToProvider(object? modelValue) => ToProvider(modelValue, Property.DeclaringType as IEntityType);

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
