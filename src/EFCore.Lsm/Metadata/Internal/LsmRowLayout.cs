using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// Where each value of a stored row lands when the query pipeline decodes it: one slot per property of the whole
/// hierarchy of a root entity type (TPH: every derived type's properties too, since all of them share the root's keyspace),
/// so a decoded row is a <c>ValueBuffer</c> whose slot <see cref="SlotOf"/> holds that property's model value. Derived from
/// the model alone (queries are compiled before any store is opened); the catalog's property ids are bound per store by
/// <see cref="LsmEntityMapping"/>.
/// </summary>
internal sealed class LsmRowLayout
{
    private const string AnnotationName = "Lsm:RowLayout";

    private readonly Dictionary<IPropertyBase, int> _slots = [];
    private readonly List<LsmRowSlot> _slotList = [];
    private readonly Dictionary<IPropertyBase, string> _storedNames = [];

    private LsmRowLayout(IEntityType root)
    {
        Root = root;
        var declaredNames = HierarchyOf(root).SelectMany(t => t.GetDeclaredProperties()).GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var entityType in HierarchyOf(root))
        {
            foreach (var property in entityType.GetDeclaredProperties())
            {
                Add(new LsmRowSlot(property, _slotList.Count, property.ClrType));

                // Derived types of one hierarchy may declare properties of the same name; each gets its own id, named after
                // its declaring type when the name alone is ambiguous.
                _storedNames[property] = declaredNames[property.Name] == 1 || entityType == root
                    ? property.Name
                    : entityType.ShortName() + ":" + property.Name;
            }
        }
    }

    /// <summary>
    /// The name the catalog records <paramref name="property"/> under (docs/catalog.md): its name, or for a property declared
    /// on a derived type whose name another type of the hierarchy declares too, <c>DeclaringType:Name</c>.
    /// </summary>
    public string StoredNameOf(IPropertyBase property) => _storedNames[property];

    /// <summary>Every stored property of the hierarchy with its catalog name, in slot order.</summary>
    public IEnumerable<(IProperty Property, string Name)> StoredProperties =>
        _slotList.Select(s => ((IProperty)s.Property, _storedNames[s.Property]));

    /// <summary>The root of the hierarchy whose rows this layout describes.</summary>
    public IEntityType Root { get; }

    public IReadOnlyList<LsmRowSlot> Slots => _slotList;

    public int SlotCount => _slotList.Count;

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

    /// <summary>The entity types sharing a root's keyspace: the root, then its derived types (a fixed order).</summary>
    public static IEnumerable<IEntityType> HierarchyOf(IEntityType root) => root.GetDerivedTypesInclusive();

    public int SlotOf(IPropertyBase property) =>
        _slots.TryGetValue(property, out var slot)
            ? slot
            : throw new InvalidOperationException(
                $"'{property.DeclaringType.DisplayName()}.{property.Name}' is not stored in the rows of '{Root.DisplayName()}'.");

    public bool TryGetSlot(IPropertyBase property, out int slot) => _slots.TryGetValue(property, out slot);

    private void Add(LsmRowSlot slot)
    {
        _slots.Add(slot.Property, slot.Index);
        _slotList.Add(slot);
    }
}

/// <summary>One slot of a decoded row: the property whose value it holds and the CLR type of that value.</summary>
internal sealed record LsmRowSlot(IPropertyBase Property, int Index, Type ClrType);
