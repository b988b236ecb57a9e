using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>How a query reads the rows of its entity type.</summary>
internal enum LsmScanKind
{
    /// <summary>Every row of the entity type, in key order.</summary>
    FullScan,

    /// <summary>The one row whose key equals given values.</summary>
    PointGet,

    /// <summary>The rows whose keys start with equal leading parts, and whose next part is within bounds.</summary>
    RangeScan,

    /// <summary>The rows of a list of single-part keys (<c>keys.Contains(e.Id)</c>).</summary>
    MultiGet,
}

/// <summary>
/// The plan of a query's scan, decided when the query is compiled; its values (<see cref="Equal"/>, bounds, keys,
/// limit) are read from the query context when it runs, so one compiled query serves every parameter value.
/// </summary>
internal sealed class LsmScanPlan
{
    public required IEntityType EntityType { get; init; }

    public required LsmScanKind Kind { get; init; }

    /// <summary>Values of the leading key parts that must be equal (all parts for a point get).</summary>
    public Func<QueryContext, object?>[] Equal { get; init; } = [];

    /// <summary>Lower bound of the key part after <see cref="Equal"/> (model form).</summary>
    public Func<QueryContext, object?>? Lower { get; init; }

    public bool LowerInclusive { get; init; }

    /// <summary>Upper bound of the key part after <see cref="Equal"/> (model form).</summary>
    public Func<QueryContext, object?>? Upper { get; init; }

    public bool UpperInclusive { get; init; }

    /// <summary>A string the key part after <see cref="Equal"/> starts with (ordinal).</summary>
    public Func<QueryContext, object?>? StartsWith { get; init; }

    /// <summary>The key values of a multi-get (an enumerable of model values).</summary>
    public Func<QueryContext, object?>? Keys { get; init; }

    /// <summary>Whether rows come in descending key order.</summary>
    public bool Reverse { get; init; }

    /// <summary>The most rows the scan yields.</summary>
    public Func<QueryContext, int>? Limit { get; init; }

    /// <summary>The plan with its values bound, as the query log shows it, e.g. <c>range scan Order [(42), (43))</c>.</summary>
    public string Describe(object?[] equal, object? lower, object? upper, object? startsWith, IReadOnlyList<object?>? keys, int? limit)
    {
        var name = EntityType.DisplayName();
        var text = new StringBuilder();
        switch (Kind)
        {
            case LsmScanKind.PointGet:
                text.Append("point get ").Append(name).Append(' ').Append(Tuple(equal));
                break;
            case LsmScanKind.MultiGet:
                text.Append("multi get ").Append(name).Append(" [");
                for (var i = 0; i < keys!.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ").Append('(').Append(Format(keys[i])).Append(')');
                }

                text.Append(']');
                break;
            case LsmScanKind.RangeScan:
                text.Append("range scan ").Append(name).Append(' ');
                if (StartsWith is not null)
                {
                    var prefix = Tuple([.. equal, new StartsWithText((string?)startsWith)]);
                    text.Append('[').Append(prefix).Append(", ").Append(prefix).Append(']');
                    break;
                }

                text.Append(Lower is not null && !LowerInclusive ? '(' : '[')
                    .Append(Tuple(Lower is null ? equal : [.. equal, lower]))
                    .Append(", ")
                    .Append(Tuple(Upper is null ? equal : [.. equal, upper]))
                    .Append(Upper is not null && !UpperInclusive ? ')' : ']');
                break;
            default:
                text.Append("full scan ").Append(name);
                break;
        }

        if (Reverse && Kind != LsmScanKind.PointGet)
        {
            text.Append(" reverse");
        }

        if (limit is { } n)
        {
            text.Append(" limit ").Append(n.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static string Tuple(object?[] values) => "(" + string.Join(", ", values.Select(Format)) + ")";

    private static string Format(object? value) =>
        value switch
        {
            null => "null",
            string s => "\"" + s + "\"",
            StartsWithText p => "\"" + p.Prefix + "\"…",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    private sealed record StartsWithText(string? Prefix);
}
