using System.Reflection;
using System.Runtime.CompilerServices;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
/// (<see cref="RowValueLocator"/>), runs the bound tests, and reads or decodes a row on request. Nothing is copied for a
/// test that compares bytes (strings); a value read by the MessagePack package, which reads memory rather than spans, is
/// copied alone into a reused buffer when it is read, so a row the byte tests refuse is never copied. Its buffers (that
/// copy and the located offsets) are reused from row to row.
/// </summary>
/// <remarks>
/// The per-row methods are compiled optimized on their first call (<see cref="MethodImplOptions.AggressiveOptimization"/>):
/// one query walks every row of a table, so tiered compilation would run the first queries of a process, which are most of
/// a short-lived one's work, through unoptimized code that calls every span accessor (measured in the EF benchmark's
/// profile: about half the samples of twenty 100k-row counts were in tier-0 or instrumented code).
/// </remarks>
internal sealed class LsmEncodedRowScan : IDisposable
{
    private readonly LsmEntryCursor _cursor;
    private readonly LsmEntityMapping _mapping;
    private readonly bool[]? _neededSlots;
    private readonly LsmBoundSlotTest[] _tests;
    private readonly bool[] _testsNeedMemory;
    private readonly int[] _indexById;
    private readonly bool _direct;
    private readonly int[] _starts;
    private readonly int[] _lengths;
    private byte[] _value = new byte[32];

    private LsmEncodedRowScan(LsmEntryCursor cursor, LsmEntityMapping mapping, LsmAccessPlan plan, LsmRowFilter filter, object?[] operands)
    {
        _cursor = cursor;
        _mapping = mapping;
        _neededSlots = plan.NeededSlots;
        (_indexById, _direct) = filter.Bind(mapping);
        _tests = new LsmBoundSlotTest[filter.Tests.Length];
        _testsNeedMemory = new bool[_tests.Length];
        for (var i = 0; i < _tests.Length; i++)
        {
            var test = filter.Tests[i];
            _tests[i] = test.Bind(operands[test.OperandIndex]);
            _testsNeedMemory[i] = _tests[i].NeedsMemory;
        }

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool MoveNext()
    {
        var starts = _starts;
        var lengths = _lengths;
        var tests = _tests;
        while (_cursor.MoveNext())
        {
            var value = _cursor.Value;
            if (starts.Length > 0)
            {
                for (var i = 0; i < starts.Length; i++)
                {
                    starts[i] = -1;
                }

                RowValueLocator.Locate(value, _indexById, starts.Length, starts, lengths);
            }

            var verdict = _direct ? LsmRowVerdict.Match : LsmRowVerdict.Unknown;
            for (var i = 0; i < tests.Length && verdict != LsmRowVerdict.NoMatch; i++)
            {
                var test = tests[i];
                var index = test.Index;
                var start = starts[index];
                var result = !_direct || start < 0
                    ? LsmRowVerdict.Unknown
                    : _testsNeedMemory[i]
                        ? test.Evaluate(CopyValue(value.Slice(start, lengths[index])))
                        : test.Evaluate(value.Slice(start, lengths[index]));
                verdict = result == LsmRowVerdict.Match ? verdict : result;
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
    public ValueBuffer Decode() => new(_mapping.DecodeRow(_cursor.Value, _neededSlots));

    /// <summary>Reads located value <paramref name="index"/> as <typeparamref name="T"/>; false when only the decoded path can give it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRead<T>(int index, out T value)
    {
        var start = _starts[index];
        if (!_direct || start < 0)
        {
            value = default!;
            return false;
        }

        var bytes = _cursor.Value.Slice(start, _lengths[index]);
        if (bytes[0] == MessagePackCode.Nil && default(T) is not null)
        {
            value = default!;
            return false;
        }

        var reader = new MessagePackReader(CopyValue(bytes));
        value = RowValueCodec.Read<T>(ref reader);
        return true;
    }

    public void Dispose() => _cursor.Dispose();

    /// <summary>One located value copied for the package's reader (valid until the next copy).</summary>
    private ReadOnlyMemory<byte> CopyValue(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _value.Length)
        {
            _value = new byte[Math.Max(bytes.Length, 2 * _value.Length)];
        }

        bytes.CopyTo(_value);
        return new ReadOnlyMemory<byte>(_value, 0, bytes.Length);
    }
}
