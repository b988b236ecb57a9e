using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Query.Internal;

/// <summary>What a filter test says of one stored row.</summary>
internal enum LsmRowVerdict
{
    /// <summary>The row fails the test: it is skipped undecoded.</summary>
    NoMatch,

    /// <summary>The row passes the test.</summary>
    Match,

    /// <summary>
    /// The test cannot tell from the bytes (the row lacks the property, so its value is a default the mapping supplies; a
    /// value of an unexpected form): the row is decoded and the query's own predicate decides, so results never change.
    /// </summary>
    Unknown,
}

/// <summary>The comparison of a filter test, as the C# operators on the property's type define it.</summary>
internal enum LsmComparison
{
    Equal,
    NotEqual,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
}

/// <summary>
/// The part of a source's filters that is tested on the stored row itself, before anything is decoded
/// (<see cref="LsmScanFusion"/> builds it from the Where predicates): a conjunction of comparisons of one property with a
/// constant or a query parameter. Strings compare as UTF-8 bytes (strict UTF-8 is canonical, and its byte order is the
/// code-point order of <see cref="LsmStringComparer"/>), other types after a typed read by the MessagePack package. The
/// rows it lets through still meet the rest of the filters (<see cref="LsmScanRows"/>). Also names the slot an aggregate
/// reads (<see cref="SelectorIndex"/>), so one walk over the row's headers finds everything the loop needs.
/// </summary>
internal sealed class LsmRowFilter(int[] slots, LsmSlotTest[] tests, int selectorIndex)
{
    // The last mapping bound and its id → index map: a mapping lives as long as its database, and one query runs on one.
    private (LsmEntityMapping Mapping, int[] IndexById, bool Direct)? _bound;

    /// <summary>The slots of the root's row layout the loop locates in each row; a test or the selector names one by its index here.</summary>
    public int[] Slots { get; } = slots;

    public LsmSlotTest[] Tests { get; } = tests;

    /// <summary>The index (into <see cref="Slots"/>) of the value an aggregate reads, or -1.</summary>
    public int SelectorIndex { get; } = selectorIndex;

    /// <summary>
    /// The map from property id to index into <see cref="Slots"/> under <paramref name="mapping"/>, and whether every located
    /// property is stored as its model type (no value converter, no stored-type conversion): only then are the bytes
    /// compared and read as the model's values; otherwise every test answers <see cref="LsmRowVerdict.Unknown"/>.
    /// </summary>
    public (int[] IndexById, bool Direct) Bind(LsmEntityMapping mapping)
    {
        if (_bound is { } bound && bound.Mapping == mapping)
        {
            return (bound.IndexById, bound.Direct);
        }

        var maxId = 0u;
        var direct = true;
        foreach (var slot in Slots)
        {
            var property = mapping.PropertyAt(slot);
            maxId = Math.Max(maxId, property.Id);
            direct &= property.ReadsAsStored;
        }

        var indexById = new int[maxId + 1];
        Array.Fill(indexById, -1);
        for (var i = 0; i < Slots.Length; i++)
        {
            indexById[mapping.PropertyAt(Slots[i]).Id] = i;
        }

        _bound = (mapping, indexById, direct);
        return (indexById, direct);
    }
}

/// <summary>One comparison of a filter: the located value <see cref="Index"/> against operand <see cref="OperandIndex"/>.</summary>
internal abstract class LsmSlotTest(int index, LsmComparison comparison, int operandIndex, bool negated)
{
    public int Index { get; } = index;

    public LsmComparison Comparison { get; } = comparison;

    public int OperandIndex { get; } = operandIndex;

    /// <summary>Whether the comparison stands under a logical not (<c>!(a == b)</c>).</summary>
    public bool Negated { get; } = negated;

    /// <summary>The test with its operand's value, for one execution.</summary>
    public abstract LsmBoundSlotTest Bind(object? operand);

    /// <summary>The test of a string property read as <see cref="string"/>.</summary>
    public static LsmSlotTest ForString(int index, LsmComparison comparison, int operandIndex, bool negated) =>
        new StringTest(index, comparison, operandIndex, negated);

    /// <summary>The test of a property of a numeric, date or time type <paramref name="type"/> (nullable or not, as read).</summary>
    public static LsmSlotTest ForValue(Type type, int index, LsmComparison comparison, int operandIndex, bool negated)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return (LsmSlotTest)Activator.CreateInstance(
            typeof(ValueTest<>).MakeGenericType(underlying), index, comparison, operandIndex, negated, type != underlying)!;
    }

    /// <summary>Whether <see cref="ForValue"/> can test values read as <paramref name="type"/>.</summary>
    public static bool Supports(Type type) => SupportedValueTypes.Contains(Nullable.GetUnderlyingType(type) ?? type);

    /// <summary>
    /// The types whose C# comparison operators a typed read reproduces exactly, the numeric ones (generic math's
    /// <see cref="IComparisonOperators{TSelf, TOther, TResult}"/>); dates, times, enums and bool stay on the decoded path.
    /// </summary>
    private static readonly HashSet<Type> SupportedValueTypes =
    [
        typeof(int), typeof(long), typeof(short), typeof(sbyte), typeof(byte), typeof(ushort), typeof(uint), typeof(ulong),
        typeof(char), typeof(float), typeof(double), typeof(decimal),
    ];

    /// <summary>The verdict of a comparison whose result is <paramref name="result"/>, under the test's negation.</summary>
    protected LsmRowVerdict Verdict(bool result) => result != Negated ? LsmRowVerdict.Match : LsmRowVerdict.NoMatch;

    private sealed class StringTest(int index, LsmComparison comparison, int operandIndex, bool negated)
        : LsmSlotTest(index, comparison, operandIndex, negated)
    {
        public override LsmBoundSlotTest Bind(object? operand)
        {
            if (operand is not string text)
            {
                return new BoundString(this, null, operandIsNull: true);
            }

            // A string with a lone surrogate has no UTF-8 form and equals no stored string; its order needs the decoded path.
            var utf8 = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
            return Utf8.FromUtf16(text, utf8, out _, out var written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done
                ? new BoundString(this, utf8[..written], operandIsNull: false)
                : new BoundString(this, null, operandIsNull: false);
        }

        private sealed class BoundString(StringTest test, byte[]? operand, bool operandIsNull) : LsmBoundSlotTest(test.Index)
        {
            // Runs on every row of a scan: optimized from the first call (LsmEncodedRowScan says why).
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public override LsmRowVerdict Evaluate(ReadOnlySpan<byte> value)
            {
                var isNull = value[0] == MessagePackCode.Nil;
                ReadOnlySpan<byte> payload = default;
                if (!isNull && !RowValueLocator.TryGetStringPayload(value, out payload))
                {
                    return LsmRowVerdict.Unknown;
                }

                if (test.Comparison is LsmComparison.Equal or LsmComparison.NotEqual)
                {
                    var equal = isNull || operandIsNull
                        ? isNull && operandIsNull
                        : operand is not null && payload.SequenceEqual(operand);
                    return test.Verdict(equal == (test.Comparison == LsmComparison.Equal));
                }

                if (!operandIsNull && operand is null)
                {
                    return LsmRowVerdict.Unknown;
                }

                // LsmStringComparer.Compare: null first, then code-point order, which is the UTF-8 byte order.
                var order = isNull ? (operandIsNull ? 0 : -1) : operandIsNull ? 1 : payload.SequenceCompareTo(operand);
                return test.Verdict(test.Comparison switch
                {
                    LsmComparison.LessThan => order < 0,
                    LsmComparison.LessThanOrEqual => order <= 0,
                    LsmComparison.GreaterThan => order > 0,
                    _ => order >= 0,
                });
            }
        }
    }

    private sealed class ValueTest<T>(int index, LsmComparison comparison, int operandIndex, bool negated, bool nullableRead)
        : LsmSlotTest(index, comparison, operandIndex, negated)
        where T : struct, IComparisonOperators<T, T, bool>
    {
        public bool NullableRead { get; } = nullableRead;

        public override LsmBoundSlotTest Bind(object? operand) => new BoundValue(this, operand is T value ? value : null);

        private sealed class BoundValue(ValueTest<T> test, T? operand) : LsmBoundSlotTest(test.Index)
        {
            public override bool NeedsMemory => true;

            public override LsmRowVerdict Evaluate(ReadOnlySpan<byte> value) => LsmRowVerdict.Unknown;

            public override LsmRowVerdict Evaluate(ReadOnlyMemory<byte> value)
            {
                if (value.Span[0] == MessagePackCode.Nil)
                {
                    // A non-nullable read of nil is the decoded path's to report.
                    return !test.NullableRead ? LsmRowVerdict.Unknown : test.Verdict(NullComparison(operand is null));
                }

                if (operand is not { } right)
                {
                    return test.Verdict(NullComparison(operandIsNull: false));
                }

                var reader = new MessagePackReader(value);
                var left = RowValueCodec.Read<T>(ref reader);
                return test.Verdict(test.Comparison switch
                {
                    LsmComparison.Equal => left == right,
                    LsmComparison.NotEqual => left != right,
                    LsmComparison.LessThan => left < right,
                    LsmComparison.LessThanOrEqual => left <= right,
                    LsmComparison.GreaterThan => left > right,
                    _ => left >= right,
                });
            }

            // Lifted operators: one side null → == is false (true when both are), != the opposite, an order comparison false.
            private bool NullComparison(bool operandIsNull) =>
                test.Comparison switch
                {
                    LsmComparison.Equal => operandIsNull,
                    LsmComparison.NotEqual => !operandIsNull,
                    _ => false,
                };
        }
    }
}

/// <summary>A filter test with its operand's value, evaluated on located values of stored rows.</summary>
internal abstract class LsmBoundSlotTest(int index)
{
    public int Index { get; } = index;

    /// <summary>Whether the test reads the value through the MessagePack package, which reads memory, not spans.</summary>
    public virtual bool NeedsMemory => false;

    /// <summary>The verdict on one value (its MessagePack bytes).</summary>
    public abstract LsmRowVerdict Evaluate(ReadOnlySpan<byte> value);

    public virtual LsmRowVerdict Evaluate(ReadOnlyMemory<byte> value) => Evaluate(value.Span);
}
