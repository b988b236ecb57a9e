using System.Collections;
using System.Reflection;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Runs a <see cref="LsmScanPlan"/>: binds its values, logs it, and yields the decoded rows from the query execution's view
/// (<see cref="LsmQueryContext.AcquireView"/>: inside a transaction, the transaction's view with its own writes merged in).
/// </summary>
internal static class LsmRowSource
{
    public static readonly MethodInfo RowsMethod = typeof(LsmRowSource).GetMethod(nameof(Rows))!;

    public static IEnumerable<ValueBuffer> Rows(QueryContext queryContext, LsmScanPlan plan)
    {
        var context = (LsmQueryContext)queryContext;
        var database = context.Database;
        var mapping = database.GetMapping(plan.EntityType);

        var equal = new object?[plan.Equal.Length];
        for (var i = 0; i < equal.Length; i++)
        {
            equal[i] = plan.Equal[i](queryContext);
        }

        var lower = plan.Lower?.Invoke(queryContext);
        var upper = plan.Upper?.Invoke(queryContext);
        var startsWith = plan.StartsWith?.Invoke(queryContext);
        var keys = plan.Keys is null ? null : ToList(plan.Keys(queryContext));
        int? limit = plan.Limit?.Invoke(queryContext);
        queryContext.QueryLogger.QueryPlanExecuting(plan.Describe(equal, lower, upper, startsWith, keys, limit));

        if (limit <= 0)
        {
            return [];
        }

        return plan.Kind switch
        {
            LsmScanKind.PointGet => PointGet(context, mapping, equal),
            LsmScanKind.MultiGet => MultiGet(context, mapping, keys!, plan.Reverse, limit),
            _ => Bounds(mapping, plan, equal, lower, upper, startsWith) is var (from, to)
                ? Scan(context, mapping, from, to, plan.Reverse, limit)
                : [],
        };
    }

    /// <summary>
    /// The [lower, upper) byte range of a range or full scan (docs/key_encoding.md, "Ranges"), or null when no row can
    /// match: a bound is null (a key part is never null, and a comparison with null is false) or cannot be encoded.
    /// </summary>
    private static (byte[] Lower, byte[] Upper)? Bounds(
        LsmEntityMapping mapping, LsmScanPlan plan, object?[] equal, object? lower, object? upper, object? startsWith)
    {
        if (plan.Kind == LsmScanKind.FullScan)
        {
            return (mapping.KeyspaceLowerBound, mapping.KeyspaceUpperBound);
        }

        if ((plan.Lower is not null && lower is null) || (plan.Upper is not null && upper is null)
            || (plan.StartsWith is not null && startsWith is null) || Array.IndexOf(equal, null) >= 0)
        {
            return null;
        }

        try
        {
            var prefix = mapping.EncodeKeyPrefix(equal);
            var prefixEnd = KeyRange.AfterParts(prefix);
            if (plan.StartsWith is not null)
            {
                var start = mapping.EncodeKeyPrefix(equal, (string)startsWith!);
                return (start, KeyRange.PrefixSuccessor(start) is { } end && end.AsSpan().SequenceCompareTo(prefixEnd) < 0 ? end : prefixEnd);
            }

            var from = plan.Lower is null
                ? prefix
                : plan.LowerInclusive ? mapping.EncodeKeyPrefix([.. equal, lower]) : KeyRange.AfterParts(mapping.EncodeKeyPrefix([.. equal, lower]));
            var to = plan.Upper is null
                ? prefixEnd
                : plan.UpperInclusive ? KeyRange.AfterParts(mapping.EncodeKeyPrefix([.. equal, upper])) : mapping.EncodeKeyPrefix([.. equal, upper]);
            return (from, to);
        }
        catch (LsmInvalidEntityException)
        {
            // A value no key can hold (a lone surrogate, a key over the size limit) matches no row.
            return null;
        }
    }

    private static IEnumerable<ValueBuffer> PointGet(LsmQueryContext context, LsmEntityMapping mapping, object?[] key)
    {
        byte[] encoded;
        try
        {
            encoded = mapping.EncodeKey(key);
        }
        catch (LsmInvalidEntityException)
        {
            yield break;
        }

        var view = context.AcquireView();
        try
        {
            if (view.Get(encoded) is { } row)
            {
                yield return new ValueBuffer(mapping.DecodeRow(row));
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }

    private static IEnumerable<ValueBuffer> MultiGet(
        LsmQueryContext context, LsmEntityMapping mapping, List<object?> keys, bool reverse, int? limit)
    {
        var encoded = new List<byte[]>(keys.Count);
        foreach (var key in keys)
        {
            try
            {
                encoded.Add(mapping.EncodeKey([key]));
            }
            catch (LsmInvalidEntityException)
            {
                // A null or unencodable key matches no row.
            }
        }

        // Rows come in key order, as from a scan, so an ordering by the key needs no sort; duplicates are read once.
        encoded.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        if (reverse)
        {
            encoded.Reverse();
        }

        var distinct = new List<byte[]>(encoded.Count);
        foreach (var key in encoded)
        {
            if (distinct.Count == 0 || !distinct[^1].AsSpan().SequenceEqual(key))
            {
                distinct.Add(key);
            }
        }

        var view = context.AcquireView();
        try
        {
            var rows = view.GetMany(distinct);
            var yielded = 0;
            foreach (var row in rows)
            {
                if (row is not null)
                {
                    yield return new ValueBuffer(mapping.DecodeRow(row));
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
        LsmQueryContext context, LsmEntityMapping mapping, byte[] lower, byte[] upper, bool reverse, int? limit)
    {
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            yield break;
        }

        var view = context.AcquireView();
        try
        {
            using var cursor = view.Scan(lower, upper, reverse, limit);
            while (cursor.MoveNext())
            {
                yield return new ValueBuffer(mapping.DecodeRow(cursor.Value));
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }

    private static List<object?> ToList(object? keys)
    {
        var list = new List<object?>();
        if (keys is IEnumerable values)
        {
            foreach (var value in values)
            {
                list.Add(value);
            }
        }

        return list;
    }
}
