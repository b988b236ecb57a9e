using System.Reflection;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// An equi-join whose inner side is read by the outer rows' keys (<see cref="LsmAccessPathRewriter"/> plans it when the inner
/// key is the inner type's single-part primary key — a multi-get — or the leading column of one of its indexes — one index
/// range per key): the outer rows are read first, their distinct non-null keys go to the inner source in one call, and the
/// join runs on what comes back. Results are those of <see cref="Enumerable.Join{TOuter, TInner, TKey, TResult}(IEnumerable{TOuter}, IEnumerable{TInner}, Func{TOuter, TKey}, Func{TInner, TKey}, Func{TOuter, TInner, TResult})"/>
/// over the whole inner source, in the same order: outer rows in their order, each with its matches in inner key order.
/// </summary>
internal static class LsmLookupJoin
{
    public static readonly MethodInfo JoinMethod = typeof(LsmLookupJoin).GetMethod(nameof(Join))!;

    public static IEnumerable<TResult> Join<TKey, TResult>(
        IEnumerable<ValueBuffer> outer,
        Func<IEnumerable<TKey>, IEnumerable<ValueBuffer>> inner,
        Func<ValueBuffer, TKey> outerKeySelector,
        Func<ValueBuffer, TKey> innerKeySelector,
        Func<ValueBuffer, ValueBuffer, TResult> resultSelector,
        bool leftOuter,
        ValueBuffer defaultInner,
        IEqualityComparer<TKey>? comparer)
    {
        var outerRows = new List<(ValueBuffer Row, TKey Key)>();
        var keys = new List<TKey>();
        var seen = new HashSet<TKey>(comparer);
        foreach (var row in outer)
        {
            var key = outerKeySelector(row);
            outerRows.Add((row, key));
            if (key is not null && seen.Add(key))
            {
                keys.Add(key);
            }
        }

        var lookup = inner(keys).ToLookup(innerKeySelector, comparer);
        foreach (var (row, key) in outerRows)
        {
            var matched = false;
            if (key is not null)
            {
                foreach (var innerRow in lookup[key])
                {
                    matched = true;
                    yield return resultSelector(row, innerRow);
                }
            }

            if (!matched && leftOuter)
            {
                yield return resultSelector(row, defaultInner);
            }
        }
    }
}
