using System.Collections;
using System.Reflection;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.Storage.Internal.KeyEncoding;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Runs a <see cref="LsmScanPlan"/>: binds its values, logs it, and yields the decoded rows from one snapshot (the
/// transaction's, with the transaction's own writes merged in key order, inside a transaction).
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
            LsmScanKind.PointGet => PointGet(database, mapping, equal),
            LsmScanKind.MultiGet => MultiGet(database, mapping, keys!, plan.Reverse, limit),
            _ => Bounds(mapping, plan, equal, lower, upper, startsWith) is var (from, to)
                ? Scan(database, mapping, from, to, plan.Reverse, limit)
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

    private static IEnumerable<ValueBuffer> PointGet(LsmDatabaseWrapper database, LsmEntityMapping mapping, object?[] key)
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

        if (database.TryGetRow(encoded) is { } row)
        {
            yield return new ValueBuffer(mapping.DecodeRow(row));
        }
    }

    private static IEnumerable<ValueBuffer> MultiGet(
        LsmDatabaseWrapper database, LsmEntityMapping mapping, List<object?> keys, bool reverse, int? limit)
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

        // Rows come in key order, as from a scan, so an ordering by the key needs no sort.
        encoded.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        if (reverse)
        {
            encoded.Reverse();
        }

        var snapshot = database.BeginRead(out var ownsSnapshot);
        try
        {
            var options = new ReadOptions { Snapshot = snapshot };
            var transaction = database.CurrentTransaction;
            var yielded = 0;
            byte[]? previous = null;
            foreach (var key in encoded)
            {
                if (previous is not null && previous.AsSpan().SequenceEqual(key))
                {
                    continue;
                }

                previous = key;
                var row = transaction is not null ? transaction.Read(key) : database.Store.Engine.Get(key, options);
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
            if (ownsSnapshot)
            {
                snapshot.Dispose();
            }
        }
    }

    private static IEnumerable<ValueBuffer> Scan(
        LsmDatabaseWrapper database, LsmEntityMapping mapping, byte[] lower, byte[] upper, bool reverse, int? limit)
    {
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            yield break;
        }

        var snapshot = database.BeginRead(out var ownsSnapshot);
        try
        {
            var staged = database.CurrentTransaction?.StagedWrites(lower, upper) ?? [];
            using var iterator = database.Store.Engine.NewIterator(
                new ReadOptions { Snapshot = snapshot, LowerBound = lower, UpperBound = upper, FillCache = false });
            if (reverse)
            {
                iterator.SeekToLast();
            }
            else
            {
                iterator.SeekToFirst();
            }

            // Merge the snapshot's rows with the transaction's own writes (which win on equal keys; null = deleted).
            var next = reverse ? staged.Count - 1 : 0;
            var yielded = 0;
            while (true)
            {
                var hasStaged = reverse ? next >= 0 : next < staged.Count;
                if (!iterator.Valid && !hasStaged)
                {
                    yield break;
                }

                byte[]? value;
                if (hasStaged)
                {
                    var stagedKey = staged[next].Key;
                    var order = iterator.Valid ? stagedKey.AsSpan().SequenceCompareTo(iterator.Key) : 0;
                    if (reverse)
                    {
                        order = -order;
                    }

                    if (!iterator.Valid || order <= 0)
                    {
                        if (iterator.Valid && order == 0)
                        {
                            Advance(iterator, reverse);
                        }

                        value = staged[next].Value;
                        next += reverse ? -1 : 1;
                        if (value is null)
                        {
                            continue;
                        }

                        yield return new ValueBuffer(mapping.DecodeRow(value));
                        if (++yielded == limit)
                        {
                            yield break;
                        }

                        continue;
                    }
                }

                var row = new ValueBuffer(mapping.DecodeRow(iterator.Value));
                Advance(iterator, reverse);
                yield return row;
                if (++yielded == limit)
                {
                    yield break;
                }
            }
        }
        finally
        {
            if (ownsSnapshot)
            {
                snapshot.Dispose();
            }
        }
    }

    private static void Advance(LsmIterator iterator, bool reverse)
    {
        if (reverse)
        {
            iterator.Prev();
        }
        else
        {
            iterator.Next();
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
