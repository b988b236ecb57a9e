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

    public LsmEntityMapping(IEntityType entityType, CatalogEntity catalog)
    {
        EntityType = entityType;
        KeyspaceId = catalog.KeyspaceId;
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);

        var ids = catalog.Properties.Where(p => !p.Retired).ToDictionary(p => p.Name, p => p.Id, StringComparer.Ordinal);
        var properties = entityType.GetProperties().ToArray();
        _byIndex = new PropertyMapping[properties.Length];
        foreach (var property in properties)
        {
            var converter = property.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            var codec = ProviderValueCodec.Find(providerType) ?? throw new InvalidOperationException(
                $"The property '{entityType.DisplayName()}.{property.Name}' has type '{providerType.Name}', "
                + "which EFCore.Lsm cannot store.");
            _byIndex[property.GetIndex()] = new PropertyMapping(property, ids[property.Name], converter, codec);
        }

        _byId = [.. _byIndex.OrderBy(p => p.Id)];
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
    /// the order given; a property missing from the row reads as null. Decodes nothing else.
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
        }

        return values;
    }

    /// <summary>
    /// Decodes a stored row into model values (value converters applied back) in EF property-index order, the layout of
    /// a <c>ValueBuffer</c>. A property missing from the row (added to the model after the row was written) reads as null.
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

    /// <summary>One property: its stable id, its value converter and the codec of its provider type.</summary>
    internal sealed class PropertyMapping(IProperty property, uint id, ValueConverter? converter, ProviderValueCodec codec)
    {
        public IProperty Property { get; } = property;

        public uint Id { get; } = id;

        /// <summary>The codec of the provider type (after value conversion).</summary>
        public ProviderValueCodec Codec { get; } = codec;

        public void WriteKeyPart(ref KeyWriter writer, object? modelValue, IEntityType entityType)
        {
            var value = ToProvider(modelValue);
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
            try
            {
                Codec.WriteValue(ref writer, ToProvider(modelValue));
            }
            catch (ArgumentException e)
            {
                throw new LsmInvalidEntityException(entityType, Property, "its value cannot be stored: " + e.Message, e);
            }
        }

        public object? ReadValue(ref MessagePackReader reader)
        {
            var value = Codec.ReadValue(ref reader);
            return value is null || converter is null ? value : converter.ConvertFromProvider(value);
        }

        /// <summary>The provider form of a model value (the value converter applied).</summary>
        public object? ToProvider(object? modelValue) =>
            modelValue is null || converter is null ? modelValue : converter.ConvertToProvider(modelValue);
    }
}
