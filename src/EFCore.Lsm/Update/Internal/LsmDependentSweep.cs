using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Finds, at one view, the entries that may be dependents of many principals of one foreign key with as few cursors as the
/// entries' layout allows, instead of one scan per principal: a delete of many principals (a cascade, an
/// <c>ExecuteDelete</c> of a key range) would otherwise open a cursor — a merge of the memtables and every overlapping
/// table — for each of them, and that opening costs more than reading the few entries each finds.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Through an index or a primary key prefix, each principal's dependents are one range of the foreign key's layout
/// (<see cref="LsmForeignKeyMapping.DependentRange"/>), distinct principals' ranges are disjoint, and sorted by their lower
/// ends they are in the cursor's order: one cursor walks from the first range's start, entries between ranges are
/// stepped over, and when more than <see cref="MaxSkippedEntries"/> lie between two ranges (other principals' dependents)
/// a new cursor starts at the next range, so a sparse set of principals costs no more than scans of its own ranges.</item>
/// <item>Without either (<see cref="LsmDependentAccess.FullScan"/>), every principal's range is the whole dependent table: it
/// is read once, and each row goes to the principal its foreign key names.</item>
/// </list>
/// The caller keeps the save's own writes out (they are checked against the plan's rows afterwards) and requires each
/// principal's range unchanged since the view, as for a single principal.
/// </remarks>
internal static class LsmDependentSweep
{
    /// <summary>Entries stepped over between two ranges before the sweep starts a new cursor at the next range.</summary>
    internal const int MaxSkippedEntries = 32;

    /// <summary>
    /// A deleted principal: the key its dependents name (null where only the range matters: see <see cref="TryTarget"/>),
    /// and the range of its dependents' entries.
    /// </summary>
    internal readonly record struct Target(byte[]? PrincipalKey, byte[] Lower, byte[] Upper);

    /// <summary>
    /// The target of the principal row <paramref name="principalRow"/> (as stored before its delete) for
    /// <paramref name="foreignKey"/>; false when no dependent can name it (a referenced value is null, or cannot be encoded as
    /// the dependent's parts). Without <paramref name="principalKey"/> the target's key is left out where the sweep does not
    /// need it (it does to sort a whole table's rows by principal), for a caller that only asks whether there are entries;
    /// <paramref name="values"/> (one per referenced column) spares a caller with many rows an array per row.
    /// </summary>
    public static bool TryTarget(
        LsmForeignKeyMapping foreignKey, ReadOnlySpan<byte> principalRow, out Target target, bool principalKey = true, object?[]? values = null)
    {
        if (values is null)
        {
            values = foreignKey.PrincipalValues(principalRow);
        }
        else
        {
            foreignKey.PrincipalValues(principalRow, values);
        }

        byte[]? key = null;
        if (Array.IndexOf(values, null) >= 0
            || ((principalKey || foreignKey.Access == LsmDependentAccess.FullScan) && (key = foreignKey.PrincipalKeyOfValues(values)) is null))
        {
            target = default;
            return false;
        }

        try
        {
            var (lower, upper) = foreignKey.DependentRange(values);
            target = new Target(key, lower, upper);
            return true;
        }
        catch (LsmInvalidEntityException)
        {
            target = default;
            return false;
        }
    }

    /// <summary>
    /// For each of <paramref name="targets"/>, the entries in its range at <paramref name="view"/> as (row key, row), the row
    /// null when the entry is an index entry (the row is read by the caller); null where there are none.
    /// </summary>
    public static List<(byte[] Key, byte[]? Row)>?[] Find(ILsmReadView view, LsmForeignKeyMapping foreignKey, IReadOnlyList<Target> targets)
    {
        var found = new List<(byte[] Key, byte[]? Row)>?[targets.Count];
        if (targets.Count == 1)
        {
            FindInRange(view, foreignKey, targets[0].Lower, targets[0].Upper, ref found[0]);
        }
        else if (foreignKey.Access == LsmDependentAccess.FullScan)
        {
            FindInTable(view, foreignKey, targets, found);
        }
        else
        {
            FindInRanges(view, foreignKey, targets, found);
        }

        return found;
    }

    private static void FindInRange(
        ILsmReadView view, LsmForeignKeyMapping foreignKey, byte[] lower, byte[] upper, ref List<(byte[] Key, byte[]? Row)>? found)
    {
        using var cursor = view.Scan(lower, upper);
        while (cursor.MoveNext())
        {
            (found ??= []).Add(Entry(foreignKey, cursor));
        }
    }

    private static void FindInTable(
        ILsmReadView view, LsmForeignKeyMapping foreignKey, IReadOnlyList<Target> targets, List<(byte[] Key, byte[]? Row)>?[] found)
    {
        var byPrincipal = new Dictionary<byte[], int>(targets.Count, ByteArrayEqualityComparer.Instance);
        for (var t = 0; t < targets.Count; t++)
        {
            byPrincipal.TryAdd(targets[t].PrincipalKey!, t);
        }

        using var cursor = view.Scan(targets[0].Lower, targets[0].Upper);
        while (cursor.MoveNext())
        {
            // The row is read here, so only the rows naming one of the principals are kept (the caller checks again
            // against the save's own writes).
            var row = cursor.Value.ToArray();
            if (foreignKey.PrincipalKeyOf(row) is { } named && byPrincipal.TryGetValue(named, out var t))
            {
                (found[t] ??= []).Add((cursor.Key.ToArray(), row));
            }
        }
    }

    private static void FindInRanges(
        ILsmReadView view, LsmForeignKeyMapping foreignKey, IReadOnlyList<Target> targets, List<(byte[] Key, byte[]? Row)>?[] found)
    {
        var count = targets.Count;
        var lowers = new byte[count][];
        var uppers = new byte[count][];
        var order = new int[count]; // order[i]: the target of the i-th range in key order
        var sorted = true;
        for (var i = 0; i < count; i++)
        {
            lowers[i] = targets[i].Lower;
            uppers[i] = targets[i].Upper;
            order[i] = i;
            sorted &= i == 0 || lowers[i].AsSpan().SequenceCompareTo(lowers[i - 1]) > 0;
        }

        // The principals usually come from a query in key order, so their ranges are already in order.
        if (!sorted)
        {
            Array.Sort(lowers, order, ByteArrayComparer.Instance);
            for (var i = 0; i < count; i++)
            {
                uppers[i] = targets[order[i]].Upper;
            }
        }

        for (var i = 1; i < count; i++)
        {
            if (lowers[i].AsSpan().SequenceCompareTo(uppers[i - 1]) < 0)
            {
                // Overlapping ranges (not expected of distinct principals): each is read on its own.
                for (var t = 0; t < count; t++)
                {
                    FindInRange(view, foreignKey, targets[t].Lower, targets[t].Upper, ref found[t]);
                }

                return;
            }
        }

        var end = uppers[count - 1];
        var next = 0; // the first range (in key order) the cursor has not passed
        while (next < count)
        {
            var reopen = false;
            using (var cursor = view.Scan(lowers[next], end))
            {
                var skipped = 0;
                while (cursor.MoveNext())
                {
                    var key = cursor.Key;
                    while (next < count && key.SequenceCompareTo(uppers[next]) >= 0)
                    {
                        next++;
                    }

                    if (next == count)
                    {
                        break;
                    }

                    if (key.SequenceCompareTo(lowers[next]) < 0)
                    {
                        if (++skipped > MaxSkippedEntries)
                        {
                            reopen = true;
                            break;
                        }

                        continue;
                    }

                    skipped = 0;
                    (found[order[next]] ??= []).Add(Entry(foreignKey, cursor));
                }
            }

            if (!reopen)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sweeps made at one view (by an <c>ExecuteDelete</c> that looked for dependents before writing: <see cref="LsmBulkDelete"/>),
    /// for a plan of the same principals at that view to use instead of sweeping again.
    /// </summary>
    internal sealed class Results
    {
        private readonly List<(LsmForeignKeyMapping ForeignKey, IReadOnlyList<Target> Targets, List<(byte[] Key, byte[]? Row)>?[] Found)> _sweeps = [];

        public void Add(LsmForeignKeyMapping foreignKey, IReadOnlyList<Target> targets, List<(byte[] Key, byte[]? Row)>?[] found) =>
            _sweeps.Add((foreignKey, targets, found));

        /// <summary>What <see cref="Find"/> gave for exactly these targets of <paramref name="foreignKey"/>, or null.</summary>
        public List<(byte[] Key, byte[]? Row)>?[]? For(LsmForeignKeyMapping foreignKey, IReadOnlyList<Target> targets)
        {
            foreach (var sweep in _sweeps)
            {
                if (sweep.ForeignKey == foreignKey && SameRanges(sweep.Targets, targets))
                {
                    return sweep.Found;
                }
            }

            return null;
        }

        private static bool SameRanges(IReadOnlyList<Target> x, IReadOnlyList<Target> y)
        {
            if (x.Count != y.Count)
            {
                return false;
            }

            for (var i = 0; i < x.Count; i++)
            {
                if (!x[i].Lower.AsSpan().SequenceEqual(y[i].Lower) || !x[i].Upper.AsSpan().SequenceEqual(y[i].Upper))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Orders byte strings as the store orders keys (unsigned bytes, a prefix first).</summary>
    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private static (byte[] Key, byte[]? Row) Entry(LsmForeignKeyMapping foreignKey, ILsmCursor cursor) =>
        // An index entry names its row; a primary key prefix or a full scan yields the row itself.
        foreignKey.Access == LsmDependentAccess.Index
            ? (foreignKey.DependentRowKeyOf(cursor.Key, cursor.Value), null)
            : (cursor.Key.ToArray(), cursor.Value.ToArray());
}
