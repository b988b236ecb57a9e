using System.Buffers;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Update.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;
using PropertyMapping = EFCore.Lsm.Metadata.Internal.LsmEntityMapping.PropertyMapping;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// One map of owned values bound to the catalog's ids (docs/row_encoding.md, "Owned values"): the nested map of an owned
/// reference, or one element of an owned collection. Its members are values (a property of the owned type) and owned
/// navigations (a nested map or an array of element maps), written in ascending id order like a row's.
/// </summary>
internal sealed class LsmOwnedMap
{
    private readonly PropertyMapping[] _values;
    private readonly Dictionary<uint, PropertyMapping> _valueById = [];

    public LsmOwnedMap(
        LsmRowLayout layout,
        IEnumerable<(IProperty Property, int Slot)> values,
        IEnumerable<LsmOwnedNode> nodes,
        IReadOnlyDictionary<string, CatalogProperty> catalog,
        Func<IProperty, int, CatalogProperty, PropertyMapping> bind)
    {
        Layout = layout;
        _values = [.. values.Select(v => bind(v.Property, v.Slot, catalog[layout.StoredNameOf(v.Property)])).OrderBy(v => v.Id)];
        foreach (var value in _values)
        {
            _valueById[value.Id] = value;
        }

        Members = [.. nodes.Select(n => new LsmOwnedMember(n, layout, catalog, bind)).OrderBy(m => m.Id)];
        _memberIds = [.. Members.Select(m => m.Id)];
    }

    private readonly uint[] _memberIds;

    /// <summary>The layout the map's values are decoded into (the containing row's, or an element layout).</summary>
    public LsmRowLayout Layout { get; }

    public IReadOnlyList<PropertyMapping> Values => _values;

    /// <summary>The owned navigations of the map, by ascending id.</summary>
    public IReadOnlyList<LsmOwnedMember> Members { get; }

    /// <summary>Every value mapping of this map and of the maps nested in it (elements included).</summary>
    public IEnumerable<PropertyMapping> AllValues() =>
        _values.Concat(Members.SelectMany(m => m.Map.AllValues()));

    /// <summary>
    /// Decodes the members of a nested map (<paramref name="map"/>, row format) into <paramref name="values"/>: values the
    /// map lacks read as their <see cref="PropertyMapping.MissingValue"/>; ids the model does not know are skipped.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> map, object?[] values, bool[]? needed)
    {
        foreach (var value in _values)
        {
            if (value.MissingValue is { } missing && (needed is null || needed[value.Slot]))
            {
                values[value.Slot] = missing;
            }
        }

        using var row = new RowReader(map);
        while (row.MoveNext())
        {
            if (_valueById.TryGetValue(row.PropertyId, out var property) && (needed is null || needed[property.Slot]))
            {
                var reader = row.ValueReader;
                values[property.Slot] = property.ReadValue(ref reader);
            }
        }

        // Owned navigations after the values: a nested owned value's key is this one's.
        foreach (var member in Members)
        {
            if (row.TryFind(member.Id))
            {
                member.Decode(row.IsNull ? default : row.RawValue, row.IsNull, values, needed);
            }
            else if (member.Node.IsCollection)
            {
                member.Decode(default, isNull: true, values, needed);
            }
        }
    }

    /// <summary>Writes the map of <paramref name="entry"/> (an owned entity's entry): its values and owned navigations.</summary>
    public void Write(PooledByteBufferWriter output, IUpdateEntry entry)
    {
        var memberValues = new byte[Members.Count][];
        for (var i = 0; i < Members.Count; i++)
        {
            memberValues[i] = Members[i].Encode(entry);
        }

        WriteMap(output, _values, _memberIds, memberValues, entry);
    }

    /// <summary>
    /// Writes one map of a row (docs/row_encoding.md): <paramref name="values"/> of <paramref name="entry"/> and the encoded
    /// nested values <paramref name="memberValues"/> (owned values, complex collections) under <paramref name="memberIds"/>,
    /// merged by ascending property id (both lists are in id order; indexed, so a save allocates no enumerator). The owner's row
    /// and each owned map are written by it.
    /// </summary>
    public static void WriteMap(
        IBufferWriter<byte> output,
        ReadOnlySpan<PropertyMapping> values,
        ReadOnlySpan<uint> memberIds,
        byte[][] memberValues,
        IUpdateEntry entry)
    {
        var row = new RowWriter(output, values.Length + memberIds.Length);
        var m = 0;
        foreach (var value in values)
        {
            for (; m < memberIds.Length && memberIds[m] < value.Id; m++)
            {
                row.WriteRawValue(memberIds[m], memberValues[m]);
            }

            row.WritePropertyId(value.Id);
            value.WriteValue(ref row.ValueWriter, value.CurrentValue(entry), entry.EntityType);
        }

        for (; m < memberIds.Length; m++)
        {
            row.WriteRawValue(memberIds[m], memberValues[m]);
        }

        row.Complete();
    }
}

/// <summary>An owned navigation of a row or of an owned map, bound to its catalog id.</summary>
internal sealed class LsmOwnedMember
{
    private static readonly ValueBuffer[] NoElements = [];
    private readonly int[] _outerKeySources;

    public LsmOwnedMember(
        LsmOwnedNode node,
        LsmRowLayout containing,
        IReadOnlyDictionary<string, CatalogProperty> catalog,
        Func<IProperty, int, CatalogProperty, PropertyMapping> bind)
    {
        Node = node;
        Id = catalog[node.StoredName].Id;
        if (node.Element is { } element)
        {
            Map = new LsmOwnedMap(
                element,
                element.TopLevelProperties.Select(p => (p.Property, element.SlotOf(p.Property))),
                element.OwnedNodes,
                catalog,
                bind);
            _outerKeySources = [.. element.OuterOwnerKeys.Select(k => containing.SlotOf(k.Source))];
        }
        else
        {
            Map = new LsmOwnedMap(containing, node.Values, node.Nested, catalog, bind);
            _outerKeySources = [];
        }
    }

    public LsmOwnedNode Node { get; }

    public uint Id { get; }

    /// <summary>The map of the owned reference, or of each element of the owned collection.</summary>
    public LsmOwnedMap Map { get; }

    /// <summary>
    /// Decodes the member's stored value into <paramref name="values"/> (the containing row's slots): a reference's values
    /// and key (its owner's), or a collection's element rows; nil leaves a reference null and a collection empty.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> raw, bool isNull, object?[] values, bool[]? needed)
    {
        if (!Node.IsNeeded(needed))
        {
            return;
        }

        if (Node.Element is not { } element)
        {
            if (isNull)
            {
                return;
            }

            foreach (var key in Node.OwnerKeys)
            {
                values[key.Slot] = values[key.SourceSlot];
            }

            Map.Decode(raw, values, needed);
            return;
        }

        if (isNull)
        {
            values[Node.Slot] = NoElements;
            return;
        }

        var reader = new MessagePackReader(raw.ToArray());
        var count = NestedValues.ReadArrayHeader(ref reader, "an array of owned element maps");
        var elements = count == 0 ? NoElements : new ValueBuffer[count];
        for (var i = 0; i < count; i++)
        {
            var elementValues = new object?[element.SlotCount];
            for (var k = 0; k < _outerKeySources.Length; k++)
            {
                elementValues[element.OuterOwnerKeys[k].Slot] = values[_outerKeySources[k]];
            }

            var start = (int)reader.Consumed;
            NestedValues.SkipMap(ref reader, "an owned element map");
            Map.Decode(raw[start..(int)reader.Consumed], elementValues, needed: null);
            elements[i] = new ValueBuffer(elementValues);
        }

        values[Node.Slot] = elements;
    }

    /// <summary>
    /// The stored value of this member for the owner entry <paramref name="owner"/>: the owned entity's nested map (nil when
    /// there is none), or the array of the owned collection's element maps (in the collection's order).
    /// </summary>
    public byte[] Encode(IUpdateEntry owner)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        if (!Node.IsCollection)
        {
            if (LsmOwnedEntries.Reference(owner, Node.Navigation) is not { } owned)
            {
                writer.WriteNil();
                writer.Flush();
                return buffer.ToArray();
            }

            Map.Write(buffer, owned);
            return buffer.ToArray();
        }

        var elements = LsmOwnedEntries.Collection(owner, Node.Navigation);
        writer.WriteArrayHeader(elements.Count);
        writer.Flush();
        foreach (var element in elements)
        {
            Map.Write(buffer, element);
        }

        return buffer.ToArray();
    }
}
