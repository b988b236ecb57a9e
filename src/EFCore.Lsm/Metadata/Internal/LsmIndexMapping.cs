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
    private readonly ProviderValueCodec[] _codecs;

    public LsmIndexMapping(LsmEntityMapping entity, IIndex? index, CatalogIndex catalog, LsmEntityMapping.PropertyMapping[] columns)
    {
        Entity = entity;
        Index = index;
        Name = catalog.Name;
        KeyspaceId = catalog.KeyspaceId;
        IsUnique = catalog.Unique;
        IsReady = catalog.State == CatalogIndexState.Ready;
        Catalog = catalog;
        _columns = columns;
        _codecs = [.. columns.Select(c => c.Codec)];
        _descending = [.. catalog.Descending];
        KeyspaceLowerBound = CatalogKeys.KeyspacePrefix(catalog.KeyspaceId);
        KeyspaceUpperBound = KeyRange.AfterParts(KeyspaceLowerBound);
    }

    public LsmEntityMapping Entity { get; }

    /// <summary>The EF index (null for an index the catalog lists but the model does not, while it is being dropped).</summary>
    public IIndex? Index { get; }

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
        var provider = new object?[_columns.Length];
        for (var i = 0; i < provider.Length; i++)
        {
            provider[i] = _columns[i].ToProvider(modelValues[i]);
        }

        try
        {
            return IndexEntryFormat.Encode(
                KeyspaceLowerBound, rowKey[Entity.KeyspaceLowerBound.Length..], _codecs, provider, _descending, IsUnique);
        }
        catch (IndexPartException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[e.Part].Property, $"its value cannot be indexed by '{Name}': " + e.Message, e.InnerException);
        }
        catch (LsmKeyTooLargeException e)
        {
            throw new LsmInvalidEntityException(
                Entity.EntityType, _columns[0].Property, $"the entry of index '{Name}' is too long: " + e.Message, e);
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
