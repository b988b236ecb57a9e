using System.Linq.Expressions;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// After the access paths are chosen (<see cref="LsmAccessPathRewriter"/>), moves the filters and aggregates applied directly
/// to a scan source into the source's loop (<see cref="LsmScanRows"/>): <c>Where(rows, p)</c> becomes a loop that tests the
/// simple comparisons of <c>p</c> on the stored bytes (<see cref="LsmRowFilter"/>) and decodes only the rows that pass;
/// <c>Count</c>, <c>LongCount</c> and <c>Any</c> over such a source count without decoding; <c>Sum</c>, <c>Min</c>,
/// <c>Max</c> and <c>Average</c> of one property read that property typed. What is not simple (a method call, a converted
/// property, an enum, a comparison of two properties) stays a predicate over decoded rows, so results never change.
/// </summary>
internal sealed class LsmScanFusion : ExpressionVisitor
{
    private static readonly ParameterExpression QueryContext = QueryCompilationContext.QueryContextParameter;

    private LsmScanFusion()
    {
    }

    public static Expression Rewrite(Expression serverQuery) => new LsmScanFusion().Visit(serverQuery);

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (node.Method is { IsGenericMethod: true } method && method.DeclaringType == typeof(Enumerable))
        {
            switch (method.Name)
            {
                case nameof(Enumerable.Count) or nameof(Enumerable.LongCount) or nameof(Enumerable.Any)
                    when node.Arguments.Count == 1 && TryParse(node.Arguments[0], selector: null, out var scan):
                    var call = Call(
                        method.Name == nameof(Enumerable.Any) ? LsmScanRows.AnyMethod : LsmScanRows.CountMethod, scan.Arguments());
                    return method.Name == nameof(Enumerable.Count) ? ConvertChecked(call, typeof(int)) : call;

                case nameof(Enumerable.Sum) or nameof(Enumerable.Min) or nameof(Enumerable.Max) or nameof(Enumerable.Average)
                    when node.Arguments.Count == 2 && node.Arguments[1] is LambdaExpression selector
                    && TryParse(node.Arguments[0], selector, out var aggregated):
                    var type = selector.ReturnType;
                    var value = Parameter(type, "value");
                    var definition = method.GetGenericMethodDefinition();
                    return Call(
                        definition.MakeGenericMethod(definition.GetGenericArguments().Length == 1 ? [type] : [type, type]),
                        Call(
                            LsmScanRows.ValuesMethod.MakeGenericMethod(type),
                            [.. aggregated.Arguments(), Lambda(Visit(selector.Body), selector.Parameters)]),
                        Lambda(value, value));

                case nameof(Enumerable.Where) when TryParse(node, selector: null, out var filtered) && filtered.Filter.Tests.Length > 0:
                    return Call(LsmScanRows.RowsMethod, filtered.Arguments());
            }
        }

        return base.VisitMethodCall(node);
    }

    /// <summary>
    /// Whether <paramref name="source"/> is a scan source under zero or more filters, and (with <paramref name="selector"/>)
    /// the selector reads one property typed; the fused loop's arguments.
    /// </summary>
    private bool TryParse(Expression source, LambdaExpression? selector, out FusedScan scan)
    {
        scan = null!;
        var predicates = new List<LambdaExpression>();
        while (source is MethodCallExpression { Method.IsGenericMethod: true } where
            && where.Method.GetGenericMethodDefinition() == LsmEnumerable.Where
            && where.Arguments[1] is LambdaExpression predicate)
        {
            predicates.Add(predicate);
            source = where.Arguments[0];
        }

        if (source is not MethodCallExpression rows || rows.Method != LsmRowSource.RowsMethod
            || rows.Arguments[1] is not ConstantExpression { Value: LsmSource lsmSource } || !LsmRowSource.ScansOnly(lsmSource))
        {
            return false;
        }

        predicates.Reverse();
        var row = Parameter(typeof(ValueBuffer), "row");
        var conjuncts = new List<Expression>();
        foreach (var predicate in predicates)
        {
            Split(ReplacingExpressionVisitor.Replace(predicate.Parameters[0], row, predicate.Body), conjuncts);
        }

        var slots = new List<int>();
        var tests = new List<LsmSlotTest>();
        var operands = new List<Expression>();
        var residual = new List<Expression>();
        foreach (var conjunct in conjuncts)
        {
            if (TryTranslate(conjunct, row, slots, operands) is { } test)
            {
                tests.Add(test);
            }
            else
            {
                residual.Add(conjunct);
            }
        }

        var selectorIndex = -1;
        if (selector is not null)
        {
            if (!IsDirectRead(selector.Body, selector.Parameters[0], out var slot) || !IsTypedReadable(selector.ReturnType))
            {
                return false;
            }

            selectorIndex = IndexOf(slots, slot);
        }

        var all = conjuncts.Count == 0 ? Constant(true) : conjuncts.Aggregate(AndAlso);
        scan = new FusedScan(
            (MethodCallExpression)base.VisitMethodCall(rows),
            new LsmRowFilter([.. slots], [.. tests], selectorIndex),
            NewArrayInit(typeof(object), operands.Select(o => LsmTypes.Box(Visit(o)))),
            Lambda<Func<ValueBuffer, bool>>(Visit(all), row),
            residual.Count == 0 ? Constant(null, typeof(Func<ValueBuffer, bool>)) : Lambda<Func<ValueBuffer, bool>>(Visit(residual.Aggregate(AndAlso)), row));
        return true;
    }

    private static void Split(Expression predicate, List<Expression> conjuncts)
    {
        if (predicate is BinaryExpression { NodeType: ExpressionType.AndAlso } and)
        {
            Split(and.Left, conjuncts);
            Split(and.Right, conjuncts);
        }
        else
        {
            conjuncts.Add(predicate);
        }
    }

    /// <summary>
    /// The test of a conjunct of the form <c>property op operand</c> (or reversed, or under a not), where the property is
    /// read as it is stored, the operand is a constant or a query parameter, and the type's comparison is reproduced exactly;
    /// strings also as <c>LsmStringComparer.Compare(property, operand) op 0</c>.
    /// </summary>
    private static LsmSlotTest? TryTranslate(Expression conjunct, ParameterExpression row, List<int> slots, List<Expression> operands)
    {
        var negated = false;
        if (conjunct is UnaryExpression { NodeType: ExpressionType.Not } not && not.Type == typeof(bool))
        {
            negated = true;
            conjunct = not.Operand;
        }

        if (conjunct is not BinaryExpression binary || ComparisonOf(binary.NodeType) is not { } comparison)
        {
            return null;
        }

        var left = LsmTypes.StripObjectAndNullableConvert(binary.Left);
        var right = LsmTypes.StripObjectAndNullableConvert(binary.Right);
        var isString = false;
        if (left is MethodCallExpression { Arguments.Count: 2 } compare && compare.Method == LsmStringComparer.CompareMethod
            && right is ConstantExpression { Value: 0 })
        {
            // LsmStringComparer.Compare(a, b) op 0: how the translator orders strings.
            if (comparison is LsmComparison.Equal or LsmComparison.NotEqual)
            {
                return null;
            }

            left = compare.Arguments[0];
            right = compare.Arguments[1];
            isString = true;
        }

        if (!IsDirectRead(left, row, out var slot))
        {
            if (!IsDirectRead(right, row, out slot))
            {
                return null;
            }

            (left, right) = (right, left);
            comparison = Flip(comparison);
        }

        if (!IsOperand(right))
        {
            return null;
        }

        // Both sides of one type, never object (a reference comparison); strings through their operators or the comparer.
        var readType = left.Type;
        if (binary.Left.Type != binary.Right.Type || binary.Left.Type == typeof(object)
            || right.Type.UnwrapNullableType() != readType.UnwrapNullableType())
        {
            return null;
        }

        if (readType == typeof(string))
        {
            if (!isString && binary.Method?.Name is not ("op_Equality" or "op_Inequality"))
            {
                return null;
            }
        }
        else if (isString || !LsmSlotTest.Supports(readType))
        {
            return null;
        }

        var index = IndexOf(slots, slot);
        var operandIndex = operands.Count;
        operands.Add(right);
        return readType == typeof(string)
            ? LsmSlotTest.ForString(index, comparison, operandIndex, negated)
            : LsmSlotTest.ForValue(readType, index, comparison, operandIndex, negated);
    }

    /// <summary>A read of a slot of <paramref name="row"/> whose property is stored as its model type (no value converter).</summary>
    private static bool IsDirectRead(Expression expression, ParameterExpression row, out int slot)
    {
        slot = -1;
        if (!LsmRowReads.IsRead(expression, out var read) || read.Arguments[0] != row
            || read.Arguments[1] is not ConstantExpression { Value: int index }
            || read.Arguments[2] is not ConstantExpression { Value: IProperty property }
            || property.GetTypeMapping().Converter is not null
            || property.ClrType.UnwrapNullableType() != read.Type.UnwrapNullableType()
            // A member of an owned type lives inside its owner's nested value (docs/row_encoding.md, "Owned values"), not
            // in a top-level slot that headers alone can reach; so do the members of an owned type's complex values.
            || LsmRowLayout.DeclaringEntityType(property).IsOwned())
        {
            return false;
        }

        slot = index;
        return true;
    }

    /// <summary>Types an aggregate reads typed (what <see cref="RowValueCodec"/> reads exactly; enums stay on the decoded path).</summary>
    private static bool IsTypedReadable(Type type) =>
        type.UnwrapNullableType() is var underlying && !underlying.IsEnum && underlying != typeof(string) && underlying != typeof(byte[])
        && RowValueCodec.IsSupported(underlying);

    /// <summary>A value fixed for the execution: a constant, or a query parameter's value.</summary>
    private static bool IsOperand(Expression expression) =>
        LsmTypes.StripObjectAndNullableConvert(expression) switch
        {
            ConstantExpression => true,
            MethodCallExpression { Method.IsGenericMethod: true } call =>
                call.Method.GetGenericMethodDefinition() == LsmExpressionTranslatingExpressionVisitor.GetParameterValueMethod
                && call.Arguments[0] == QueryContext && call.Arguments[1] is ConstantExpression,
            _ => false,
        };

    private static int IndexOf(List<int> slots, int slot)
    {
        var index = slots.IndexOf(slot);
        if (index < 0)
        {
            slots.Add(slot);
            index = slots.Count - 1;
        }

        return index;
    }

    private static LsmComparison? ComparisonOf(ExpressionType type) =>
        type switch
        {
            ExpressionType.Equal => LsmComparison.Equal,
            ExpressionType.NotEqual => LsmComparison.NotEqual,
            ExpressionType.LessThan => LsmComparison.LessThan,
            ExpressionType.LessThanOrEqual => LsmComparison.LessThanOrEqual,
            ExpressionType.GreaterThan => LsmComparison.GreaterThan,
            ExpressionType.GreaterThanOrEqual => LsmComparison.GreaterThanOrEqual,
            _ => null,
        };

    private static LsmComparison Flip(LsmComparison comparison) =>
        comparison switch
        {
            LsmComparison.LessThan => LsmComparison.GreaterThan,
            LsmComparison.LessThanOrEqual => LsmComparison.GreaterThanOrEqual,
            LsmComparison.GreaterThan => LsmComparison.LessThan,
            LsmComparison.GreaterThanOrEqual => LsmComparison.LessThanOrEqual,
            _ => comparison,
        };

    /// <summary>A scan source with its filter: the arguments of the <see cref="LsmScanRows"/> loops.</summary>
    private sealed record FusedScan(
        MethodCallExpression Rows, LsmRowFilter Filter, Expression Operands, Expression Predicate, Expression Residual)
    {
        public Expression[] Arguments() =>
            [Rows.Arguments[0], Rows.Arguments[1], Rows.Arguments[2], Constant(Filter), Operands, Predicate, Residual];
    }
}
