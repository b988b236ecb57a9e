using System.Reflection;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The loops of a scan source whose filters (some of them, <see cref="LsmRowFilter"/>) and aggregate run on the stored rows
/// (<see cref="LsmScanFusion"/> puts them in the server query): a row the filter refuses is never decoded, a count decodes
/// nothing, an aggregate reads its one value typed. A row the filter cannot judge from its bytes, and every row that passes
/// when some filters stay (the residual), is decoded as <see cref="LsmRowSource.Rows"/> decodes it and meets the query's own
/// predicate, so results are those of the LINQ-to-objects query they replace. The loop allocates nothing per row.
/// </summary>
internal static class LsmScanRows
{
    public static readonly MethodInfo RowsMethod = typeof(LsmScanRows).GetMethod(nameof(Rows))!;
    public static readonly MethodInfo CountMethod = typeof(LsmScanRows).GetMethod(nameof(Count))!;
    public static readonly MethodInfo AnyMethod = typeof(LsmScanRows).GetMethod(nameof(Any))!;
    public static readonly MethodInfo ValuesMethod = typeof(LsmScanRows).GetMethod(nameof(Values))!;

    /// <summary>The decoded rows that pass every filter.</summary>
    public static IEnumerable<ValueBuffer> Rows(
        QueryContext queryContext,
        LsmSource source,
        object?[][] candidateValues,
        LsmRowFilter filter,
        object?[] operands,
        Func<ValueBuffer, bool> predicate,
        Func<ValueBuffer, bool>? residual)
    {
        using var scan = LsmEncodedRowScan.Open(queryContext, source, candidateValues, filter, operands);
        if (scan is null)
        {
            yield break;
        }

        while (scan.MoveNext())
        {
            var row = scan.Decode();
            if (scan.Known ? residual is null || residual(row) : predicate(row))
            {
                yield return row;
            }
        }
    }

    /// <summary>The number of rows that pass every filter (Count and LongCount; Count checks the range where it converts).</summary>
    public static long Count(
        QueryContext queryContext,
        LsmSource source,
        object?[][] candidateValues,
        LsmRowFilter filter,
        object?[] operands,
        Func<ValueBuffer, bool>? predicate,
        Func<ValueBuffer, bool>? residual) =>
        CountRows(queryContext, source, candidateValues, filter, operands, predicate, residual, stopAtFirst: false);

    /// <summary>Whether some row passes every filter; stops at the first.</summary>
    public static bool Any(
        QueryContext queryContext,
        LsmSource source,
        object?[][] candidateValues,
        LsmRowFilter filter,
        object?[] operands,
        Func<ValueBuffer, bool>? predicate,
        Func<ValueBuffer, bool>? residual) =>
        CountRows(queryContext, source, candidateValues, filter, operands, predicate, residual, stopAtFirst: true) > 0;

    /// <summary>
    /// The values of the aggregated property (<see cref="LsmRowFilter.SelectorIndex"/>) of the rows that pass every filter,
    /// read as <typeparamref name="T"/>; a row whose value the typed read cannot give (missing, nil for a non-nullable
    /// type) is decoded and given to <paramref name="selector"/>, the query's own.
    /// </summary>
    public static IEnumerable<T> Values<T>(
        QueryContext queryContext,
        LsmSource source,
        object?[][] candidateValues,
        LsmRowFilter filter,
        object?[] operands,
        Func<ValueBuffer, bool>? predicate,
        Func<ValueBuffer, bool>? residual,
        Func<ValueBuffer, T> selector)
    {
        using var scan = LsmEncodedRowScan.Open(queryContext, source, candidateValues, filter, operands);
        if (scan is null)
        {
            yield break;
        }

        while (scan.MoveNext())
        {
            if (scan.Known && residual is null && scan.TryRead<T>(filter.SelectorIndex, out var value))
            {
                yield return value;
                continue;
            }

            var row = scan.Decode();
            if (scan.Known ? residual is null || residual(row) : predicate!(row))
            {
                yield return selector(row);
            }
        }
    }

    private static long CountRows(
        QueryContext queryContext,
        LsmSource source,
        object?[][] candidateValues,
        LsmRowFilter filter,
        object?[] operands,
        Func<ValueBuffer, bool>? predicate,
        Func<ValueBuffer, bool>? residual,
        bool stopAtFirst)
    {
        using var scan = LsmEncodedRowScan.Open(queryContext, source, candidateValues, filter, operands);
        if (scan is null)
        {
            return 0;
        }

        var count = 0L;
        while (scan.MoveNext())
        {
            if (scan.Known ? residual is null || residual(scan.Decode()) : predicate!(scan.Decode()))
            {
                count++;
                if (stopAtFirst)
                {
                    break;
                }
            }
        }

        return count;
    }
}

/// <summary>
/// One execution's walk over a scan's stored rows: locates the filter's values by their headers
/// (<see cref="RowValueLocator"/>), runs the bound tests, and reads or decodes a row on request. Its buffers (the row's copy,
/// made only when a value is read by the package, and the located offsets) are reused from row to row.
/// </summary>
internal sealed class LsmEncodedRowScan : IDisposable
{
    private readonly LsmEntryCursor _cursor;
    private readonly LsmEntityMapping _mapping;
    private readonly bool[]? _neededSlots;
    private readonly LsmBoundSlotTest[] _tests;
    private readonly int[] _indexById;
    private readonly bool _direct;
    private readonly bool _needsMemory;
    private readonly int[] _starts;
    private readonly int[] _lengths;
    private byte[] _row = new byte[256];
    private int _rowLength;

    private LsmEncodedRowScan(LsmEntryCursor cursor, LsmEntityMapping mapping, LsmAccessPlan plan, LsmRowFilter filter, object?[] operands)
    {
        _cursor = cursor;
        _mapping = mapping;
        _neededSlots = plan.NeededSlots;
        (_indexById, _direct) = filter.Bind(mapping);
        _tests = new LsmBoundSlotTest[filter.Tests.Length];
        for (var i = 0; i < _tests.Length; i++)
        {
            var test = filter.Tests[i];
            _tests[i] = test.Bind(operands[test.OperandIndex]);
            _needsMemory |= _tests[i].NeedsMemory;
        }

        _needsMemory |= filter.SelectorIndex >= 0;
        _starts = new int[filter.Slots.Length];
        _lengths = new int[filter.Slots.Length];
    }

    /// <summary>Whether the current row passed every test (rather than leaving one undecided).</summary>
    public bool Known { get; private set; }

    public static LsmEncodedRowScan? Open(
        QueryContext queryContext, LsmSource source, object?[][] candidateValues, LsmRowFilter filter, object?[] operands)
    {
        var cursor = LsmRowSource.OpenEntries((LsmQueryContext)queryContext, source, candidateValues, out var mapping, out var plan);
        if (cursor is null)
        {
            return null;
        }

        try
        {
            return new LsmEncodedRowScan(cursor, mapping, plan, filter, operands);
        }
        catch
        {
            cursor.Dispose();
            throw;
        }
    }

    /// <summary>Moves to the next row no test refuses.</summary>
    public bool MoveNext()
    {
        while (_cursor.MoveNext())
        {
            var value = _cursor.Value;
            if (_needsMemory)
            {
                // The MessagePack package reads memory, and the cursor's span lasts only until it moves: one copy of the row.
                if (value.Length > _row.Length)
                {
                    _row = new byte[Math.Max(value.Length, 2 * _row.Length)];
                }

                value.CopyTo(_row);
                _rowLength = value.Length;
                value = _row.AsSpan(0, _rowLength);
            }

            if (_starts.Length > 0)
            {
                Array.Fill(_starts, -1);
                RowValueLocator.Locate(value, _indexById, _starts.Length, _starts, _lengths);
            }

            var verdict = _direct ? LsmRowVerdict.Match : LsmRowVerdict.Unknown;
            for (var i = 0; i < _tests.Length && verdict != LsmRowVerdict.NoMatch; i++)
            {
                var test = _tests[i];
                var start = _starts[test.Index];
                var result = !_direct || start < 0
                    ? LsmRowVerdict.Unknown
                    : test.NeedsMemory
                        ? test.Evaluate(new ReadOnlyMemory<byte>(_row, start, _lengths[test.Index]))
                        : test.Evaluate(value.Slice(start, _lengths[test.Index]));
                verdict = result == LsmRowVerdict.NoMatch ? result : result == LsmRowVerdict.Unknown ? result : verdict;
            }

            if (verdict != LsmRowVerdict.NoMatch)
            {
                Known = verdict == LsmRowVerdict.Match;
                return true;
            }
        }

        return false;
    }

    /// <summary>The current row decoded as <see cref="LsmRowSource.Rows"/> decodes it (the slots the query reads).</summary>
    public ValueBuffer Decode() => new(_mapping.DecodeRow(_needsMemory ? _row.AsSpan(0, _rowLength) : _cursor.Value, _neededSlots));

    /// <summary>Reads located value <paramref name="index"/> as <typeparamref name="T"/>; false when only the decoded path can give it.</summary>
    public bool TryRead<T>(int index, out T value)
    {
        var start = _starts[index];
        if (!_direct || start < 0 || (_row[start] == MessagePackCode.Nil && default(T) is not null))
        {
            value = default!;
            return false;
        }

        var reader = new MessagePackReader(new ReadOnlyMemory<byte>(_row, start, _lengths[index]));
        value = RowValueCodec.Read<T>(ref reader);
        return true;
    }

    public void Dispose() => _cursor.Dispose();
}
