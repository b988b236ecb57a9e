using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// Where each value of a stored row lands when the query pipeline decodes it: one slot per property of the whole
/// hierarchy of a root entity type (TPH: every derived type's properties too, since all of them share the root's keyspace),
/// then one per member of its complex properties (values of the row itself, docs/row_encoding.md, "Complex values"),
/// then one slot per property of each owned reference stored in the row (owned types live inside their owner's row,
/// docs/row_encoding.md, "Owned values"), and one slot per owned collection holding its element rows (each a
/// <see cref="ValueBuffer"/> in the collection's own <see cref="LsmOwnedNode.Element"/> layout). A decoded row is a
/// <c>ValueBuffer</c> whose slot <see cref="SlotOf"/> holds that property's model value. Derived from the model alone
/// (queries are compiled before any store is opened); the catalog's property ids are bound per store by
/// <see cref="LsmEntityMapping"/>.
/// </summary>
internal sealed class LsmRowLayout
{
    /// <summary>Separates the parts of an owned member's stored name: <c>ShippingAddress/City</c> (docs/catalog.md).</summary>
    public const char PathSeparator = '/';

    private const string AnnotationName = "Lsm:RowLayout";

    private readonly Dictionary<IPropertyBase, int> _slots = [];
    private readonly List<LsmRowSlot> _slotList = [];
    private readonly Dictionary<IPropertyBase, string> _storedNames = [];
    private readonly List<IProperty> _storedProperties = [];
    private readonly List<LsmOwnedNode> _ownedNodes = [];
    private readonly List<LsmComplexCollectionNode> _complexCollections = [];

    private LsmRowLayout(IEntityType root)
    {
        Root = root;
        var declaredNames = HierarchyOf(root).SelectMany(t => t.GetDeclaredProperties()).GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var entityType in HierarchyOf(root))
        {
            foreach (var property in entityType.GetDeclaredProperties())
            {
                AddSlot(property, property.ClrType);

                // Derived types of one hierarchy may declare properties of the same name; each gets its own id, named after
                // its declaring type when the name alone is ambiguous.
                _storedNames[property] = declaredNames[property.Name] == 1 || entityType == root
                    ? property.Name
                    : entityType.ShortName() + ":" + property.Name;
                _storedProperties.Add(property);
            }
        }

        // Members of complex properties are values of the row itself (docs/row_encoding.md, "Complex values"): a pair each at
        // the top level, named by their path (Address.City), so a query decodes only the members it reads.
        var complexNames = HierarchyOf(root).SelectMany(t => t.GetDeclaredComplexProperties()).GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var entityType in HierarchyOf(root))
        {
            foreach (var complex in entityType.GetDeclaredComplexProperties().Where(c => !c.IsCollection))
            {
                var prefix = complexNames[complex.Name] == 1 || entityType == root ? "" : entityType.ShortName() + ":";
                foreach (var (member, path) in ComplexMembers(complex, prefix + complex.Name))
                {
                    AddSlot(member, member.ClrType);
                    _storedNames[member] = path;
                    _storedProperties.Add(member);
                }
            }
        }

        TopLevelSlotCount = _slotList.Count;
        foreach (var entityType in HierarchyOf(root))
        {
            foreach (var navigation in OwnedNavigations(entityType, declaredOnly: true))
            {
                _ownedNodes.Add(CreateNode(navigation, prefix: ""));
            }
        }

        // A complex collection is one value of the row, an array of element maps (docs/row_encoding.md, "Complex collections"):
        // its slot holds the decoded elements, one ValueBuffer each, indexed as EF's materializer of the element type reads them.
        foreach (var entityType in HierarchyOf(root))
        {
            foreach (var complex in entityType.GetDeclaredComplexProperties().Where(c => c.IsCollection))
            {
                var name = (complexNames[complex.Name] == 1 || entityType == root ? "" : entityType.ShortName() + ":") + complex.Name;
                var slot = AddSlot(complex, typeof(IEnumerable<ValueBuffer>));
                var members = ComplexMembers(complex, name + ComplexCollectionElementSuffix).ToList();
                foreach (var (member, path) in members)
                {
                    _storedNames[member] = path;
                }

                _complexCollections.Add(new LsmComplexCollectionNode(complex, name, slot, members));
            }
        }
    }

    /// <summary>The layout of the elements of the owned collection <paramref name="collection"/>.</summary>
    private LsmRowLayout(INavigation collection, string prefix)
    {
        Root = collection.TargetEntityType;
        var ownership = collection.ForeignKey;
        foreach (var property in Root.GetProperties())
        {
            var slot = AddSlot(property, property.ClrType);
            var keyIndex = IndexOf(ownership.Properties, property);
            if (keyIndex >= 0)
            {
                // The ownership key repeats the owner's key: not stored, filled from the owner's row (outer values).
                OuterOwnerKeys.Add(new LsmOwnerKeySlot(slot, ownership.PrincipalKey.Properties[keyIndex]));
                continue;
            }

            _storedNames[property] = prefix + property.Name;
            _storedProperties.Add(property);
        }

        // Members of an owned type's complex properties are values of the element map, as an entity's are of its row.
        foreach (var complex in Root.GetComplexProperties().Where(c => !c.IsCollection))
        {
            foreach (var (member, path) in ComplexMembers(complex, prefix + complex.Name))
            {
                AddSlot(member, member.ClrType);
                _storedNames[member] = path;
                _storedProperties.Add(member);
            }
        }

        TopLevelSlotCount = _slotList.Count;
        foreach (var navigation in OwnedNavigations(Root, declaredOnly: false))
        {
            _ownedNodes.Add(CreateNode(navigation, prefix));
        }
    }

    /// <summary>
    /// The name the catalog records <paramref name="property"/> under (docs/catalog.md): its name, or for a property declared
    /// on a derived type whose name another type of the hierarchy declares too, <c>DeclaringType:Name</c>; for a property of
    /// an owned type, its path from the row (<c>ShippingAddress/City</c>, <c>Addresses/Street</c>); for a member of a complex
    /// property, its path from the entity (<c>Origin.City</c>, <c>Origin.Geo.Latitude</c>).
    /// </summary>
    public string StoredNameOf(IPropertyBase property) =>
        TryGetStoredName(property, out var name)
            ? name
            : throw new InvalidOperationException(
                $"'{property.DeclaringType.DisplayName()}.{property.Name}' is not stored in the rows of '{Root.DisplayName()}'.");

    private bool TryGetStoredName(IPropertyBase property, out string name)
    {
        if (_storedNames.TryGetValue(property, out name!))
        {
            return true;
        }

        foreach (var element in ElementLayouts())
        {
            if (element.TryGetStoredName(property, out name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every stored property with its catalog name: the hierarchy's own in slot order, then those of its owned values (also the
    /// elements of owned collections), whose stored names are paths.
    /// </summary>
    public IEnumerable<(IProperty Property, string Name)> StoredProperties =>
        _storedProperties.Select(p => (p, _storedNames[p])).Concat(ElementLayouts().SelectMany(e => e.StoredProperties));

    /// <summary>
    /// The stored properties that are columns of the root's table as EF's relational mapping has them, with their catalog
    /// names: the hierarchy's own, the members of its complex values and of its owned references (nested ones too). Not the
    /// members of owned collections' elements: EF maps those to a table of their own, and here they are values inside an
    /// array of the owner's row, no column of it (docs/migrations.md, "Names").
    /// </summary>
    public IEnumerable<(IProperty Property, string Name)> ColumnProperties => _storedProperties.Select(p => (p, _storedNames[p]));

    /// <summary>Only the properties of the row's own types (not of owned values), with their catalog names.</summary>
    public IEnumerable<(IProperty Property, string Name)> TopLevelProperties =>
        _storedProperties.Where(p => !IsOwnedValue(p)).Select(p => (p, _storedNames[p]));

    /// <summary>
    /// The stored names of the owned navigations of the rows (theirs, and those nested in owned values): each has an id of
    /// its own, under which its nested map or array is stored (docs/row_encoding.md, "Owned values").
    /// </summary>
    public IEnumerable<(INavigation Navigation, string Name)> OwnedNavigationNames =>
        AllNodes(_ownedNodes).Select(n => (n.Navigation, n.StoredName))
            .Concat(ElementLayouts().SelectMany(e => e.OwnedNavigationNames));

    /// <summary>
    /// The complex collections of the rows (docs/row_encoding.md, "Complex collections"): each has an id of its own, under
    /// which its array of element maps is stored, and its elements' members have ids named <c>Tags[].Name</c>.
    /// </summary>
    public IReadOnlyList<LsmComplexCollectionNode> ComplexCollections => _complexCollections;

    /// <summary>
    /// Follows a complex collection's name in its element members' stored names: <c>Tags[].Name</c>, <c>Tags[].Geo.Latitude</c>
    /// (docs/catalog.md).
    /// </summary>
    public const string ComplexCollectionElementSuffix = "[]";

    /// <summary>The owned navigations stored at the top level of the rows, with their nested values.</summary>
    public IReadOnlyList<LsmOwnedNode> OwnedNodes => _ownedNodes;

    /// <summary>For an element layout: the slots of the ownership key, filled from the owner's (outer) row.</summary>
    public List<LsmOwnerKeySlot> OuterOwnerKeys { get; } = [];

    /// <summary>The root of the hierarchy whose rows this layout describes (for an element layout, the owned type).</summary>
    public IEntityType Root { get; }

    public IReadOnlyList<LsmRowSlot> Slots => _slotList;

    public int SlotCount => _slotList.Count;

    /// <summary>The slots of the row's own properties (<c>0..TopLevelSlotCount-1</c>); owned values' slots follow.</summary>
    public int TopLevelSlotCount { get; }

    /// <summary>Whether the rows hold owned values.</summary>
    public bool HasOwnedValues => _ownedNodes.Count > 0;

    /// <summary>
    /// The layout of the rows of <paramref name="entityType"/>'s hierarchy (built once per model; built afresh for a model
    /// that is not read-only, as a migration's target model is, since only a read-only model holds runtime annotations).
    /// </summary>
    public static LsmRowLayout For(IEntityType entityType)
    {
        var root = entityType.GetRootType();
        return root is AnnotatableBase { IsReadOnly: false }
            ? new LsmRowLayout(root)
            : root.GetOrAddRuntimeAnnotationValue(AnnotationName, static r => new LsmRowLayout(r!), root);
    }

    /// <summary>Separates the parts of a complex member's stored name: <c>Address.City</c>, <c>Address.Geo.Latitude</c> (docs/catalog.md).</summary>
    public const char ComplexPathSeparator = '.';

    /// <summary>
    /// The scalar members of <paramref name="complex"/> and of the complex properties nested in it, each with its stored name
    /// (<paramref name="path"/>, then the member names, joined by <see cref="ComplexPathSeparator"/>).
    /// </summary>
    public static IEnumerable<(IProperty Member, string Path)> ComplexMembers(IComplexProperty complex, string path)
    {
        foreach (var member in complex.ComplexType.GetProperties())
        {
            yield return (member, path + ComplexPathSeparator + member.Name);
        }

        foreach (var nested in complex.ComplexType.GetComplexProperties())
        {
            foreach (var inner in ComplexMembers(nested, path + ComplexPathSeparator + nested.Name))
            {
                yield return inner;
            }
        }
    }

    /// <summary>The properties of <paramref name="type"/> and the members of its complex properties (nested ones too).</summary>
    public static IEnumerable<IReadOnlyProperty> FlattenedProperties(IReadOnlyTypeBase type) =>
        type.GetProperties().Concat(type.GetComplexProperties().Where(c => !c.IsCollection).SelectMany(c => FlattenedProperties(c.ComplexType)));

    /// <summary>
    /// Whether <paramref name="property"/> is a member of a complex value that may be null (a nullable complex property on its
    /// path): its value reads as null when the complex value is null, so a missing or nil value must not read as a default.
    /// </summary>
    public static bool IsInOptionalComplexValue(IReadOnlyProperty property) => IsOptional(property.DeclaringType);

    /// <summary>Whether values of <paramref name="type"/> may be null: a complex type with a nullable complex property on its path.</summary>
    public static bool IsOptional(IReadOnlyTypeBase type)
    {
        for (; type is IReadOnlyComplexType complexType; type = complexType.ComplexProperty.DeclaringType)
        {
            if (complexType.ComplexProperty.IsNullable)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The entity type whose rows hold <paramref name="property"/>: its declaring type, or for a complex member the entity type the complex property is on.</summary>
    public static IEntityType DeclaringEntityType(IPropertyBase property)
    {
        var type = property.DeclaringType;
        while (type is IComplexType complexType)
        {
            type = complexType.ComplexProperty.DeclaringType;
        }

        return (IEntityType)type;
    }

    /// <summary>
    /// Whether some rows of <paramref name="root"/>'s table may have no value for <paramref name="property"/> although the
    /// property itself is required, so its column is nullable as EF's relational conventions make it: a property of a derived
    /// type (TPH: the other types' rows have none), a member of an optional complex value, a member of an optional owned
    /// reference (the owner's row holds no owned value) or of an owned collection's elements. The type whose rows hold a
    /// complex member or an owned member is found by walking out of the complex and owned types to the entity type that
    /// stores them, since the member's own declaring type is the complex or owned type.
    /// </summary>
    public static bool IsAbsentFromSomeRows(IProperty property, IEntityType root)
    {
        if (IsOptional(property.DeclaringType))
        {
            return true;
        }

        var type = DeclaringEntityType(property);
        while (type.FindOwnership() is { } ownership)
        {
            if (!ownership.IsRequiredDependent || ownership.PrincipalToDependent is not { IsCollection: false })
            {
                return true;
            }

            // A required owned reference is in every row of its owner: go on to the owner.
            type = ownership.PrincipalEntityType;
        }

        return type != root.GetRootType();
    }

    /// <summary>The entity types sharing a root's keyspace: the root, then its derived types (a fixed order).</summary>
    public static IEnumerable<IEntityType> HierarchyOf(IEntityType root) => root.GetDerivedTypesInclusive();

    /// <summary>The navigations of <paramref name="entityType"/> to the owned types stored in its rows.</summary>
    public static IEnumerable<INavigation> OwnedNavigations(IEntityType entityType, bool declaredOnly) =>
        (declaredOnly ? entityType.GetDeclaredNavigations() : entityType.GetNavigations())
        .Where(n => n.ForeignKey.IsOwnership && n.IsOnDependent == false);

    public int SlotOf(IPropertyBase property) =>
        _slots.TryGetValue(property, out var slot)
            ? slot
            : throw new InvalidOperationException(
                $"'{property.DeclaringType.DisplayName()}.{property.Name}' is not stored in the rows of '{Root.DisplayName()}'.");

    public bool TryGetSlot(IPropertyBase property, out int slot) => _slots.TryGetValue(property, out slot);

    /// <summary>The owned node of <paramref name="navigation"/> in this layout (top level or nested in an owned reference).</summary>
    public LsmOwnedNode? FindNode(INavigation navigation) => AllNodes(_ownedNodes).FirstOrDefault(n => n.Navigation == navigation);

    /// <summary>The layout of the elements of the owned collection <paramref name="navigation"/>, wherever its owner is stored.</summary>
    public static LsmRowLayout FindElementLayout(INavigation navigation)
    {
        var root = navigation.DeclaringEntityType;
        while (root.IsOwned())
        {
            root = root.FindOwnership()!.PrincipalEntityType;
        }

        return Find(For(root), navigation) ?? throw new InvalidOperationException(
            $"The owned collection '{navigation.DeclaringEntityType.DisplayName()}.{navigation.Name}' is not stored in the rows of "
            + $"'{root.DisplayName()}'.");

        static LsmRowLayout? Find(LsmRowLayout layout, INavigation navigation)
        {
            foreach (var node in AllNodes(layout._ownedNodes))
            {
                if (node.Element is { } element)
                {
                    if (node.Navigation == navigation)
                    {
                        return element;
                    }

                    if (Find(element, navigation) is { } nested)
                    {
                        return nested;
                    }
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Adds to <paramref name="needed"/> what decoding its owned slots needs: an owned value's key is its owner's, so its
    /// owner's key slots are decoded with it.
    /// </summary>
    public void CompleteNeededSlots(bool[] needed)
    {
        foreach (var node in AllNodes(_ownedNodes))
        {
            if (node.IsNeeded(needed))
            {
                foreach (var key in node.OwnerKeys)
                {
                    needed[key.SourceSlot] = true;
                }
            }
        }
    }

    private LsmOwnedNode CreateNode(INavigation navigation, string prefix)
    {
        var name = prefix + navigation.Name;
        if (navigation.IsCollection)
        {
            var slot = AddSlot(navigation, typeof(IEnumerable<ValueBuffer>));
            return new LsmOwnedNode(navigation, name, slot, new LsmRowLayout(navigation, name + PathSeparator), [], [], []);
        }

        var target = navigation.TargetEntityType;
        var ownership = navigation.ForeignKey;
        var values = new List<(IProperty, int)>();
        var keys = new List<LsmOwnerKeySlot>();
        foreach (var property in target.GetProperties())
        {
            var slot = AddSlot(property, property.ClrType);
            var keyIndex = IndexOf(ownership.Properties, property);
            if (keyIndex >= 0)
            {
                keys.Add(new LsmOwnerKeySlot(slot, ownership.PrincipalKey.Properties[keyIndex]) { SourceSlot = SlotOf(ownership.PrincipalKey.Properties[keyIndex]) });
                continue;
            }

            _storedNames[property] = name + PathSeparator + property.Name;
            _storedProperties.Add(property);
            values.Add((property, slot));
        }

        // Members of the owned type's complex properties are values of its nested map (docs/row_encoding.md, "Complex values
        // of owned types"), named by their path: ShippingAddress/Tag.Label.
        foreach (var complex in target.GetComplexProperties().Where(c => !c.IsCollection))
        {
            foreach (var (member, path) in ComplexMembers(complex, name + PathSeparator + complex.Name))
            {
                var slot = AddSlot(member, member.ClrType);
                _storedNames[member] = path;
                _storedProperties.Add(member);
                values.Add((member, slot));
            }
        }

        var nested = OwnedNavigations(target, declaredOnly: false).Select(n => CreateNode(n, name + PathSeparator)).ToList();
        return new LsmOwnedNode(navigation, name, -1, null, values, keys, nested);
    }

    private IEnumerable<LsmRowLayout> ElementLayouts() =>
        AllNodes(_ownedNodes).Where(n => n.Element is not null).Select(n => n.Element!);

    private static IEnumerable<LsmOwnedNode> AllNodes(IEnumerable<LsmOwnedNode> nodes)
    {
        foreach (var node in nodes)
        {
            yield return node;
            foreach (var nested in AllNodes(node.Nested))
            {
                yield return nested;
            }
        }
    }

    private bool IsOwnedValue(IProperty property) => _slots[property] >= TopLevelSlotCount;

    private static int IndexOf(IReadOnlyList<IProperty> properties, IProperty property)
    {
        for (var i = 0; i < properties.Count; i++)
        {
            if (properties[i] == property)
            {
                return i;
            }
        }

        return -1;
    }

    private int AddSlot(IPropertyBase property, Type clrType)
    {
        var slot = _slotList.Count;
        _slots.Add(property, slot);
        _slotList.Add(new LsmRowSlot(property, slot, clrType));
        return slot;
    }
}

/// <summary>
/// A complex collection stored in a row (docs/row_encoding.md, "Complex collections"): its stored name, the slot of its decoded
/// elements, and the scalar members of its element type (nested complex properties' members too) with their stored names.
/// </summary>
internal sealed record LsmComplexCollectionNode(
    IComplexProperty Property, string StoredName, int Slot, IReadOnlyList<(IProperty Member, string Path)> Members);

/// <summary>One slot of a decoded row: the property whose value it holds and the CLR type of that value.</summary>
internal sealed record LsmRowSlot(IPropertyBase Property, int Index, Type ClrType);

/// <summary>
/// A slot of an owned type's ownership key (not stored: it repeats its owner's key) and the owner's key property it copies;
/// <see cref="SourceSlot"/> is that property's slot in the same layout (owned references) or -1 (collection elements,
/// whose owner is the outer row).
/// </summary>
internal sealed record LsmOwnerKeySlot(int Slot, IProperty Source)
{
    public int SourceSlot { get; init; } = -1;
}

/// <summary>
/// An owned navigation stored in a row (docs/row_encoding.md, "Owned values"): a reference is a nested map whose values land
/// in slots of the containing layout (<see cref="Values"/>, <see cref="OwnerKeys"/>, <see cref="Nested"/>), nil or absent when
/// the owned entity is null; a collection is an array of element maps decoded into <see cref="Element"/>'s layout, held in
/// slot <see cref="Slot"/>.
/// </summary>
internal sealed class LsmOwnedNode(
    INavigation navigation,
    string storedName,
    int slot,
    LsmRowLayout? element,
    IReadOnlyList<(IProperty Property, int Slot)> values,
    IReadOnlyList<LsmOwnerKeySlot> ownerKeys,
    IReadOnlyList<LsmOwnedNode> nested)
{
    public INavigation Navigation { get; } = navigation;

    public string StoredName { get; } = storedName;

    public bool IsCollection => Element is not null;

    public int Slot { get; } = slot;

    public LsmRowLayout? Element { get; } = element;

    public IReadOnlyList<(IProperty Property, int Slot)> Values { get; } = values;

    public IReadOnlyList<LsmOwnerKeySlot> OwnerKeys { get; } = ownerKeys;

    public IReadOnlyList<LsmOwnedNode> Nested { get; } = nested;

    /// <summary>Whether decoding the slots <paramref name="needed"/> marks (all when null) needs this node's value.</summary>
    public bool IsNeeded(bool[]? needed)
    {
        if (needed is null)
        {
            return true;
        }

        if (IsCollection)
        {
            return needed[Slot];
        }

        foreach (var (_, valueSlot) in Values)
        {
            if (needed[valueSlot])
            {
                return true;
            }
        }

        foreach (var key in OwnerKeys)
        {
            if (needed[key.Slot])
            {
                return true;
            }
        }

        foreach (var node in Nested)
        {
            if (node.IsNeeded(needed))
            {
                return true;
            }
        }

        return false;
    }
}
