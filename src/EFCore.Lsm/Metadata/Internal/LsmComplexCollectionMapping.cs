using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;
using PropertyMapping = EFCore.Lsm.Metadata.Internal.LsmEntityMapping.PropertyMapping;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// A complex collection bound to the catalog's ids (docs/row_encoding.md, "Complex collections"): one value of the row under
/// the collection's id, nil for a null collection, else an array with one element map per element, in collection order, each
/// holding a pair per scalar member of the element type (members of nested complex properties too) by ascending id. Decoded,
/// the elements are <see cref="ValueBuffer"/>s whose values are at the indexes EF's materializer of the element type reads
/// (<see cref="IPropertyBase.GetIndex"/>).
/// </summary>
internal sealed class LsmComplexCollectionMapping
{
    private static readonly ValueBuffer[] NoElements = [];

    private readonly ElementMember[] _members;
    private readonly Dictionary<uint, ElementMember> _memberById = [];
    private readonly object?[] _missingValues;

    public LsmComplexCollectionMapping(
        LsmComplexCollectionNode node,
        IReadOnlyDictionary<string, CatalogProperty> catalog,
        Func<IProperty, int, CatalogProperty, PropertyMapping> bind)
    {
        Node = node;
        Id = catalog[node.StoredName].Id;
        ElementValueCount = node.Members.Count == 0 ? 0 : node.Members.Max(m => m.Member.GetIndex()) + 1;
        _members =
        [
            .. node.Members
                .Select(m => new ElementMember(bind(m.Member, m.Member.GetIndex(), catalog[m.Path]), PathWithin(node.Property, m.Member)))
                .OrderBy(m => m.Mapping.Id),
        ];
        _missingValues = new object?[ElementValueCount];
        foreach (var member in _members)
        {
            _memberById[member.Mapping.Id] = member;

            // A member missing from an element map (added to the model after it was written) reads as the CLR default of a
            // non-nullable type, or as null inside a nested complex value that may be null.
            var clrType = member.Mapping.Property.ClrType;
            _missingValues[member.Mapping.Slot] = clrType.IsValueType && Nullable.GetUnderlyingType(clrType) is null
                && !member.Path.Any(c => c.IsNullable)
                    ? Activator.CreateInstance(clrType)
                    : null;
        }
    }

    public LsmComplexCollectionNode Node { get; }

    public IComplexProperty Property => Node.Property;

    /// <summary>The catalog id of the collection: the key of its array in the row.</summary>
    public uint Id { get; }

    /// <summary>How many values an element's <see cref="ValueBuffer"/> holds.</summary>
    public int ElementValueCount { get; }

    /// <summary>
    /// The stored value of the collection of <paramref name="entry"/>: nil when the collection is null, else the array of its
    /// element maps in the collection's order (a null element is nil).
    /// </summary>
    public byte[] Encode(IUpdateEntry entry)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        if (entry.GetCurrentValue(Property) is not System.Collections.IEnumerable collection)
        {
            writer.WriteNil();
            writer.Flush();
            return buffer.ToArray();
        }

        var elements = collection as System.Collections.ICollection ?? collection.Cast<object?>().ToList();
        writer.WriteArrayHeader(elements.Count);
        foreach (var element in elements)
        {
            if (element is null)
            {
                writer.WriteNil();
                continue;
            }

            writer.WriteMapHeader(_members.Length);
            foreach (var member in _members)
            {
                writer.Write(member.Mapping.Id);
                member.Mapping.WriteValue(ref writer, member.ValueOf(element), entry.EntityType);
            }
        }

        writer.Flush();
        return buffer.ToArray();
    }

    /// <summary>
    /// The elements of a stored collection (<paramref name="raw"/>, the array), or null for nil: one buffer per element, a
    /// null element as <see cref="ValueBuffer.Empty"/>. Ids the model does not know are skipped.
    /// </summary>
    public ValueBuffer[]? Decode(ReadOnlySpan<byte> raw, bool isNull)
    {
        if (isNull)
        {
            return null;
        }

        var bytes = raw.ToArray();
        var reader = new MessagePackReader(bytes);
        var count = NestedValues.ReadArrayHeader(ref reader, "an array of complex collection elements");
        var elements = count == 0 ? NoElements : new ValueBuffer[count];
        for (var i = 0; i < count; i++)
        {
            if (reader.TryReadNil())
            {
                elements[i] = ValueBuffer.Empty;
                continue;
            }

            var start = (int)reader.Consumed;
            NestedValues.SkipMap(ref reader, "an element map or nil");
            var values = (object?[])_missingValues.Clone();
            using var map = new RowReader(bytes.AsSpan(start, (int)reader.Consumed - start));
            while (map.MoveNext())
            {
                if (_memberById.TryGetValue(map.PropertyId, out var member))
                {
                    var valueReader = map.ValueReader;
                    values[member.Mapping.Slot] = member.Mapping.ReadValue(ref valueReader);
                }
            }

            elements[i] = new ValueBuffer(values);
        }

        return elements;
    }

    /// <summary>The decoded value of a row that has no pair for the collection (written before the model had it).</summary>
    public ValueBuffer[]? MissingValue => Property.IsNullable ? null : NoElements;

    /// <summary>The complex properties from the element type down to <paramref name="member"/>'s declaring type (outermost first).</summary>
    private static IComplexProperty[] PathWithin(IComplexProperty collection, IProperty member)
    {
        var path = new List<IComplexProperty>();
        for (var type = member.DeclaringType; type is IComplexType complexType && complexType != collection.ComplexType;
             type = complexType.ComplexProperty.DeclaringType)
        {
            path.Insert(0, complexType.ComplexProperty);
        }

        return [.. path];
    }

    /// <summary>A member of the element type, with the nested complex properties that lead to it from the element.</summary>
    private sealed record ElementMember(PropertyMapping Mapping, IComplexProperty[] Path)
    {
        /// <summary>The member's value in <paramref name="element"/>: null when a nested complex value on its path is null.</summary>
        public object? ValueOf(object element)
        {
            var value = element;
            foreach (var complex in Path)
            {
                value = complex.GetGetter().GetClrValue(value);
                if (value is null)
                {
                    return null;
                }
            }

            return Mapping.Property.GetGetter().GetClrValue(value);
        }
    }
}
