using System.Collections;
using System.Reflection;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Runs the access plan of a source (<see cref="LsmSource"/>) when the query executes: picks the candidate to run, logs
/// it, reads its rows from the execution's view (<see cref="LsmQueryContext.AcquireView"/>: inside a transaction, the
/// transaction's view with its own writes) and yields them decoded in the root's row layout, only the slots the query
/// reads. Nothing is read before the first row is asked for.
/// </summary>
internal static partial class LsmRowSource
{
    public static readonly MethodInfo RowsMethod = typeof(LsmRowSource).GetMethod(nameof(Rows))!;

    public static IEnumerable<ValueBuffer> Rows(QueryContext queryContext, LsmSource source, object?[][] candidateValues)
    {
        var context = (LsmQueryContext)queryContext;
        var mapping = context.Database.GetMapping(source.EntityType);
        var (plan, values) = Choose(context, mapping, source, candidateValues);
        context.LogPlan(plan, values);

        var limit = plan.HasLimit ? (int?)values[plan.LimitIndex] : null;
        if (limit <= 0)
        {
            return [];
        }

        return plan.Kind switch
        {
            LsmAccessKind.PointGet => PointGet(context, mapping, plan, values),
            LsmAccessKind.MultiGet => MultiGet(context, mapping, plan, values[plan.KeysIndex], limit),
            _ => KeyBounds(mapping, plan, values) is var (lower, upper)
                ? Scan(context, mapping, plan, lower, upper, limit)
                : [],
        };
    }

    /// <summary>The candidate to run: the only one, or the one whose range the store estimates smallest.</summary>
    private static (LsmAccessPlan, object?[]) Choose(
        LsmQueryContext context, LsmEntityMapping mapping, LsmSource source, object?[][] candidateValues) =>
        (source.Candidates[0], candidateValues[0]);

    /// <summary>
    /// The [lower, upper) key range of a key range or full scan (docs/key_encoding.md, "Ranges"), or null when no row can match:
    /// a value is null (a key part never is, and a comparison with null is false) or cannot be encoded.
    /// </summary>
    private static (byte[] Lower, byte[] Upper)? KeyBounds(LsmEntityMapping mapping, LsmAccessPlan plan, object?[] values)
    {
        if (plan.Kind == LsmAccessKind.FullScan)
        {
            return (mapping.KeyspaceLowerBound, mapping.KeyspaceUpperBound);
        }

        var equal = values.AsSpan(0, plan.EqualCount).ToArray();
        if (Array.IndexOf(equal, null) >= 0
            || (plan.HasLower && values[plan.LowerIndex] is null)
            || (plan.HasUpper && values[plan.UpperIndex] is null)
            || (plan.HasStartsWith && values[plan.StartsWithIndex] is null))
        {
            return null;
        }

        try
        {
            var prefix = mapping.EncodeKeyPrefix(equal);
            var prefixEnd = KeyRange.AfterParts(prefix);
            if (plan.HasStartsWith)
            {
                var start = mapping.EncodeKeyPrefix(equal, (string)values[plan.StartsWithIndex]!);
                return (start, KeyRange.PrefixSuccessor(start) is { } end && end.AsSpan().SequenceCompareTo(prefixEnd) < 0 ? end : prefixEnd);
            }

            var lower = !plan.HasLower
                ? prefix
                : plan.LowerInclusive
                    ? mapping.EncodeKeyPrefix([.. equal, values[plan.LowerIndex]])
                    : KeyRange.AfterParts(mapping.EncodeKeyPrefix([.. equal, values[plan.LowerIndex]]));
            var upper = !plan.HasUpper
                ? prefixEnd
                : plan.UpperInclusive
                    ? KeyRange.AfterParts(mapping.EncodeKeyPrefix([.. equal, values[plan.UpperIndex]]))
                    : mapping.EncodeKeyPrefix([.. equal, values[plan.UpperIndex]]);
            return (lower, upper);
        }
        catch (LsmInvalidEntityException)
        {
            // A value no key can hold (a lone surrogate, a key over the size limit) matches no row.
            return null;
        }
    }

    private static IEnumerable<ValueBuffer> PointGet(LsmQueryContext context, LsmEntityMapping mapping, LsmAccessPlan plan, object?[] values)
    {
        byte[] key;
        try
        {
            key = mapping.EncodeKey(values.AsSpan(0, plan.EqualCount));
        }
        catch (LsmInvalidEntityException)
        {
            yield break;
        }

        var view = context.AcquireView();
        try
        {
            if (view.Get(key) is { } row)
            {
                yield return new ValueBuffer(mapping.DecodeRow(row, plan.NeededSlots));
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }

    private static IEnumerable<ValueBuffer> MultiGet(LsmQueryContext context, LsmEntityMapping mapping, LsmAccessPlan plan, object? keyList, int? limit)
    {
        var keys = new List<byte[]>();
        foreach (var key in keyList as IEnumerable ?? Array.Empty<object>())
        {
            try
            {
                keys.Add(mapping.EncodeKey([key]));
            }
            catch (LsmInvalidEntityException)
            {
                // A null or unencodable key matches no row.
            }
        }

        // Rows come in key order, as from a scan, so an ordering by the key needs no sort; duplicates are read once.
        keys.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        if (plan.Reverse)
        {
            keys.Reverse();
        }

        var distinct = new List<byte[]>(keys.Count);
        foreach (var key in keys)
        {
            if (distinct.Count == 0 || !distinct[^1].AsSpan().SequenceEqual(key))
            {
                distinct.Add(key);
            }
        }

        var view = context.AcquireView();
        try
        {
            var yielded = 0;
            foreach (var row in view.GetMany(distinct))
            {
                if (row is not null)
                {
                    yield return new ValueBuffer(mapping.DecodeRow(row, plan.NeededSlots));
                    if (++yielded == limit)
                    {
                        yield break;
                    }
                }
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }

    private static IEnumerable<ValueBuffer> Scan(
        LsmQueryContext context, LsmEntityMapping mapping, LsmAccessPlan plan, byte[] lower, byte[] upper, int? limit)
    {
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            yield break;
        }

        var view = context.AcquireView();
        try
        {
            using var cursor = view.Scan(lower, upper, plan.Reverse, limit);
            while (cursor.MoveNext())
            {
                yield return new ValueBuffer(mapping.DecodeRow(cursor.Value, plan.NeededSlots));
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }
}
