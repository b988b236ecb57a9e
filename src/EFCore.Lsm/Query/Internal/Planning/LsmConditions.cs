using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Query.Internal;

/// <summary>What a condition of a filter asks of one property.</summary>
internal enum LsmConditionKind
{
    Equal,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,

    /// <summary>An ordinal <c>StartsWith</c> of a string.</summary>
    StartsWith,

    /// <summary>Membership in a list of values (<c>values.Contains(e.Id)</c>).</summary>
    In,
}

/// <summary>
/// One usable condition of a filter on a source's rows: <see cref="Property"/> compared (<see cref="Kind"/>) with
/// <see cref="Value"/>, an expression that does not read the row (a constant, a parameter, a value of an outer row).
/// <see cref="Term"/> is the conjunct it came from, so a plan knows which conjuncts it enforces exactly.
/// </summary>
internal sealed record LsmCondition(IProperty Property, LsmConditionKind Kind, Expression Value, Expression Term);

/// <summary>
/// Reads the usable conditions out of a source's filters: the top-level conjuncts of the form <c>property op value</c>,
/// <c>object.Equals(property, value)</c> (EF's Find of converted keys), <c>property.StartsWith(value)</c> and
/// <c>values.Contains(property)</c>, where property is a read of the source's row and value does not read it.
/// </summary>
internal static class LsmConditions
{
    public static List<LsmCondition> Collect(IEnumerable<LambdaExpression> predicates, out List<Expression> terms)
    {
        var conditions = new List<LsmCondition>();
        terms = [];
        foreach (var predicate in predicates)
        {
            foreach (var term in Conjuncts(predicate.Body))
            {
                terms.Add(term);
                if (Recognize(term, predicate.Parameters[0]) is { } condition)
                {
                    conditions.Add(condition);
                }
            }
        }

        return conditions;
    }

    private static IEnumerable<Expression> Conjuncts(Expression expression)
    {
        // A filter mixing null-propagating terms is lifted to bool? and compared with true: (a && b) == true holds exactly
        // when a == true and b == true, and (bool?)x == true when x does.
        if (expression is BinaryExpression { NodeType: ExpressionType.Equal, Right: ConstantExpression { Value: true } } isTrue
            && isTrue.Left.Type == typeof(bool?))
        {
            switch (isTrue.Left)
            {
                case BinaryExpression { NodeType: ExpressionType.AndAlso } liftedAnd:
                    foreach (var term in Conjuncts(Expression.Equal(liftedAnd.Left, isTrue.Right)))
                    {
                        yield return term;
                    }

                    foreach (var term in Conjuncts(Expression.Equal(liftedAnd.Right, isTrue.Right)))
                    {
                        yield return term;
                    }

                    yield break;
                case UnaryExpression { NodeType: ExpressionType.Convert, Operand: var operand } when operand.Type == typeof(bool):
                    foreach (var term in Conjuncts(operand))
                    {
                        yield return term;
                    }

                    yield break;
            }
        }

        if (expression is BinaryExpression { NodeType: ExpressionType.AndAlso } and)
        {
            foreach (var term in Conjuncts(and.Left))
            {
                yield return term;
            }

            foreach (var term in Conjuncts(and.Right))
            {
                yield return term;
            }
        }
        else
        {
            yield return expression;
        }
    }

    private static LsmCondition? Recognize(Expression term, ParameterExpression row)
    {
        switch (StripNullProtection(term))
        {
            // Strings compare by code point (LsmStringComparer.Compare(a, b) op 0), the order of string key parts.
            case BinaryExpression { NodeType: ExpressionType.LessThan or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan
                    or ExpressionType.GreaterThanOrEqual, Left: MethodCallExpression compare, Right: ConstantExpression { Value: 0 } } stringComparison
                when compare.Method == LsmStringComparer.CompareMethod:
                if (RowProperty(compare.Arguments[0], row) is { } leftString && IsValueFor(compare.Arguments[1], row, leftString))
                {
                    return new LsmCondition(leftString, Kind(stringComparison.NodeType), compare.Arguments[1], term);
                }

                if (RowProperty(compare.Arguments[1], row) is { } rightString && IsValueFor(compare.Arguments[0], row, rightString))
                {
                    return new LsmCondition(rightString, Flip(Kind(stringComparison.NodeType)), compare.Arguments[0], term);
                }

                return null;

            case BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.LessThan or ExpressionType.LessThanOrEqual
                or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual } comparison:
                if (RowProperty(comparison.Left, row) is { } left && IsValueFor(comparison.Right, row, left))
                {
                    return new LsmCondition(left, Kind(comparison.NodeType), Unwrap(comparison.Right), term);
                }

                if (RowProperty(comparison.Right, row) is { } right && IsValueFor(comparison.Left, row, right))
                {
                    return new LsmCondition(right, Flip(Kind(comparison.NodeType)), Unwrap(comparison.Left), term);
                }

                return null;

            case MethodCallExpression { Method.Name: nameof(Equals), Object: null, Arguments.Count: 2 } equals
                when equals.Method.DeclaringType == typeof(object):
            {
                var (a, b) = (StripToObject(equals.Arguments[0]), StripToObject(equals.Arguments[1]));
                if (RowProperty(a, row) is { } propertyA && AsValueFor(b, row, propertyA) is { } valueB)
                {
                    return new LsmCondition(propertyA, LsmConditionKind.Equal, valueB, term);
                }

                if (RowProperty(b, row) is { } propertyB && AsValueFor(a, row, propertyB) is { } valueA)
                {
                    return new LsmCondition(propertyB, LsmConditionKind.Equal, valueA, term);
                }

                return null;
            }

            case MethodCallExpression { Method.Name: nameof(string.StartsWith), Object: { } target } call
                when call.Method.DeclaringType == typeof(string)
                && call.Arguments.Count == 2 && call.Arguments[1] is ConstantExpression { Value: StringComparison.Ordinal }
                && call.Arguments[0].Type == typeof(string)
                && RowProperty(target, row) is { } property
                && IsValueFor(call.Arguments[0], row, property):
                return new LsmCondition(property, LsmConditionKind.StartsWith, call.Arguments[0], term);

            case MethodCallExpression { Method.Name: nameof(Enumerable.Contains), Arguments.Count: 2 } call
                when call.Method.DeclaringType == typeof(Enumerable)
                && RowProperty(StripToObject(call.Arguments[1]), row) is { } property
                && !References(call.Arguments[0], row):
                return new LsmCondition(property, LsmConditionKind.In, call.Arguments[0], term);

            default:
                return null;
        }
    }

    /// <summary>
    /// <c>(s == null ? null : (bool?)s.M(...)) == true</c>, the null-propagating form of a method call on a nullable target,
    /// as the call itself: for a row whose target is null both are false (the filter keeps running after the access anyway).
    /// </summary>
    private static Expression StripNullProtection(Expression term) =>
        term is BinaryExpression
        {
            NodeType: ExpressionType.Equal,
            Left: ConditionalExpression
            {
                Test: BinaryExpression { NodeType: ExpressionType.Equal, Right: ConstantExpression { Value: null } },
                IfTrue: ConstantExpression { Value: null },
                IfFalse: UnaryExpression { NodeType: ExpressionType.Convert, Operand: var call },
            },
            Right: ConstantExpression { Value: true },
        }
        && call.Type == typeof(bool)
            ? call
            : term;

    /// <summary>The property a row read of <paramref name="row"/> reads (through nullable conversions), or null.</summary>
    public static IProperty? RowProperty(Expression expression, ParameterExpression row) =>
        LsmRowReads.IsRead(Unwrap(expression), out var read) && read.Arguments[0] == row
            ? ((ConstantExpression)read.Arguments[2]).Value as IProperty
            : null;

    /// <summary>A value for <paramref name="property"/>: of its type up to nullability, not reading the row.</summary>
    private static bool IsValueFor(Expression expression, ParameterExpression row, IProperty property)
    {
        var value = Unwrap(expression);
        return value.Type.UnwrapNullableType() == property.ClrType.UnwrapNullableType() && !References(value, row);
    }

    /// <summary>
    /// The value side of an <c>object.Equals</c>: typed already, or an object-typed value (Find's parameter) read with a type
    /// test, so a value of another type becomes null — no row, which is what <c>object.Equals</c> answers for it.
    /// </summary>
    private static Expression? AsValueFor(Expression value, ParameterExpression row, IProperty property)
    {
        if (IsValueFor(value, row, property))
        {
            return Unwrap(value);
        }

        if (value.Type != typeof(object) || References(value, row))
        {
            return null;
        }

        var clrType = property.ClrType.UnwrapNullableType();
        return Expression.TypeAs(value, clrType.IsValueType ? clrType.MakeNullable() : clrType);
    }

    private static Expression StripToObject(Expression expression) =>
        expression is UnaryExpression { NodeType: ExpressionType.Convert } convert && convert.Type == typeof(object) ? convert.Operand : expression;

    /// <summary>Strips conversions between a type and its nullable form, which do not change a value.</summary>
    public static Expression Unwrap(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert } convert
            && convert.Type.UnwrapNullableType() == convert.Operand.Type.UnwrapNullableType())
        {
            expression = convert.Operand;
        }

        return expression;
    }

    public static bool References(Expression expression, ParameterExpression parameter)
    {
        var finder = new ParameterFinder(parameter);
        finder.Visit(expression);
        return finder.Found;
    }

    private static LsmConditionKind Kind(ExpressionType type) =>
        type switch
        {
            ExpressionType.Equal => LsmConditionKind.Equal,
            ExpressionType.LessThan => LsmConditionKind.LessThan,
            ExpressionType.LessThanOrEqual => LsmConditionKind.LessThanOrEqual,
            ExpressionType.GreaterThan => LsmConditionKind.GreaterThan,
            _ => LsmConditionKind.GreaterThanOrEqual,
        };

    private static LsmConditionKind Flip(LsmConditionKind kind) =>
        kind switch
        {
            LsmConditionKind.LessThan => LsmConditionKind.GreaterThan,
            LsmConditionKind.LessThanOrEqual => LsmConditionKind.GreaterThanOrEqual,
            LsmConditionKind.GreaterThan => LsmConditionKind.LessThan,
            LsmConditionKind.GreaterThanOrEqual => LsmConditionKind.LessThanOrEqual,
            _ => kind,
        };

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
