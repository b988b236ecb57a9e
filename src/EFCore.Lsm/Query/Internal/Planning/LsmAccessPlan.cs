using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Query.Internal;

/// <summary>How a source of a query reads its rows.</summary>
internal enum LsmAccessKind
{
    /// <summary>Every row of the keyspace, in key order.</summary>
    FullScan,

    /// <summary>The one row whose key equals given values.</summary>
    PointGet,

    /// <summary>The rows whose keys start with equal leading parts, and whose next part is within bounds (or starts with a string).</summary>
    KeyRange,

    /// <summary>The rows of a list of single-part keys (<c>ids.Contains(e.Id)</c>), read in one multi-get.</summary>
    MultiGet,

    /// <summary>
    /// The entries of a secondary index whose leading values are equal and whose next value is within bounds, then their rows
    /// in one multi-get (or, when the index has every value the query reads, the entries alone).
    /// </summary>
    IndexRange,
}

/// <summary>
/// The access path of one source, decided when the query is compiled. Its values (equal parts, bounds, keys, limit) are
/// computed where the source runs — from parameters, or from an outer row for a correlated source — and passed to
/// <see cref="LsmRowSource"/> in one array laid out as <see cref="EqualCount"/> equal values, then the lower bound, the upper
/// bound, the string prefix, the key list and the limit, each when the plan has it.
/// </summary>
internal sealed record LsmAccessPlan
{
    private LsmAccessPlan? _covered;

    public required IEntityType EntityType { get; init; }

    public required LsmAccessKind Kind { get; init; }

    /// <summary>For <see cref="LsmAccessKind.IndexRange"/>: the index read (its catalog name).</summary>
    public string? IndexName { get; init; }

    /// <summary>For an index range: whether the entries carry every value the query reads, so no row is fetched.</summary>
    public bool Covered { get; init; }

    public int EqualCount { get; init; }

    public bool HasLower { get; init; }

    public bool LowerInclusive { get; init; }

    public bool HasUpper { get; init; }

    public bool UpperInclusive { get; init; }

    public bool HasStartsWith { get; init; }

    public bool HasKeys { get; init; }

    public bool HasLimit { get; init; }

    public bool Reverse { get; init; }

    /// <summary>The slots of the root's row layout the query reads; the others are not decoded. Null: all.</summary>
    public bool[]? NeededSlots { get; init; }

    /// <summary>This index range reading the entries alone (when the index holds every value the query reads).</summary>
    public LsmAccessPlan AsCovered() => _covered ??= this with { Covered = true };

    /// <summary>
    /// For a lookup join (the inner side of a join read by the outer rows' keys): the join key, as the log names it.
    /// The keys are the plan's key list.
    /// </summary>
    public string? JoinKey { get; init; }

    public int LowerIndex => EqualCount;

    public int UpperIndex => EqualCount + (HasLower ? 1 : 0);

    public int StartsWithIndex => UpperIndex + (HasUpper ? 1 : 0);

    public int KeysIndex => StartsWithIndex + (HasStartsWith ? 1 : 0);

    public int LimitIndex => KeysIndex + (HasKeys ? 1 : 0);

    public int ValueCount => LimitIndex + (HasLimit ? 1 : 0);

    /// <summary>
    /// The plan with its values, as the query log shows it: <c>point get Order (42)</c>, <c>range scan Order [(42), (43))</c>,
    /// <c>index range Order.IX_Order_CustomerId [(7), (7)]</c>, <c>multi get Order [(1), (2)]</c>, <c>full scan Customer
    /// reverse limit 5</c>. Values appear only when <paramref name="sensitive"/> (EnableSensitiveDataLogging), as <c>?</c>
    /// otherwise; they are formatted with the invariant culture.
    /// </summary>
    public string Describe(object?[] values, bool sensitive)
    {
        var text = new StringBuilder();
        var name = EntityType.DisplayName();
        var equal = values.AsSpan(0, EqualCount).ToArray();
        switch (Kind)
        {
            case LsmAccessKind.PointGet:
                text.Append("point get ").Append(name).Append(' ');
                AppendTuple(text, equal, sensitive);
                break;
            case LsmAccessKind.MultiGet or LsmAccessKind.IndexRange when JoinKey is not null:
                text.Append("lookup join ").Append(name);
                if (IndexName is not null)
                {
                    text.Append('.').Append(IndexName);
                }

                text.Append(" (").Append(JoinKey).Append(')');
                if (Covered)
                {
                    text.Append(" covering");
                }

                break;
            case LsmAccessKind.MultiGet or LsmAccessKind.IndexRange when HasKeys:
                text.Append(Kind == LsmAccessKind.MultiGet ? "multi get " : "index range ").Append(name);
                if (IndexName is not null)
                {
                    text.Append('.').Append(IndexName).Append(" in");
                }

                text.Append(" [");
                var first = true;
                foreach (var key in values[KeysIndex] as IEnumerable ?? Array.Empty<object>())
                {
                    text.Append(first ? "" : ", ");
                    AppendTuple(text, [.. equal, key], sensitive);
                    first = false;
                }

                text.Append(']');
                if (Covered)
                {
                    text.Append(" covering");
                }

                break;
            case LsmAccessKind.KeyRange or LsmAccessKind.IndexRange:
                text.Append(Kind == LsmAccessKind.KeyRange ? "range scan " : "index range ").Append(name);
                if (IndexName is not null)
                {
                    text.Append('.').Append(IndexName);
                }

                text.Append(' ');
                if (HasStartsWith)
                {
                    var prefix = new StringBuilder();
                    AppendTuple(prefix, [.. equal, new StartsWith(values[StartsWithIndex] as string)], sensitive);
                    text.Append('[').Append(prefix).Append(", ").Append(prefix).Append(']');
                    text.Append(Covered ? " covering" : "");
                    break;
                }

                text.Append(HasLower && !LowerInclusive ? '(' : '[');
                AppendTuple(text, HasLower ? [.. equal, values[LowerIndex]] : equal, sensitive);
                text.Append(", ");
                AppendTuple(text, HasUpper ? [.. equal, values[UpperIndex]] : equal, sensitive);
                text.Append(HasUpper && !UpperInclusive ? ')' : ']');
                if (Covered)
                {
                    text.Append(" covering");
                }

                break;
            default:
                text.Append("full scan ").Append(name);
                break;
        }

        if (Reverse && Kind != LsmAccessKind.PointGet)
        {
            text.Append(" reverse");
        }

        if (HasLimit)
        {
            text.Append(" limit ").Append(sensitive ? Format(values[LimitIndex], sensitive: true) : "?");
        }

        return text.ToString();
    }

    private static void AppendTuple(StringBuilder text, object?[] values, bool sensitive)
    {
        text.Append('(');
        for (var i = 0; i < values.Length; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(Format(values[i], sensitive));
        }

        text.Append(')');
    }

    private static string Format(object? value, bool sensitive) =>
        value switch
        {
            StartsWith prefix => (sensitive ? "\"" + prefix.Prefix + "\"" : "?") + "…",
            _ when !sensitive => "?",
            null => "null",
            string s => "\"" + s + "\"",
            byte[] bytes => "0x" + Convert.ToHexString(bytes),
            DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture),
            DateTimeOffset dateTimeOffset => dateTimeOffset.ToString("O", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    private sealed record StartsWith(string? Prefix);
}
