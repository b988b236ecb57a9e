using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Translates the LINQ operators of a query over one entity type into an <see cref="LsmQueryExpression"/> (server:
/// LINQ-to-objects over the rows) and a shaper (client: materialization and final projection). Operators that need
/// more than one entity type (joins, navigations, set operations, grouping) or that cannot run over rows return null,
/// which EF reports as "could not be translated".
/// </summary>
internal sealed partial class LsmQueryableMethodTranslatingExpressionVisitor(
    QueryableMethodTranslatingExpressionVisitorDependencies dependencies,
    QueryCompilationContext queryCompilationContext,
    bool subquery)
    : QueryableMethodTranslatingExpressionVisitor(dependencies, queryCompilationContext, subquery)
{
    protected override QueryableMethodTranslatingExpressionVisitor CreateSubqueryVisitor() =>
        new LsmQueryableMethodTranslatingExpressionVisitor(Dependencies, QueryCompilationContext, subquery: true);

    protected override ShapedQueryExpression CreateShapedQueryExpression(IEntityType entityType) =>
        new(
            new LsmQueryExpression(entityType),
            new StructuralTypeShaperExpression(entityType, new LsmElementExpression(typeof(ValueBuffer)), nullable: false));

    protected override ShapedQueryExpression? TranslateWhere(ShapedQueryExpression source, LambdaExpression predicate)
    {
        var query = Query(source);
        var lambda = query.TranslateLambda(Remap(source, predicate));
        if (lambda is null)
        {
            return null;
        }

        query.ApplyWhere(lambda);
        return source;
    }

    protected override ShapedQueryExpression TranslateSelect(ShapedQueryExpression source, LambdaExpression selector)
    {
        if (selector.Body == selector.Parameters[0])
        {
            return source;
        }

        // A projection runs on the client, over the row and materialized entities; what even that cannot evaluate (a
        // subquery, another entity type) fails here.
        var shaper = Remap(source, selector);
        return LsmServerExpressionTranslator.Translate(shaper, Query(source).NewElementParameter(), forShaper: true) is null
            ? throw new InvalidOperationException(CoreStrings.TranslationFailed(ExpressionPrinter.Print(selector)))
            : source.UpdateShaperExpression(shaper);
    }

    protected override ShapedQueryExpression? TranslateOrderBy(
        ShapedQueryExpression source, LambdaExpression keySelector, bool ascending) =>
        ApplyOrdering(source, keySelector, ascending, thenBy: false);

    protected override ShapedQueryExpression? TranslateThenBy(
        ShapedQueryExpression source, LambdaExpression keySelector, bool ascending) =>
        ApplyOrdering(source, keySelector, ascending, thenBy: true);

    protected override ShapedQueryExpression? TranslateSkip(ShapedQueryExpression source, Expression count)
    {
        if (LsmQueryExpression.TranslateValue(count) is not { } value)
        {
            return null;
        }

        Query(source).ApplySkip(value);
        return source;
    }

    protected override ShapedQueryExpression? TranslateTake(ShapedQueryExpression source, Expression count)
    {
        if (LsmQueryExpression.TranslateValue(count) is not { } value)
        {
            return null;
        }

        Query(source).ApplyTake(value);
        return source;
    }

    protected override ShapedQueryExpression? TranslateDistinct(ShapedQueryExpression source)
    {
        // Rows are unique by primary key, so the entities of a row query are already distinct.
        if (source.ShaperExpression is StructuralTypeShaperExpression)
        {
            return source;
        }

        var query = Query(source);
        if (query.ApplyServerProjection(source.ShaperExpression) is not { } shaper)
        {
            return null;
        }

        query.ApplySequenceOperator(nameof(Enumerable.Distinct));
        return source.UpdateShaperExpression(shaper);
    }

    protected override ShapedQueryExpression? TranslateFirstOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        ApplySingleResult(source, predicate, returnType, returnDefault, take: 1, last: false);

    protected override ShapedQueryExpression? TranslateSingleOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        ApplySingleResult(source, predicate, returnType, returnDefault, take: 2, last: false);

    protected override ShapedQueryExpression? TranslateLastOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        ApplySingleResult(source, predicate, returnType, returnDefault, take: 1, last: true);

    protected override ShapedQueryExpression? TranslateElementAtOrDefault(
        ShapedQueryExpression source, Expression index, bool returnDefault)
    {
        if (LsmQueryExpression.TranslateValue(index) is not { } value)
        {
            return null;
        }

        var query = Query(source);
        query.ApplySkip(value);
        query.ApplyTake(Expression.Constant(1));
        return source.UpdateResultCardinality(returnDefault ? ResultCardinality.SingleOrDefault : ResultCardinality.Single);
    }

    protected override ShapedQueryExpression? TranslateAny(ShapedQueryExpression source, LambdaExpression? predicate) =>
        ApplyAggregate(source, predicate, static (rows, type) => Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [type], rows));

    protected override ShapedQueryExpression? TranslateAll(ShapedQueryExpression source, LambdaExpression predicate)
    {
        var lambda = Query(source).TranslateLambda(Remap(source, predicate));
        return lambda is null
            ? null
            : ApplyAggregate(
                source,
                predicate: null,
                (rows, type) => Expression.Call(typeof(Enumerable), nameof(Enumerable.All), [type], rows, lambda));
    }

    protected override ShapedQueryExpression? TranslateCount(ShapedQueryExpression source, LambdaExpression? predicate) =>
        ApplyAggregate(source, predicate, static (rows, type) => Expression.Call(typeof(Enumerable), nameof(Enumerable.Count), [type], rows));

    protected override ShapedQueryExpression? TranslateLongCount(ShapedQueryExpression source, LambdaExpression? predicate) =>
        ApplyAggregate(
            source, predicate, static (rows, type) => Expression.Call(typeof(Enumerable), nameof(Enumerable.LongCount), [type], rows));

    protected override ShapedQueryExpression? TranslateSum(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        ApplyValueAggregate(source, selector, resultType, nameof(Enumerable.Sum));

    protected override ShapedQueryExpression? TranslateAverage(
        ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        ApplyValueAggregate(source, selector, resultType, nameof(Enumerable.Average));

    protected override ShapedQueryExpression? TranslateMin(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        ApplyValueAggregate(source, selector, resultType, nameof(Enumerable.Min));

    protected override ShapedQueryExpression? TranslateMax(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        ApplyValueAggregate(source, selector, resultType, nameof(Enumerable.Max));

    protected override ShapedQueryExpression? TranslateContains(ShapedQueryExpression source, Expression item)
    {
        var query = Query(source);
        if (source.ShaperExpression is StructuralTypeShaperExpression
            || LsmQueryExpression.TranslateValue(item) is not { } value
            || query.ApplyServerProjection(source.ShaperExpression) is not { } shaper)
        {
            return null;
        }

        if (value.Type != query.ElementType)
        {
            value = Expression.Convert(value, query.ElementType);
        }

        var result = query.ApplyAggregate(
            rows => Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [shaper.Type], rows, value));
        return source.UpdateShaperExpression(result).UpdateResultCardinality(ResultCardinality.Single);
    }

    protected override ShapedQueryExpression? TranslateCast(ShapedQueryExpression source, Type castType) =>
        source.ShaperExpression.Type == castType
            ? source
            : source.UpdateShaperExpression(Expression.Convert(source.ShaperExpression, castType));

    protected override ShapedQueryExpression? TranslateOfType(ShapedQueryExpression source, Type resultType) =>
        resultType.IsAssignableFrom(source.ShaperExpression.Type) ? source : null;

    protected override ShapedQueryExpression? TranslateReverse(ShapedQueryExpression source)
    {
        Query(source).ApplySequenceOperator(nameof(Enumerable.Reverse));
        return source;
    }

    // Operators over more than one source, or over groups: not in this landing (one entity type per query).
    protected override ShapedQueryExpression? TranslateConcat(ShapedQueryExpression source1, ShapedQueryExpression source2) => null;

    protected override ShapedQueryExpression? TranslateDefaultIfEmpty(ShapedQueryExpression source, Expression? defaultValue) => null;

    protected override ShapedQueryExpression? TranslateExcept(ShapedQueryExpression source1, ShapedQueryExpression source2) => null;

    protected override ShapedQueryExpression? TranslateGroupBy(
        ShapedQueryExpression source,
        LambdaExpression keySelector,
        LambdaExpression? elementSelector,
        LambdaExpression? resultSelector) => null;

    protected override ShapedQueryExpression? TranslateGroupJoin(
        ShapedQueryExpression outer,
        ShapedQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        LambdaExpression resultSelector) => null;

    protected override ShapedQueryExpression? TranslateIntersect(ShapedQueryExpression source1, ShapedQueryExpression source2) => null;

    protected override ShapedQueryExpression? TranslateJoin(
        ShapedQueryExpression outer,
        ShapedQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        LambdaExpression resultSelector) => null;

    protected override ShapedQueryExpression? TranslateLeftJoin(
        ShapedQueryExpression outer,
        ShapedQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        LambdaExpression resultSelector) => null;

    protected override ShapedQueryExpression? TranslateRightJoin(
        ShapedQueryExpression outer,
        ShapedQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        LambdaExpression resultSelector) => null;

    protected override ShapedQueryExpression? TranslateSelectMany(
        ShapedQueryExpression source, LambdaExpression collectionSelector, LambdaExpression resultSelector) => null;

    protected override ShapedQueryExpression? TranslateSelectMany(ShapedQueryExpression source, LambdaExpression selector) => null;

    protected override ShapedQueryExpression? TranslateSkipWhile(ShapedQueryExpression source, LambdaExpression predicate) => null;

    protected override ShapedQueryExpression? TranslateTakeWhile(ShapedQueryExpression source, LambdaExpression predicate) => null;

    protected override ShapedQueryExpression? TranslateUnion(ShapedQueryExpression source1, ShapedQueryExpression source2) => null;

    private static LsmQueryExpression Query(ShapedQueryExpression source) => (LsmQueryExpression)source.QueryExpression;

    private static Expression Remap(ShapedQueryExpression source, LambdaExpression lambda) =>
        ReplacingExpressionVisitor.Replace(lambda.Parameters[0], source.ShaperExpression, lambda.Body);

    private static ShapedQueryExpression? ApplyOrdering(
        ShapedQueryExpression source, LambdaExpression keySelector, bool ascending, bool thenBy)
    {
        var query = Query(source);
        var lambda = query.TranslateLambda(Remap(source, keySelector));
        if (lambda is null)
        {
            return null;
        }

        query.ApplyOrdering(lambda, ascending, thenBy);
        return source;
    }

    private ShapedQueryExpression? ApplySingleResult(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault, int take, bool last)
    {
        if (predicate is not null && TranslateWhere(source, predicate) is null)
        {
            return null;
        }

        var query = Query(source);
        if (last && !query.TryReversePendingOrderings())
        {
            query.ApplySequenceOperator(nameof(Enumerable.Reverse));
        }

        query.ApplyTake(Expression.Constant(take));
        var shaper = source.ShaperExpression.Type == returnType
            ? source.ShaperExpression
            : Expression.Convert(source.ShaperExpression, returnType);
        return source.UpdateShaperExpression(shaper)
            .UpdateResultCardinality(returnDefault ? ResultCardinality.SingleOrDefault : ResultCardinality.Single);
    }

    private ShapedQueryExpression? ApplyAggregate(
        ShapedQueryExpression source, LambdaExpression? predicate, Func<Expression, Type, Expression> aggregate)
    {
        if (predicate is not null && TranslateWhere(source, predicate) is null)
        {
            return null;
        }

        var query = Query(source);
        var elementType = query.ElementType;
        var shaper = query.ApplyAggregate(rows => aggregate(rows, elementType));
        return source.UpdateShaperExpression(shaper).UpdateResultCardinality(ResultCardinality.Single);
    }

    private static ShapedQueryExpression? ApplyValueAggregate(
        ShapedQueryExpression source, LambdaExpression? selector, Type resultType, string method)
    {
        var query = Query(source);
        var selected = query.TranslateLambda(selector is null ? source.ShaperExpression : Remap(source, selector));
        if (selected is null)
        {
            return null;
        }

        var shaper = query.ApplyAggregate(rows =>
        {
            var values = Expression.Call(
                typeof(Enumerable), nameof(Enumerable.Select), [query.ElementType, selected.ReturnType], rows, selected);
            Expression result;
            try
            {
                // The numeric overloads (Sum, Average, and Min/Max of numbers) are not generic.
                result = Expression.Call(typeof(Enumerable), method, null, values);
            }
            catch (InvalidOperationException)
            {
                result = Expression.Call(typeof(Enumerable), method, [selected.ReturnType], values);
            }

            return result.Type == resultType ? result : Expression.Convert(result, resultType);
        });
        return source.UpdateShaperExpression(shaper).UpdateResultCardinality(ResultCardinality.Single);
    }
}

/// <summary>Creates the provider's queryable method translator for each query compilation.</summary>
internal sealed class LsmQueryableMethodTranslatingExpressionVisitorFactory(QueryableMethodTranslatingExpressionVisitorDependencies dependencies)
    : IQueryableMethodTranslatingExpressionVisitorFactory
{
    public QueryableMethodTranslatingExpressionVisitor Create(QueryCompilationContext queryCompilationContext) =>
        new LsmQueryableMethodTranslatingExpressionVisitor(dependencies, queryCompilationContext, subquery: false);
}
