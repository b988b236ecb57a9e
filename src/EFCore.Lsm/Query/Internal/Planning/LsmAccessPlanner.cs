using System.Linq.Expressions;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Query.Internal;

/// <summary>An ordering asked of a source: a key selector over its row, and its direction.</summary>
internal sealed record LsmOrdering(LambdaExpression KeySelector, bool Ascending);

/// <summary>
/// The planned access of one source with the expressions that compute its values, and what it enforces: which conjuncts of
/// the filters it guarantees (so a limit can go to the scan), and whether it yields rows in the order asked for.
/// </summary>
internal sealed record LsmPlannedAccess(
    LsmAccessPlan Plan, IReadOnlyList<Expression> Values, IReadOnlySet<Expression> EnforcedTerms, bool SatisfiesOrdering);

/// <summary>
/// Chooses the access paths of a source from its filters and orderings (docs/storage_seam.md lists what each costs):
/// full primary key equality → point get; equality on a key prefix plus a range or <c>StartsWith</c> on the next part →
/// key range; <c>ids.Contains(e.Id)</c> → multi-get; equality on an index prefix plus a range or <c>StartsWith</c> on the
/// next column → index range, then a multi-get of its rows. When several are possible, all are offered and
/// <see cref="LsmRowSource"/> picks one when it runs, by a fixed rank (docs/query_planning.md). Orderings the chosen path's
/// key order gives need no sort (descending → reverse scan). The filters still run after the access, so a path only ever
/// reads a superset of the rows that match.
/// </summary>
internal static class LsmAccessPlanner
{
    public static List<LsmPlannedAccess> Plan(
        IEntityType entityType,
        IReadOnlyList<LambdaExpression> predicates,
        IReadOnlyList<LsmOrdering> orderings,
        bool[]? neededSlots,
        out List<Expression> terms)
    {
        var conditions = LsmConditions.Collect(predicates, out terms);
        var candidates = new List<LsmPlannedAccess>();
        var primaryKey = entityType.GetRootType().FindPrimaryKey()!.Properties;
        var keyPath = PlanKey(entityType, primaryKey, conditions, orderings, neededSlots);
        candidates.Add(keyPath);
        if (keyPath.Plan.Kind is LsmAccessKind.PointGet or LsmAccessKind.MultiGet)
        {
            // Nothing reads fewer rows.
            return candidates;
        }

        // Every row of the hierarchy has an entry in each of its indexes (a type without an indexed property indexes null).
        foreach (var index in LsmRowLayout.HierarchyOf(entityType.GetRootType()).SelectMany(t => t.GetDeclaredIndexes()))
        {
            if (PlanIndex(entityType, index, conditions, orderings, neededSlots) is { } indexPath)
            {
                candidates.Add(indexPath);
            }
        }

        return candidates;
    }

    /// <summary>
    /// The index range of <paramref name="index"/> the conditions allow: equality on its leading columns (null too: the
    /// entries hold null parts), then a range, a <c>StartsWith</c> or a list (<c>values.Contains(e.Column)</c>, one range
    /// per value) on the next column; null when no leading column is constrained. Whether the entries cover the query is
    /// decided when it runs (the catalog says which columns the entries hold exactly); the plan says what it may.
    /// </summary>
    private static LsmPlannedAccess? PlanIndex(
        IEntityType entityType, IIndex index, List<LsmCondition> conditions, IReadOnlyList<LsmOrdering> orderings, bool[]? neededSlots)
    {
        var columns = index.Properties;
        var values = new List<Expression>();
        var enforced = new HashSet<Expression>();
        var equalCount = 0;
        for (; equalCount < columns.Count; equalCount++)
        {
            if (conditions.FirstOrDefault(c => c.Property == columns[equalCount] && c.Kind == LsmConditionKind.Equal) is not { } equal)
            {
                break;
            }

            values.Add(equal.Value);
            enforced.Add(equal.Term);
        }

        var order = IndexOrder(entityType, index);
        LsmCondition? lower = null, upper = null, startsWith = null, list = null;
        if (equalCount < columns.Count)
        {
            (lower, upper, startsWith) = Bounds(conditions, columns[equalCount]);
            if (lower is null && upper is null && startsWith is null)
            {
                list = conditions.FirstOrDefault(c => c.Property == columns[equalCount] && c.Kind == LsmConditionKind.In);
            }
        }

        if (equalCount == 0 && lower is null && upper is null && startsWith is null && list is null)
        {
            return null;
        }

        AddBounds(values, enforced, lower, upper, startsWith);
        if (list is not null)
        {
            values.Add(list.Value);
            enforced.Add(list.Term);
        }

        // A list reads its ranges in value order, so the entries come in index order too.
        var ordered = MatchOrder(order, equalCount, orderings, out var reverse);
        return new LsmPlannedAccess(
            new LsmAccessPlan
            {
                EntityType = entityType,
                Kind = LsmAccessKind.IndexRange,
                IndexName = LsmCatalog.IndexName(index),
                EqualCount = equalCount,
                HasLower = lower is not null,
                LowerInclusive = lower?.Kind == LsmConditionKind.GreaterThanOrEqual,
                HasUpper = upper is not null,
                UpperInclusive = upper?.Kind == LsmConditionKind.LessThanOrEqual,
                HasStartsWith = startsWith is not null,
                HasKeys = list is not null,
                Reverse = ordered && reverse,
                NeededSlots = neededSlots,
            },
            values,
            enforced,
            ordered);
    }

    /// <summary>
    /// The order of an index's entries as (property, ascending) pairs: its columns in their directions, then — ties of equal
    /// values — the primary key parts ascending (docs/index_encoding.md). A unique index's entries with non-null values have no
    /// ties; the primary key parts after them order nothing, so they may be listed all the same.
    /// </summary>
    private static List<(IProperty Property, bool Ascending)> IndexOrder(IEntityType entityType, IIndex index)
    {
        var order = new List<(IProperty, bool)>();
        for (var i = 0; i < index.Properties.Count; i++)
        {
            order.Add((index.Properties[i], !LsmCatalog.IsDescending(index, i)));
        }

        foreach (var part in entityType.GetRootType().FindPrimaryKey()!.Properties)
        {
            order.Add((part, true));
        }

        return order;
    }

    private static LsmPlannedAccess PlanKey(
        IEntityType entityType, IReadOnlyList<IProperty> key, List<LsmCondition> conditions, IReadOnlyList<LsmOrdering> orderings,
        bool[]? neededSlots)
    {
        var values = new List<Expression>();
        var enforced = new HashSet<Expression>();
        var equalCount = 0;
        for (; equalCount < key.Count; equalCount++)
        {
            if (conditions.FirstOrDefault(c => c.Property == key[equalCount] && c.Kind == LsmConditionKind.Equal) is not { } equal)
            {
                break;
            }

            values.Add(equal.Value);
            enforced.Add(equal.Term);
        }

        if (equalCount == key.Count)
        {
            return new LsmPlannedAccess(
                new LsmAccessPlan { EntityType = entityType, Kind = LsmAccessKind.PointGet, EqualCount = equalCount, NeededSlots = neededSlots },
                values,
                enforced,
                SatisfiesOrdering: true);
        }

        var next = key[equalCount];
        var ordered = MatchKeyOrder(key, equalCount, orderings, out var reverse);
        var (lower, upper, startsWith) = Bounds(conditions, next);
        if (equalCount > 0 || lower is not null || upper is not null || startsWith is not null)
        {
            AddBounds(values, enforced, lower, upper, startsWith);
            return new LsmPlannedAccess(
                new LsmAccessPlan
                {
                    EntityType = entityType,
                    Kind = LsmAccessKind.KeyRange,
                    EqualCount = equalCount,
                    HasLower = lower is not null,
                    LowerInclusive = lower?.Kind == LsmConditionKind.GreaterThanOrEqual,
                    HasUpper = upper is not null,
                    UpperInclusive = upper?.Kind == LsmConditionKind.LessThanOrEqual,
                    HasStartsWith = startsWith is not null,
                    Reverse = ordered && reverse,
                    NeededSlots = neededSlots,
                },
                values,
                enforced,
                ordered);
        }

        if (key.Count == 1 && conditions.FirstOrDefault(c => c.Property == key[0] && c.Kind == LsmConditionKind.In) is { } contains)
        {
            return new LsmPlannedAccess(
                new LsmAccessPlan
                {
                    EntityType = entityType,
                    Kind = LsmAccessKind.MultiGet,
                    HasKeys = true,
                    Reverse = ordered && reverse,
                    NeededSlots = neededSlots,
                },
                [contains.Value],
                new HashSet<Expression> { contains.Term },
                ordered);
        }

        return new LsmPlannedAccess(
            new LsmAccessPlan { EntityType = entityType, Kind = LsmAccessKind.FullScan, Reverse = ordered && reverse, NeededSlots = neededSlots },
            [],
            enforced,
            ordered);
    }

    /// <summary>The range conditions on <paramref name="part"/> a scan can bound itself by (strings: also a prefix).</summary>
    private static (LsmCondition? Lower, LsmCondition? Upper, LsmCondition? StartsWith) Bounds(List<LsmCondition> conditions, IProperty part)
    {
        if (!IsOrderCompatible(part))
        {
            return (null, null, null);
        }

        var lower = conditions.FirstOrDefault(c => c.Property == part && c.Kind is LsmConditionKind.GreaterThan or LsmConditionKind.GreaterThanOrEqual);
        var upper = conditions.FirstOrDefault(c => c.Property == part && c.Kind is LsmConditionKind.LessThan or LsmConditionKind.LessThanOrEqual);
        var startsWith = lower is null && upper is null && part.ClrType == typeof(string)
            ? conditions.FirstOrDefault(c => c.Property == part && c.Kind == LsmConditionKind.StartsWith)
            : null;
        return (lower, upper, startsWith);
    }

    private static void AddBounds(
        List<Expression> values, HashSet<Expression> enforced, LsmCondition? lower, LsmCondition? upper, LsmCondition? startsWith)
    {
        foreach (var condition in (ReadOnlySpan<LsmCondition?>)[lower, upper, startsWith])
        {
            if (condition is not null)
            {
                values.Add(condition.Value);
                enforced.Add(condition.Term);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="orderings"/> are the order of the key parts after the <paramref name="fixedParts"/> equal ones:
    /// the next parts in order, all ascending; or all remaining parts, all descending (a reverse scan; with fewer parts the
    /// ties would come in descending key order, where a sort keeps them ascending). Orderings by a fixed part change nothing.
    /// </summary>
    public static bool MatchKeyOrder(IReadOnlyList<IProperty> key, int fixedParts, IReadOnlyList<LsmOrdering> orderings, out bool reverse) =>
        MatchOrder([.. key.Select(p => (p, true))], fixedParts, orderings, out reverse);

    /// <summary>
    /// Whether <paramref name="orderings"/> are the order of a scan whose entries sort by <paramref name="order"/> (each part
    /// ascending or descending in its bytes), after the <paramref name="fixedParts"/> equal ones: the next parts in the scan's
    /// directions, or all remaining parts in the opposite directions (a reverse scan; see <see cref="MatchKeyOrder"/>).
    /// </summary>
    private static bool MatchOrder(
        IReadOnlyList<(IProperty Property, bool Ascending)> order, int fixedParts, IReadOnlyList<LsmOrdering> orderings, out bool reverse)
    {
        reverse = false;
        if (orderings.Count == 0)
        {
            return true;
        }

        var parts = new List<(IProperty Property, bool Ascending)>();
        foreach (var ordering in orderings)
        {
            if (LsmConditions.RowProperty(ordering.KeySelector.Body, ordering.KeySelector.Parameters[0]) is not { } property)
            {
                return false;
            }

            var index = IndexOf(order, property);
            if (index < 0)
            {
                return false;
            }

            if (index >= fixedParts)
            {
                parts.Add((property, ordering.Ascending));
            }
        }

        if (parts.Count == 0)
        {
            return true;
        }

        var remaining = order.Count - fixedParts;
        reverse = parts[0].Ascending != order[fixedParts].Ascending;
        if (parts.Count > remaining || (reverse && parts.Count != remaining))
        {
            return false;
        }

        for (var i = 0; i < parts.Count; i++)
        {
            var (property, ascending) = order[fixedParts + i];
            if (parts[i].Property != property || (parts[i].Ascending == ascending) == reverse || !IsOrderCompatible(property))
            {
                return false;
            }
        }

        return true;
    }

    private static int IndexOf(IReadOnlyList<(IProperty Property, bool Ascending)> order, IProperty property)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (order[i].Property == property)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether the key order of <paramref name="property"/>'s values is the order a query compares them by: numbers, dates,
    /// times, bool, enums and (unconverted) strings, whose query order is code point order (LsmStringComparer); not Guids,
    /// byte arrays or converted values.
    /// </summary>
    public static bool IsOrderCompatible(IProperty property)
    {
        if (property.GetTypeMapping().Converter is not null)
        {
            return false;
        }

        var type = property.ClrType.UnwrapNullableType();
        if (type.IsEnum)
        {
            return true;
        }

        return Type.GetTypeCode(type) is TypeCode.Boolean or TypeCode.Char or TypeCode.SByte or TypeCode.Byte or TypeCode.Int16
                or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Single
                or TypeCode.Double or TypeCode.Decimal or TypeCode.DateTime or TypeCode.String
            || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(TimeSpan);
    }

    /// <summary>The slots of <paramref name="entityType"/>'s rows that <paramref name="readProperties"/> need decoded.</summary>
    public static bool[]? NeededSlots(IEntityType entityType, IReadOnlySet<IPropertyBase> readProperties)
    {
        var layout = LsmRowLayout.For(entityType);
        var needed = new bool[layout.SlotCount];
        var all = true;
        for (var i = 0; i < needed.Length; i++)
        {
            needed[i] = readProperties.Contains(layout.Slots[i].Property);
            all &= needed[i];
        }

        if (!all && layout.HasOwnedValues)
        {
            layout.CompleteNeededSlots(needed);
        }

        return all ? null : needed;
    }
}
