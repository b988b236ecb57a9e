using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Decides at compile time how a query's scan can be narrowed: full primary-key equality → point get; equality on a
/// key prefix plus a comparison or <c>StartsWith</c> on the next part → range scan; <c>keys.Contains(e.Id)</c> → multi
/// get; orderings matching key order → no sort (descending → reverse scan). Only conditions of the top-level
/// conjunction of the scan-phase filters are used, and the filters still run after the scan, so a plan only ever reads
/// a superset of the matching rows.
/// </summary>
internal static class LsmScanPlanner
{
    /// <summary>
    /// Whether <paramref name="orderings"/> are satisfied by key order: they read the first key parts in order, all
    /// ascending, or all key parts, all descending (a reverse scan). Only for parts whose key order is .NET's
    /// <c>Comparer&lt;T&gt;.Default</c> order (numbers, dates, times, bool; not strings, whose default comparer is
    /// culture-aware, nor Guids, nor converted values).
    /// </summary>
    public static bool MatchKeyOrder(
        IEntityType entityType, IReadOnlyList<(LambdaExpression KeySelector, bool Ascending)> orderings, out bool reverse)
    {
        var key = entityType.FindPrimaryKey()!.Properties;
        reverse = !orderings[0].Ascending;
        if (orderings.Count > key.Count || (reverse && orderings.Count != key.Count))
        {
            return false;
        }

        for (var i = 0; i < orderings.Count; i++)
        {
            var (selector, ascending) = orderings[i];
            if (ascending == reverse
                || !LsmServerExpressionTranslator.IsRowRead(Unwrap(selector.Body), selector.Parameters[0], out var index)
                || index != key[i].GetIndex()
                || !IsOrderCompatible(key[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static LsmScanPlan Plan(LsmQueryExpression query)
    {
        var entityType = query.EntityType;
        var key = entityType.FindPrimaryKey()!.Properties;
        var conditions = new List<Condition>();
        foreach (var predicate in query.ScanPredicates)
        {
            Collect(predicate.Body, predicate.Parameters[0], key, conditions);
        }

        var limit = query.ScanLimit is { } limitExpression ? Compile<int>(limitExpression) : null;
        var equal = new List<Func<QueryContext, object?>>();
        for (var part = 0; part < key.Count; part++)
        {
            if (conditions.FirstOrDefault(c => c.Part == part && c.Kind == ExpressionType.Equal) is not { } condition)
            {
                break;
            }

            equal.Add(Compile<object?>(condition.Value));
        }

        if (equal.Count == key.Count)
        {
            return new LsmScanPlan { EntityType = entityType, Kind = LsmScanKind.PointGet, Equal = [.. equal] };
        }

        var next = equal.Count;
        var rangeable = IsOrderCompatible(key[next]);
        var lower = rangeable ? conditions.FirstOrDefault(c => c.Part == next && c.Kind is ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual) : null;
        var upper = rangeable ? conditions.FirstOrDefault(c => c.Part == next && c.Kind is ExpressionType.LessThan or ExpressionType.LessThanOrEqual) : null;
        var startsWith = lower is null && upper is null && IsPlainString(key[next])
            ? conditions.FirstOrDefault(c => c.Part == next && c.Kind == ExpressionType.Call)
            : null;
        if (equal.Count > 0 || lower is not null || upper is not null || startsWith is not null)
        {
            return new LsmScanPlan
            {
                EntityType = entityType,
                Kind = LsmScanKind.RangeScan,
                Equal = [.. equal],
                Lower = lower is null ? null : Compile<object?>(lower.Value),
                LowerInclusive = lower?.Kind == ExpressionType.GreaterThanOrEqual,
                Upper = upper is null ? null : Compile<object?>(upper.Value),
                UpperInclusive = upper?.Kind == ExpressionType.LessThanOrEqual,
                StartsWith = startsWith is null ? null : Compile<object?>(startsWith.Value),
                Reverse = query.ReverseScan,
                Limit = limit,
            };
        }

        if (key.Count == 1 && conditions.FirstOrDefault(c => c.Kind == ExpressionType.ListInit) is { } contains)
        {
            return new LsmScanPlan
            {
                EntityType = entityType,
                Kind = LsmScanKind.MultiGet,
                Keys = Compile<object?>(contains.Value),
                Reverse = query.ReverseScan,
                Limit = limit,
            };
        }

        return new LsmScanPlan { EntityType = entityType, Kind = LsmScanKind.FullScan, Reverse = query.ReverseScan, Limit = limit };
    }

    /// <summary>One usable condition: key part <see cref="Part"/> compared (<see cref="Kind"/>) with a row-independent value.</summary>
    /// <remarks><see cref="ExpressionType.Call"/> is StartsWith; <see cref="ExpressionType.ListInit"/> is a key list's Contains.</remarks>
    private sealed record Condition(int Part, ExpressionType Kind, Expression Value);

    private static void Collect(Expression term, ParameterExpression row, IReadOnlyList<IProperty> key, List<Condition> conditions)
    {
        switch (term)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                Collect(and.Left, row, key, conditions);
                Collect(and.Right, row, key, conditions);
                return;

            case BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.LessThan or ExpressionType.LessThanOrEqual
                or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual } comparison:
                if (KeyPart(comparison.Left, row, key) is { } left && IsValue(comparison.Right, row, key[left]))
                {
                    conditions.Add(new Condition(left, comparison.NodeType, Unwrap(comparison.Right)));
                }
                else if (KeyPart(comparison.Right, row, key) is { } right && IsValue(comparison.Left, row, key[right]))
                {
                    conditions.Add(new Condition(right, Flip(comparison.NodeType), Unwrap(comparison.Left)));
                }

                return;

            // EF's Find (EntityFinder) compares keys whose type is not primitive, e.g. value-converted ones, with
            // object.Equals((object)e.Key, (object)value); equality of key values is equality of their encoded bytes.
            case MethodCallExpression { Method.Name: nameof(object.Equals), Object: null, Arguments.Count: 2 } equals
                when equals.Method.DeclaringType == typeof(object):
            {
                var (a, b) = (StripToObject(equals.Arguments[0]), StripToObject(equals.Arguments[1]));
                if (KeyPart(a, row, key) is { } partA && AsKeyValue(b, row, key[partA]) is { } valueB)
                {
                    conditions.Add(new Condition(partA, ExpressionType.Equal, valueB));
                }
                else if (KeyPart(b, row, key) is { } partB && AsKeyValue(a, row, key[partB]) is { } valueA)
                {
                    conditions.Add(new Condition(partB, ExpressionType.Equal, valueA));
                }

                return;
            }

            case MethodCallExpression { Method.Name: nameof(string.StartsWith), Object: { } target } call
                when call.Method.DeclaringType == typeof(string)
                && (call.Arguments.Count == 1
                    || (call.Arguments.Count == 2 && call.Arguments[1] is ConstantExpression { Value: StringComparison.Ordinal }))
                && call.Arguments[0].Type == typeof(string)
                && KeyPart(target, row, key) is { } part
                && IsValue(call.Arguments[0], row, key[part]):
                conditions.Add(new Condition(part, ExpressionType.Call, call.Arguments[0]));
                return;

            case MethodCallExpression { Method.Name: nameof(Enumerable.Contains), Arguments.Count: 2 } call
                when call.Method.DeclaringType == typeof(Enumerable)
                && KeyPart(call.Arguments[1], row, key) is { } part
                && call.Arguments[1].Type == key[part].ClrType
                && !References(call.Arguments[0], row):
                conditions.Add(new Condition(part, ExpressionType.ListInit, call.Arguments[0]));
                return;
        }
    }

    private static int? KeyPart(Expression expression, ParameterExpression row, IReadOnlyList<IProperty> key)
    {
        if (!LsmServerExpressionTranslator.IsRowRead(Unwrap(expression), row, out var index))
        {
            return null;
        }

        for (var i = 0; i < key.Count; i++)
        {
            if (key[i].GetIndex() == index)
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>A value for key part <paramref name="property"/>: of its type (up to nullability), not reading the row.</summary>
    private static bool IsValue(Expression expression, ParameterExpression row, IProperty property)
    {
        var value = Unwrap(expression);
        return (Nullable.GetUnderlyingType(value.Type) ?? value.Type) == (Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType)
            && !References(value, row);
    }

    /// <summary>
    /// The value side of an <c>object.Equals</c> against key part <paramref name="property"/>: typed already, or an
    /// object-typed, row-independent value (Find's parameter) read with a type test, so a value of another type becomes
    /// null — no row, exactly what <c>object.Equals</c> with a different type answers.
    /// </summary>
    private static Expression? AsKeyValue(Expression value, ParameterExpression row, IProperty property)
    {
        if (IsValue(value, row, property))
        {
            return Unwrap(value);
        }

        if (value.Type != typeof(object) || References(value, row))
        {
            return null;
        }

        var clrType = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        return Expression.TypeAs(value, clrType.IsValueType ? typeof(Nullable<>).MakeGenericType(clrType) : clrType);
    }

    /// <summary>Strips a boxing conversion to <see cref="object"/>.</summary>
    private static Expression StripToObject(Expression expression)
        => expression is UnaryExpression { NodeType: ExpressionType.Convert } convert && convert.Type == typeof(object)
            ? convert.Operand
            : expression;

    /// <summary>Strips conversions between a type and its nullable form, which do not change a value.</summary>
    private static Expression Unwrap(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert } convert
            && (Nullable.GetUnderlyingType(convert.Type) ?? convert.Type) == (Nullable.GetUnderlyingType(convert.Operand.Type) ?? convert.Operand.Type))
        {
            expression = convert.Operand;
        }

        return expression;
    }

    private static bool IsOrderCompatible(IProperty property)
    {
        if (property.GetTypeMapping().Converter is not null)
        {
            return false;
        }

        var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        if (type.IsEnum)
        {
            return true;
        }

        return Type.GetTypeCode(type) is TypeCode.Boolean or TypeCode.Char or TypeCode.SByte or TypeCode.Byte or TypeCode.Int16
                or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Single
                or TypeCode.Double or TypeCode.Decimal or TypeCode.DateTime
            || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(TimeSpan);
    }

    private static bool IsPlainString(IProperty property) =>
        property.ClrType == typeof(string) && property.GetTypeMapping().Converter is null;

    private static ExpressionType Flip(ExpressionType kind) =>
        kind switch
        {
            ExpressionType.LessThan => ExpressionType.GreaterThan,
            ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
            ExpressionType.GreaterThan => ExpressionType.LessThan,
            ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
            _ => kind,
        };

    private static bool References(Expression expression, ParameterExpression parameter)
    {
        var finder = new ParameterFinder(parameter);
        finder.Visit(expression);
        return finder.Found;
    }

    private static Func<QueryContext, T> Compile<T>(Expression value) =>
        Expression.Lambda<Func<QueryContext, T>>(
                value.Type == typeof(T) ? value : Expression.Convert(value, typeof(T)), QueryCompilationContext.QueryContextParameter)
            .Compile();

    private sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= node == parameter;
            return node;
        }
    }
}
