using System.Collections;
using System.Reflection;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
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
        var (plan, values, estimates) = Choose(context, mapping, source, candidateValues);
        context.LogPlan(plan, values, source, estimates);

        var limit = plan.HasLimit ? (int?)values[plan.LimitIndex] : null;
        if (limit <= 0)
        {
            return [];
        }

        return plan.Kind switch
        {
            LsmAccessKind.PointGet => PointGet(context, mapping, plan, values),
            LsmAccessKind.MultiGet => MultiGet(context, mapping, plan, values[plan.KeysIndex], limit),
            LsmAccessKind.IndexRange => IndexRanges(FindIndex(mapping, plan)!, plan, values) is { } ranges
                ? IndexRange(context, FindIndex(mapping, plan)!, plan, ranges, limit)
                : [],
            _ => KeyBounds(mapping, plan, values) is var (lower, upper)
                ? Scan(context, mapping, plan, lower, upper, limit)
                : [],
        };
    }

    /// <summary>
    /// The candidate to run: the only one, or the best by <see cref="Rank"/>, or among two or more ranges the one the store
    /// estimates smallest (<see cref="LsmAccessChooser"/>; the estimates are returned for the plan log, null when none were
    /// asked). An index range is a candidate only when the catalog has its index ready (every row has its entries); it reads
    /// the entries alone when they hold every value the query reads.
    /// </summary>
    private static (LsmAccessPlan, object?[], long?[]?) Choose(
        LsmQueryContext context, LsmEntityMapping mapping, LsmSource source, object?[][] candidateValues)
    {
        var candidates = source.Candidates;
        Span<int> ranks = candidates.Length <= 32 ? stackalloc int[candidates.Length] : new int[candidates.Length];
        Span<bool> ranged = candidates.Length <= 32 ? stackalloc bool[candidates.Length] : new bool[candidates.Length];
        var rangeCount = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var candidate = candidates[i];
            if (candidate.Kind == LsmAccessKind.IndexRange && FindIndex(mapping, candidate) is not { IsReady: true })
            {
                ranks[i] = int.MaxValue;
                continue;
            }

            ranks[i] = Rank(mapping, candidate);
            ranged[i] = ranks[i] is >= FirstRangeRank and <= LastRangeRank;
            rangeCount += ranged[i] ? 1 : 0;
        }

        var best = LsmAccessChooser.ByRank(ranks);
        long?[]? estimates = null;
        if (rangeCount >= 2 && ranged[best])
        {
            estimates = context.RangeEstimates(
                source, (context, mapping, source, candidateValues, ranged: ranged.ToArray()), static s => Estimate(s.context, s.mapping, s.source, s.candidateValues, s.ranged));
            best = LsmAccessChooser.Choose(ranks, ranged, estimates);
        }

        var plan = candidates[best];
        if (plan.Kind == LsmAccessKind.IndexRange && FindIndex(mapping, plan)!.Covers(plan.NeededSlots))
        {
            plan = plan.AsCovered();
        }

        return (plan, candidateValues[best], estimates);
    }

    /// <summary>
    /// The store's estimate of the rows each range candidate reads, capped by its limit: 0 when no row can match (a null
    /// bound), null when the store has no estimate. A list of index values is estimated by its first ranges and extrapolated.
    /// </summary>
    private static long?[] Estimate(
        LsmQueryContext context, LsmEntityMapping mapping, LsmSource source, object?[][] candidateValues, bool[] ranged)
    {
        var estimates = new long?[ranged.Length];
        var view = context.AcquireView();
        try
        {
            for (var i = 0; i < ranged.Length; i++)
            {
                if (!ranged[i])
                {
                    continue;
                }

                var plan = source.Candidates[i];
                var values = candidateValues[i];
                long? estimate;
                if (plan.Kind == LsmAccessKind.KeyRange)
                {
                    estimate = KeyBounds(mapping, plan, values) is var (lower, upper) ? view.ApproximateCount(lower, upper) : 0;
                }
                else if (IndexRanges(FindIndex(mapping, plan)!, plan, values) is { } ranges)
                {
                    long sum = 0;
                    var estimated = Math.Min(ranges.Count, LsmAccessChooser.MaxRangesEstimated);
                    estimate = 0;
                    for (var r = 0; r < estimated && estimate is not null; r++)
                    {
                        estimate = view.ApproximateCount(ranges[r].Lower, ranges[r].Upper);
                        sum += estimate ?? 0;
                    }

                    estimate = estimate is null ? null : LsmAccessChooser.Extrapolate(sum, estimated, ranges.Count);
                }
                else
                {
                    estimate = 0;
                }

                if (plan.HasLimit && values[plan.LimitIndex] is int limit && estimate > limit)
                {
                    estimate = Math.Max(limit, 0);
                }

                estimates[i] = estimate;
            }
        }
        finally
        {
            context.ReleaseView();
        }

        return estimates;
    }

    /// <summary>The ranks of the range candidates the store's estimates choose between: key range, index equality, index range.</summary>
    private const int FirstRangeRank = 3;

    private const int LastRangeRank = 5;

    /// <summary>
    /// The fixed order of access paths, fewest rows read first: a point get, a key list, a unique index equality (at most one
    /// entry), a key range, an index equality (or list of them), an index range, a full scan.
    /// </summary>
    private static int Rank(LsmEntityMapping mapping, LsmAccessPlan plan) =>
        plan.Kind switch
        {
            LsmAccessKind.PointGet => 0,
            LsmAccessKind.MultiGet => 1,
            LsmAccessKind.IndexRange when FindIndex(mapping, plan) is { IsUnique: true } index && plan.EqualCount == index.Columns.Count => 2,
            LsmAccessKind.KeyRange => 3,
            LsmAccessKind.IndexRange when !plan.HasLower && !plan.HasUpper && !plan.HasStartsWith => 4,
            LsmAccessKind.IndexRange => 5,
            _ => 6,
        };

    private static LsmIndexMapping? FindIndex(LsmEntityMapping mapping, LsmAccessPlan plan)
    {
        foreach (var index in mapping.Indexes)
        {
            if (index.Name == plan.IndexName)
            {
                return index;
            }
        }

        return null;
    }

    /// <summary>
    /// The entry ranges [lower, upper) of an index range (docs/index_encoding.md), in the order the plan reads them, or null
    /// when no entry can match: a bound is null (a comparison with null is false) or a value cannot be encoded. Equal values
    /// may be null (the entries hold null parts, and <c>x.Column == null</c> holds for them); a range on the next column
    /// leaves out its null entries, which no comparison matches. A descending column's values sort backwards in its bytes,
    /// so its lower value bound is an upper byte bound.
    /// </summary>
    private static List<(byte[] Lower, byte[] Upper)>? IndexRanges(LsmIndexMapping index, LsmAccessPlan plan, object?[] values)
    {
        if ((plan.HasLower && values[plan.LowerIndex] is null)
            || (plan.HasUpper && values[plan.UpperIndex] is null)
            || (plan.HasStartsWith && values[plan.StartsWithIndex] is null))
        {
            return null;
        }

        var equal = values.AsSpan(0, plan.EqualCount).ToArray();
        var ranges = new List<(byte[] Lower, byte[] Upper)>();
        try
        {
            if (plan.HasKeys)
            {
                var seen = new HashSet<byte[]>(ByteArrayEqualityComparer.Instance);
                foreach (var key in values[plan.KeysIndex] as IEnumerable ?? Array.Empty<object>())
                {
                    byte[] prefix;
                    try
                    {
                        prefix = index.EncodePrefix([.. equal, key]);
                    }
                    catch (LsmInvalidEntityException)
                    {
                        // A value no entry can hold matches no row.
                        continue;
                    }

                    if (seen.Add(prefix))
                    {
                        ranges.Add((prefix, KeyRange.AfterParts(prefix)));
                    }
                }

                ranges.Sort(static (a, b) => a.Lower.AsSpan().SequenceCompareTo(b.Lower));
            }
            else
            {
                var prefix = index.EncodePrefix(equal);
                var prefixEnd = KeyRange.AfterParts(prefix);
                if (plan.HasStartsWith)
                {
                    var start = index.EncodePrefix(equal, (string)values[plan.StartsWithIndex]!);
                    var end = KeyRange.PrefixSuccessor(start) is { } successor && successor.AsSpan().SequenceCompareTo(prefixEnd) < 0
                        ? successor
                        : prefixEnd;
                    ranges.Add((start, end));
                }
                else if (!plan.HasLower && !plan.HasUpper)
                {
                    ranges.Add((prefix, prefixEnd));
                }
                else
                {
                    var descending = index.Descending[plan.EqualCount];
                    var (lower, upper) = (prefix, prefixEnd);
                    if (plan.HasLower)
                    {
                        var bound = index.EncodePrefix([.. equal, values[plan.LowerIndex]]);
                        (lower, upper) = descending
                            ? (lower, plan.LowerInclusive ? KeyRange.AfterParts(bound) : bound)
                            : (plan.LowerInclusive ? bound : KeyRange.AfterParts(bound), upper);
                    }

                    if (plan.HasUpper)
                    {
                        var bound = index.EncodePrefix([.. equal, values[plan.UpperIndex]]);
                        (lower, upper) = descending
                            ? (Max(lower, plan.UpperInclusive ? bound : KeyRange.AfterParts(bound)), upper)
                            : (lower, Min(upper, plan.UpperInclusive ? KeyRange.AfterParts(bound) : bound));
                    }

                    // Null entries sort first (ascending) or last (descending); no comparison holds for them.
                    var nulls = index.EncodePrefix([.. equal, null]);
                    (lower, upper) = descending ? (lower, Min(upper, nulls)) : (Max(lower, KeyRange.AfterParts(nulls)), upper);
                    ranges.Add((lower, upper));
                }
            }
        }
        catch (LsmInvalidEntityException)
        {
            return null;
        }

        if (plan.Reverse)
        {
            ranges.Reverse();
        }

        return ranges;
    }

    private static byte[] Max(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) >= 0 ? a : b;

    private static byte[] Min(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? a : b;

    /// <summary>
    /// Reads the entries of <paramref name="ranges"/> and yields their rows in entry order: decoded from the entries alone for
    /// a covered plan, else fetched in batched multi-gets at the same view (an entry names its row's key). A row an entry
    /// names is always there: the entry and the row are written in one batch.
    /// </summary>
    private static IEnumerable<ValueBuffer> IndexRange(
        LsmQueryContext context, LsmIndexMapping index, LsmAccessPlan plan, List<(byte[] Lower, byte[] Upper)> ranges, int? limit)
    {
        var mapping = index.Entity;
        var view = context.AcquireView();
        try
        {
            var remaining = limit ?? int.MaxValue;
            var batch = new List<byte[]>();
            DecodingSink? rows = null;
            foreach (var (lower, upper) in ranges)
            {
                if (remaining == 0)
                {
                    break;
                }

                if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
                {
                    continue;
                }

                using var cursor = view.Scan(lower, upper, plan.Reverse, remaining == int.MaxValue ? null : remaining);
                while (cursor.MoveNext())
                {
                    remaining--;
                    if (plan.Covered)
                    {
                        yield return new ValueBuffer(index.DecodeEntry(cursor.Key, cursor.Value, plan.NeededSlots));
                        continue;
                    }

                    batch.Add(index.RowKeyOf(cursor.Key, cursor.Value));
                    if (batch.Count == RowBatchSize)
                    {
                        rows ??= new DecodingSink(mapping, plan.NeededSlots, RowBatchSize);
                        rows.Read(view, batch);
                        for (var i = 0; i < batch.Count; i++)
                        {
                            if (rows.Take(i) is { } row)
                            {
                                yield return new ValueBuffer(row);
                            }
                        }

                        batch.Clear();
                    }
                }
            }

            if (batch.Count > 0)
            {
                rows ??= new DecodingSink(mapping, plan.NeededSlots, batch.Count);
                rows.Read(view, batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (rows.Take(i) is { } row)
                    {
                        yield return new ValueBuffer(row);
                    }
                }
            }
        }
        finally
        {
            context.ReleaseView();
        }
    }

    /// <summary>
    /// Decodes the rows of one multi-get straight from the store's memory
    /// (<see cref="ILsmReadView.GetMany(IReadOnlyList{byte[]}, ILsmValueSink)"/>): no copy of a row's bytes, only the slots the query reads. The rows arrive in the store's order and are taken in the
    /// keys' order.
    /// </summary>
    private sealed class DecodingSink(LsmEntityMapping mapping, bool[]? neededSlots, int capacity) : ILsmValueSink
    {
        private readonly object?[]?[] _rows = new object?[]?[capacity];

        /// <summary>Reads the rows of <paramref name="keys"/> (at most the capacity) at <paramref name="view"/>.</summary>
        public void Read(ILsmReadView view, List<byte[]> keys) => view.GetMany(keys, this);

        public void Found(int index, ReadOnlySpan<byte> value) => _rows[index] = mapping.DecodeRow(value, neededSlots);

        /// <summary>The decoded row of the key at <paramref name="index"/>, or null when it has none; clears the slot.</summary>
        public object?[]? Take(int index)
        {
            var row = _rows[index];
            _rows[index] = null;
            return row;
        }
    }

    /// <summary>How many rows an index range fetches in one multi-get: one round trip per batch on a remote store, bounded memory.</summary>
    private const int RowBatchSize = 256;

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
            var rows = new DecodingSink(mapping, plan.NeededSlots, distinct.Count);
            rows.Read(view, distinct);
            for (var i = 0; i < distinct.Count; i++)
            {
                if (rows.Take(i) is { } row)
                {
                    yield return new ValueBuffer(row);
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
