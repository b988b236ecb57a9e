using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// How one secondary index is stored (docs/index_encoding.md). An entry's key is the index keyspace id, then each indexed
/// value as a key part (descending where the index says so, null as the null part), then — for a non-unique index, or a
/// unique one with a null value — the row's primary key parts; its value is empty, or, for a unique entry without the
/// primary key in its key, the primary key parts. So equal index values sort together in primary key order, a unique
/// index has one key per value (an insert can require it absent), and every entry names its row.
/// </summary>
internal sealed class LsmIndexMapping
{
    private readonly LsmEntityMapping.PropertyMapping[] _columns;
    private readonly bool[] _descending;

    public LsmIndexMapping(
        LsmEntityMapping entity, IIndex? index, IKey? key, CatalogIndex catalog, LsmEntityMapping.PropertyMapping[] columns)
    {
        Entity = entity;
        Index = index;
        Key = key;
        Name = catalog.Name;
        KeyspaceId = catalog.KeyspaceId;
        IsUnique = catalog.Unique;
        IsReady = catalog.State == CatalogIndexState.Ready;
        Catalog = catalog;
        _columns = columns;
        _descending = [.. catalog.Descending];
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);
    }

    public LsmEntityMapping Entity { get; }

    /// <summary>
    /// The EF index (null for the index of an alternate key, see <see cref="Key"/>, and for an index the catalog lists but
    /// the model does not, while it is being dropped).
    /// </summary>
    public IIndex? Index { get; }

    /// <summary>The alternate key this unique index enforces when it is one the provider keeps for the key (<c>AK_…</c>).</summary>
    public IKey? Key { get; }

    public string Name { get; }

    public long KeyspaceId { get; }

    public bool IsUnique { get; }

    /// <summary>Whether every row has its entries, so a query may read the index instead of the rows.</summary>
    public bool IsReady { get; }

    public CatalogIndex Catalog { get; }

    /// <summary>The indexed properties, in index order.</summary>
    public IReadOnlyList<LsmEntityMapping.PropertyMapping> Columns => _columns;

    public IReadOnlyList<bool> Descending => _descending;

    public byte[] KeyspaceLowerBound { get; }

    public byte[] KeyspaceUpperBound { get; }

    /// <summary>
    /// The entry of the row <paramref name="row"/> (an encoded row value) stored under <paramref name="rowKey"/>, or null
    /// for no row. Throws <see cref="LsmInvalidEntityException"/> when an indexed value cannot be encoded (a key over the
    /// size limit).
    /// </summary>
    public IndexEntry? EntryOf(ReadOnlySpan<byte> rowKey, byte[]? row)
    {
        if (row is null)
        {
            return null;
        }

        var values = Entity.ReadProperties(row, _columns);
        return EntryOf(rowKey, values);
    }

    /// <summary>The entry for indexed values <paramref name="modelValues"/> (model form, index order) of the row at <paramref name="rowKey"/>.</summary>
    public IndexEntry EntryOf(ReadOnlySpan<byte> rowKey, ReadOnlySpan<object?> modelValues)
    {
        var primaryKey = rowKey[Entity.KeyspaceLowerBound.Length..];
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            return Complete(ref writer, primaryKey, IsUnique, WriteParts(ref writer, modelValues));
        }
        catch (LsmKeyTooLargeException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[0].Property, $"the entry of index '{Name}' is too long: " + e.Message, e);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// The key alone of the entry of the stored row <paramref name="row"/> at <paramref name="rowKey"/> — what deleting the row
    /// deletes —, decoding only the indexed columns, into <paramref name="values"/> (at least <see cref="Columns"/> long; a
    /// caller deleting many rows reuses one). Throws as <see cref="EntryOf(ReadOnlySpan{byte}, byte[])"/> does.
    /// </summary>
    public byte[] EntryKeyOf(ReadOnlySpan<byte> rowKey, ReadOnlySpan<byte> row, object?[] values)
    {
        Entity.ReadProperties(row, _columns, values);
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            var hasNull = WriteParts(ref writer, values);
            CompleteKey(ref writer, rowKey[Entity.KeyspaceLowerBound.Length..], IsUnique, hasNull);
            return writer.ToArray();
        }
        catch (LsmKeyTooLargeException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[0].Property, $"the entry of index '{Name}' is too long: " + e.Message, e);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// Ends an entry whose keyspace and indexed parts <paramref name="writer"/> holds, as docs/index_encoding.md lays it
    /// out: a non-unique entry, or a unique one with a null part, ends its key with the row's primary key parts and has an
    /// empty value; any other unique entry keeps them in its value. Throws <see cref="LsmKeyTooLargeException"/> for a key
    /// over the size limit.
    /// </summary>
    internal static IndexEntry Complete(ref KeyWriter writer, ReadOnlySpan<byte> primaryKey, bool unique, bool hasNull) =>
        CompleteKey(ref writer, primaryKey, unique, hasNull)
            ? new IndexEntry(writer.ToArray(), [], Unique: false)
            : new IndexEntry(writer.ToArray(), primaryKey.ToArray(), Unique: true);

    /// <summary>
    /// Ends the key of an entry as <see cref="Complete"/> lays it out; true when the key holds the primary key (the entry's
    /// value is then empty), false for a unique entry, whose value is the primary key.
    /// </summary>
    private static bool CompleteKey(ref KeyWriter writer, ReadOnlySpan<byte> primaryKey, bool unique, bool hasNull)
    {
        var keyHoldsPrimaryKey = !unique || hasNull;
        if (keyHoldsPrimaryKey)
        {
            writer.WriteRaw(primaryKey);
        }

        KeyEncodingLimits.CheckKeySize(writer.Length);
        return keyHoldsPrimaryKey;
    }

    /// <summary>Writes the keyspace prefix and the indexed parts of <paramref name="modelValues"/>; true when one is null.</summary>
    private bool WriteParts(ref KeyWriter writer, ReadOnlySpan<object?> modelValues)
    {
        writer.WriteRaw(KeyspaceLowerBound);
        var hasNull = false;
        for (var i = 0; i < _columns.Length; i++)
        {
            hasNull |= WritePart(ref writer, i, modelValues[i]);
        }

        return hasNull;
    }

    /// <summary>
    /// The key of the unique entry for indexed values <paramref name="modelValues"/> (model form, index order, none null):
    /// the one key a row with those values has in a unique index. Throws <see cref="LsmInvalidEntityException"/> for a value
    /// no entry can hold.
    /// </summary>
    public byte[] UniqueKeyOf(ReadOnlySpan<object?> modelValues)
    {
        if (!IsUnique)
        {
            throw new InvalidOperationException($"The index '{Name}' is not unique; its entries end with the primary key.");
        }

        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            for (var i = 0; i < _columns.Length; i++)
            {
                if (WritePart(ref writer, i, modelValues[i]))
                {
                    throw new ArgumentException($"A null value has no unique entry in index '{Name}'.", nameof(modelValues));
                }
            }

            KeyEncodingLimits.CheckKeySize(writer.Length);
            return writer.ToArray();
        }
        catch (LsmKeyTooLargeException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[0].Property, $"the entry of index '{Name}' is too long: " + e.Message, e);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// The keyspace prefix followed by the first <c>leadingValues.Length</c> indexed values (model form), then, when
    /// <paramref name="stringPrefix"/> is given, the start of the next value as an unterminated string: the bytes every
    /// entry with those leading values (or that string prefix) starts with. Throws <see cref="LsmInvalidEntityException"/>
    /// for a value no entry can hold.
    /// </summary>
    public byte[] EncodePrefix(ReadOnlySpan<object?> leadingValues, string? stringPrefix = null)
    {
        if (leadingValues.Length > _columns.Length || (stringPrefix is not null && leadingValues.Length == _columns.Length))
        {
            throw new ArgumentException($"The index '{Name}' has {_columns.Length} parts; the prefix does not fit.", nameof(leadingValues));
        }

        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(KeyspaceLowerBound);
            for (var i = 0; i < leadingValues.Length; i++)
            {
                WritePart(ref writer, i, leadingValues[i]);
            }

            if (stringPrefix is not null)
            {
                writer.WriteStringPrefix(stringPrefix, _descending[leadingValues.Length]);
            }

            return writer.ToArray();
        }
        catch (ArgumentException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[Math.Min(leadingValues.Length, _columns.Length - 1)].Property, "the value cannot be encoded: " + e.Message, e);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>The row key an entry (read from the index keyspace) points at.</summary>
    public byte[] RowKeyOf(ReadOnlySpan<byte> entryKey, ReadOnlySpan<byte> entryValue)
    {
        var reader = new KeyReader(entryKey[KeyspaceLowerBound.Length..]);
        for (var i = 0; i < _columns.Length; i++)
        {
            reader.SkipPart();
        }

        var primaryKey = reader.End ? entryValue : reader.Remaining;
        if (primaryKey.IsEmpty)
        {
            throw new Storage.LsmStoredDataException(
                $"An entry of index '{Name}' of '{Entity.EntityType.DisplayName()}' names no row (0x{Convert.ToHexString(entryKey)}).");
        }

        var rowKey = new byte[Entity.KeyspaceLowerBound.Length + primaryKey.Length];
        Entity.KeyspaceLowerBound.CopyTo(rowKey, 0);
        primaryKey.CopyTo(rowKey.AsSpan(Entity.KeyspaceLowerBound.Length));
        return rowKey;
    }

    /// <summary>
    /// Whether the entries alone give every slot <paramref name="neededSlots"/> marks (null: every slot of the row): each is an
    /// indexed column or a primary key part whose value its key part holds exactly (<see cref="LsmEntityMapping.PropertyMapping.ReadsExactlyFromKey"/>).
    /// </summary>
    public bool Covers(bool[]? neededSlots)
    {
        var covered = new bool[Entity.Layout.SlotCount];
        foreach (var column in _columns.Concat(Entity.KeyProperties))
        {
            covered[column.Slot] |= column.ReadsExactlyFromKey;
        }

        for (var slot = 0; slot < covered.Length; slot++)
        {
            if ((neededSlots is null || neededSlots[slot]) && !covered[slot])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The slots <paramref name="neededSlots"/> marks of the row an entry names, read from the entry itself (model values, in
    /// the root's row layout; the other slots stay null). Only for slots <see cref="Covers"/> accepts.
    /// </summary>
    public object?[] DecodeEntry(ReadOnlySpan<byte> entryKey, ReadOnlySpan<byte> entryValue, bool[]? neededSlots)
    {
        var values = new object?[Entity.Layout.SlotCount];
        var reader = new KeyReader(entryKey[KeyspaceLowerBound.Length..]);
        foreach (var column in _columns)
        {
            ReadPart(ref reader, column, values, neededSlots);
        }

        var primaryKey = new KeyReader(reader.End ? entryValue : reader.Remaining);
        foreach (var part in Entity.KeyProperties)
        {
            ReadPart(ref primaryKey, part, values, neededSlots);
        }

        return values;
    }

    private static void ReadPart(ref KeyReader reader, LsmEntityMapping.PropertyMapping property, object?[] values, bool[]? neededSlots)
    {
        if (neededSlots is not null && !neededSlots[property.Slot] || values[property.Slot] is not null)
        {
            reader.SkipPart();
            return;
        }

        var type = property.Property.ClrType;
        values[property.Slot] = KeyPartDecoder.Read(ref reader, Nullable.GetUnderlyingType(type) ?? type);
    }

    private bool WritePart(ref KeyWriter writer, int i, object? modelValue)
    {
        var value = _columns[i].ToProvider(modelValue);
        if (value is null)
        {
            writer.WriteNull(_descending[i]);
            return true;
        }

        try
        {
            _columns[i].Codec.WriteKeyPart(ref writer, value, _descending[i]);
        }
        catch (ArgumentException e)
        {
            throw new LsmInvalidEntityException(Entity.EntityType, _columns[i].Property, $"its value cannot be indexed by '{Name}': " + e.Message, e);
        }

        return false;
    }
}

/// <summary>One index entry: its key and value, and whether it is a unique entry (one key per indexed value).</summary>
internal sealed record IndexEntry(byte[] Key, byte[] Value, bool Unique)
{
    public bool SameAs(IndexEntry? other) =>
        other is not null && Key.AsSpan().SequenceEqual(other.Key) && Value.AsSpan().SequenceEqual(other.Value);
}
