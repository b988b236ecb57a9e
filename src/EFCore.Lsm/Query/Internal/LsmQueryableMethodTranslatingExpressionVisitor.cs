using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using EFExpressionExtensions = Microsoft.EntityFrameworkCore.Infrastructure.ExpressionExtensions;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Translates the LINQ operators of a query (after EF's navigation expansion: navigations are joins and subqueries by now)
/// into an <see cref="LsmQueryExpression"/> and a shaper, the shape of EF InMemory's pipeline: lambda bodies through
/// <see cref="LsmExpressionTranslatingExpressionVisitor"/>, selectors through <see cref="LsmProjectionBindingExpressionVisitor"/>,
/// owned navigations through <see cref="OwnedNavigationExpandingExpressionVisitor"/>. An operator it cannot translate
/// returns null with details naming it and the workaround, which EF reports as "could not be translated".
/// </summary>
internal sealed partial class LsmQueryableMethodTranslatingExpressionVisitor : QueryableMethodTranslatingExpressionVisitor
{
    private readonly LsmExpressionTranslatingExpressionVisitor _expressionTranslator;
    private readonly LsmProjectionBindingExpressionVisitor _projectionBinder;
    private readonly OwnedNavigationExpandingExpressionVisitor _ownedExpander;
    private readonly bool _subquery;

    public LsmQueryableMethodTranslatingExpressionVisitor(
        QueryableMethodTranslatingExpressionVisitorDependencies dependencies, QueryCompilationContext queryCompilationContext)
        : base(dependencies, queryCompilationContext, subquery: false)
    {
        _expressionTranslator = new LsmExpressionTranslatingExpressionVisitor(queryCompilationContext, this);
        _projectionBinder = new LsmProjectionBindingExpressionVisitor(this, _expressionTranslator);
        _ownedExpander = new OwnedNavigationExpandingExpressionVisitor(_expressionTranslator);
    }

    private LsmQueryableMethodTranslatingExpressionVisitor(LsmQueryableMethodTranslatingExpressionVisitor parent)
        : base(parent.Dependencies, parent.QueryCompilationContext, subquery: true)
    {
        _subquery = true;
        MaterializerSource = parent.MaterializerSource;
        _expressionTranslator = new LsmExpressionTranslatingExpressionVisitor(QueryCompilationContext, parent);
        _projectionBinder = new LsmProjectionBindingExpressionVisitor(this, _expressionTranslator);
        _ownedExpander = new OwnedNavigationExpandingExpressionVisitor(_expressionTranslator);
    }

    /// <summary>The materializer source, which builds the elements of complex collections a query's own code reads.</summary>
    public LsmStructuralTypeMaterializerSource MaterializerSource { get; init; } = null!;

    protected override QueryableMethodTranslatingExpressionVisitor CreateSubqueryVisitor() =>
        new LsmQueryableMethodTranslatingExpressionVisitor(this);

    protected override Expression VisitExtension(Expression extensionExpression) =>
        extensionExpression switch
        {
            GroupByShaperExpression group =>
                ((LsmQueryExpression)group.GroupingEnumerable.QueryExpression).Clone(group.GroupingEnumerable.ShaperExpression),
            ShapedQueryExpression shaped => ((LsmQueryExpression)shaped.QueryExpression).Clone(shaped.ShaperExpression),
            _ => base.VisitExtension(extensionExpression),
        };

    public override Expression Translate(Expression expression)
    {
        var translated = base.Translate(expression);

        // A GroupBy that ends the query returns its groups: each group's key and its elements (a collection per group).
        if (!_subquery && translated is ShapedQueryExpression { ShaperExpression: GroupByShaperExpression groupShaper } grouped)
        {
            var keyType = groupShaper.KeySelector.Type;
            var elementType = groupShaper.GroupingEnumerable.ShaperExpression.Type;
            var group = Expression.Parameter(typeof(IGrouping<,>).MakeGenericType(keyType, elementType), "group");
            var elements = Expression.Call(
                LsmEnumerable.ToList.MakeGenericMethod(elementType),
                Expression.Call(QueryableMethods.AsQueryable.MakeGenericMethod(elementType), group));
            var selector = Expression.Lambda(
                Expression.Call(LsmGrouping.CreateMethod.MakeGenericMethod(keyType, elementType), Expression.Property(group, "Key"), elements),
                group);
            return TranslateSelect(grouped, selector);
        }

        return translated;
    }

    protected override Expression VisitMethodCall(MethodCallExpression methodCallExpression)
    {
        // Split queries are what the provider does for collections anyway (one correlated read per element).
        if (methodCallExpression is { Method.IsGenericMethod: true, Arguments.Count: 1 }
            && methodCallExpression.Arguments[0].Type.TryGetSequenceType() is not null
            && methodCallExpression.Method.Name is "AsSplitQuery" or "AsSingleQuery")
        {
            return Visit(methodCallExpression.Arguments[0]);
        }

        return base.VisitMethodCall(methodCallExpression);
    }

    protected override ShapedQueryExpression CreateShapedQueryExpression(IEntityType entityType)
    {
        if (entityType.FindPrimaryKey() is null)
        {
            throw new InvalidOperationException(
                $"The keyless entity type '{entityType.DisplayName()}' has no rows in EFCore.Lsm: rows are stored under their "
                + "primary key, and keyless types cannot be saved. Query a keyed entity type and project it instead.");
        }

        return CreateShapedQuery(entityType);
    }

    internal static ShapedQueryExpression CreateShapedQuery(IEntityType entityType)
    {
        var query = new LsmQueryExpression(entityType);
        return new ShapedQueryExpression(
            query,
            new StructuralTypeShaperExpression(
                entityType, new ProjectionBindingExpression(query, new ProjectionMember(), typeof(ValueBuffer)), nullable: false));
    }

    protected override ShapedQueryExpression? TranslateAll(ShapedQueryExpression source, LambdaExpression predicate)
    {
        if (TranslateWhere(source, Expression.Lambda(Expression.Not(predicate.Body), predicate.Parameters)) is not { } filtered)
        {
            return null;
        }

        var query = Query(filtered);
        ClearGroupProjection(filtered);
        query.UpdateServerQueryExpression(Expression.Not(
            Expression.Call(LsmEnumerable.Any.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression)));
        return filtered.UpdateShaperExpression(Expression.Convert(query.GetSingleScalarProjection(), typeof(bool)));
    }

    protected override ShapedQueryExpression? TranslateAny(ShapedQueryExpression source, LambdaExpression? predicate) =>
        TranslateCountLike(source, predicate, LsmEnumerable.Any, typeof(bool));

    protected override ShapedQueryExpression? TranslateCount(ShapedQueryExpression source, LambdaExpression? predicate) =>
        TranslateCountLike(source, predicate, LsmEnumerable.Count, typeof(int));

    protected override ShapedQueryExpression? TranslateLongCount(ShapedQueryExpression source, LambdaExpression? predicate) =>
        TranslateCountLike(source, predicate, LsmEnumerable.LongCount, typeof(long));

    protected override ShapedQueryExpression? TranslateAverage(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        TranslateScalarAggregate(source, selector, nameof(Enumerable.Average), resultType);

    protected override ShapedQueryExpression? TranslateSum(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        TranslateScalarAggregate(source, selector, nameof(Enumerable.Sum), resultType);

    protected override ShapedQueryExpression? TranslateMin(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        TranslateScalarAggregate(source, selector, nameof(Enumerable.Min), resultType);

    protected override ShapedQueryExpression? TranslateMax(ShapedQueryExpression source, LambdaExpression? selector, Type resultType) =>
        TranslateScalarAggregate(source, selector, nameof(Enumerable.Max), resultType);

    protected override ShapedQueryExpression? TranslateCast(ShapedQueryExpression source, Type castType) =>
        source.ShaperExpression.Type != castType ? source.UpdateShaperExpression(Expression.Convert(source.ShaperExpression, castType)) : source;

    protected override ShapedQueryExpression? TranslateConcat(ShapedQueryExpression source1, ShapedQueryExpression source2) =>
        TranslateSetOperation(LsmEnumerable.Concat, source1, source2);

    protected override ShapedQueryExpression? TranslateUnion(ShapedQueryExpression source1, ShapedQueryExpression source2) =>
        TranslateSetOperation(LsmEnumerable.Union, source1, source2);

    protected override ShapedQueryExpression? TranslateIntersect(ShapedQueryExpression source1, ShapedQueryExpression source2) =>
        TranslateSetOperation(LsmEnumerable.Intersect, source1, source2);

    protected override ShapedQueryExpression? TranslateExcept(ShapedQueryExpression source1, ShapedQueryExpression source2) =>
        TranslateSetOperation(LsmEnumerable.Except, source1, source2);

    protected override ShapedQueryExpression? TranslateContains(ShapedQueryExpression source, Expression item)
    {
        var parameter = Expression.Parameter(item.Type, "p");
        return TranslateAny(source, Expression.Lambda(EFExpressionExtensions.CreateEqualsExpression(parameter, item), parameter));
    }

    protected override ShapedQueryExpression? TranslateDefaultIfEmpty(ShapedQueryExpression source, Expression? defaultValue)
    {
        if (defaultValue is not null)
        {
            AddTranslationErrorDetails(LsmRefusedOperators.DefaultIfEmptyWithValue);
            return null;
        }

        Query(source).ApplyDefaultIfEmpty();
        return source.UpdateShaperExpression(MarkShaperNullable(source.ShaperExpression));
    }

    protected override ShapedQueryExpression? TranslateDistinct(ShapedQueryExpression source)
    {
        Query(source).ApplyDistinct();
        return source;
    }

    protected override ShapedQueryExpression? TranslateElementAtOrDefault(ShapedQueryExpression source, Expression index, bool returnDefault)
    {
        if (TranslateSkip(source, index) is not { } skipped)
        {
            return null;
        }

        return TranslateSingleResult(
            skipped, null, source.ShaperExpression.Type, returnDefault ? LsmEnumerable.FirstOrDefault : LsmEnumerable.First);
    }

    protected override ShapedQueryExpression? TranslateFirstOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        TranslateSingleResult(source, predicate, returnType, returnDefault ? LsmEnumerable.FirstOrDefault : LsmEnumerable.First);

    protected override ShapedQueryExpression? TranslateLastOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        TranslateSingleResult(source, predicate, returnType, returnDefault ? LsmEnumerable.LastOrDefault : LsmEnumerable.Last);

    protected override ShapedQueryExpression? TranslateSingleOrDefault(
        ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, bool returnDefault) =>
        TranslateSingleResult(source, predicate, returnType, returnDefault ? LsmEnumerable.SingleOrDefault : LsmEnumerable.Single);

    protected override ShapedQueryExpression? TranslateGroupBy(
        ShapedQueryExpression source, LambdaExpression keySelector, LambdaExpression? elementSelector, LambdaExpression? resultSelector)
    {
        var key = TranslateGroupingKey(RemapLambdaBody(source, keySelector));
        if (key is null)
        {
            return null;
        }

        var query = Query(source);
        var defaultElementSelector = elementSelector is null || elementSelector.Body == elementSelector.Parameters[0];
        if (!defaultElementSelector)
        {
            source = TranslateSelect(source, elementSelector!);
        }

        var groupShaper = query.ApplyGrouping(key, source.ShaperExpression, defaultElementSelector);
        if (resultSelector is null)
        {
            return source.UpdateShaperExpression(groupShaper);
        }

        var body = new ReplacingExpressionVisitor(
            [resultSelector.Parameters[0], resultSelector.Parameters[1]], [groupShaper.KeySelector, groupShaper]).Visit(resultSelector.Body);
        body = _ownedExpander.Expand(query, body);
        return source.UpdateShaperExpression(_projectionBinder.Translate(query, body));
    }

    private Expression? TranslateGroupingKey(Expression expression)
    {
        switch (expression)
        {
            case NewExpression { Arguments.Count: 0 } empty:
                return empty;
            case NewExpression newExpression:
                var arguments = new Expression[newExpression.Arguments.Count];
                for (var i = 0; i < arguments.Length; i++)
                {
                    if (TranslateGroupingKey(newExpression.Arguments[i]) is not { } argument)
                    {
                        return null;
                    }

                    arguments[i] = argument;
                }

                return newExpression.Update(arguments);
            case MemberInitExpression memberInit:
                if (TranslateGroupingKey(memberInit.NewExpression) is not NewExpression constructed)
                {
                    return null;
                }

                var bindings = new MemberAssignment[memberInit.Bindings.Count];
                for (var i = 0; i < bindings.Length; i++)
                {
                    if (memberInit.Bindings[i] is not MemberAssignment assignment
                        || TranslateGroupingKey(assignment.Expression) is not { } value)
                    {
                        return null;
                    }

                    bindings[i] = assignment.Update(value);
                }

                return memberInit.Update(constructed, bindings);
            case StructuralTypeShaperExpression { ValueBufferExpression: ProjectionBindingExpression } shaper:
                return shaper;
            default:
                var translation = TranslateExpression(expression);
                return translation is null ? null
                    : translation.Type == expression.Type ? translation
                    : Expression.Convert(translation, expression.Type);
        }
    }

    protected override ShapedQueryExpression? TranslateGroupJoin(
        ShapedQueryExpression outer, ShapedQueryExpression inner, LambdaExpression outerKeySelector, LambdaExpression innerKeySelector,
        LambdaExpression resultSelector)
    {
        AddTranslationErrorDetails(
            "GroupJoin is supported by EFCore.Lsm only as EF rewrites it (GroupJoin followed by SelectMany, i.e. a left join); for "
            + "the groups themselves use a collection navigation or a correlated subquery (inner.Where(i => i.Key == o.Key)).");
        return null;
    }

    protected override ShapedQueryExpression? TranslateJoin(
        ShapedQueryExpression outer, ShapedQueryExpression inner, LambdaExpression outerKeySelector, LambdaExpression innerKeySelector,
        LambdaExpression resultSelector)
    {
        var (outerKey, innerKey) = ProcessJoinKeySelector(outer, inner, outerKeySelector, innerKeySelector);
        if (outerKey is null || innerKey is null)
        {
            return null;
        }

        var shaper = Query(outer).AddInnerJoin(Query(inner), outerKey, innerKey, outer.ShaperExpression, inner.ShaperExpression);
        return TranslateTwoParameterSelector(outer.UpdateShaperExpression(shaper), resultSelector);
    }

    protected override ShapedQueryExpression? TranslateLeftJoin(
        ShapedQueryExpression outer, ShapedQueryExpression inner, LambdaExpression outerKeySelector, LambdaExpression innerKeySelector,
        LambdaExpression resultSelector)
    {
        var (outerKey, innerKey) = ProcessJoinKeySelector(outer, inner, outerKeySelector, innerKeySelector);
        if (outerKey is null || innerKey is null)
        {
            return null;
        }

        var shaper = Query(outer).AddLeftJoin(Query(inner), outerKey, innerKey, outer.ShaperExpression, inner.ShaperExpression);
        return TranslateTwoParameterSelector(outer.UpdateShaperExpression(shaper), resultSelector);
    }

    protected override ShapedQueryExpression? TranslateRightJoin(
        ShapedQueryExpression outer, ShapedQueryExpression inner, LambdaExpression outerKeySelector, LambdaExpression innerKeySelector,
        LambdaExpression resultSelector)
    {
        AddTranslationErrorDetails(LsmRefusedOperators.RightJoin);
        return null;
    }

    protected override ShapedQueryExpression? TranslateOfType(ShapedQueryExpression source, Type resultType)
    {
        if (source.ShaperExpression is not StructuralTypeShaperExpression { StructuralType: IEntityType entityType } shaper)
        {
            return null;
        }

        if (entityType.ClrType == resultType)
        {
            return source;
        }

        var parameter = Expression.Parameter(shaper.Type);
        if (TranslateWhere(source, Expression.Lambda(Expression.TypeIs(parameter, resultType), parameter)) is not { } filtered)
        {
            return null;
        }

        if (entityType.GetAllBaseTypes().FirstOrDefault(t => t.ClrType == resultType) is { } baseType)
        {
            return filtered.UpdateShaperExpression(shaper.WithType(baseType));
        }

        var derivedType = entityType.GetDerivedTypes().FirstOrDefault(t => t.ClrType == resultType);
        if (derivedType is null)
        {
            // A type outside the hierarchy: no row is of it.
            AddTranslationErrorDetails($"'{resultType.Name}' is not an entity type of the hierarchy of '{entityType.DisplayName()}'.");
            return null;
        }

        var query = Query(filtered);
        var binding = (ProjectionBindingExpression)shaper.ValueBufferExpression;
        var projection = (LsmEntityProjectionExpression)query.GetProjection(binding);
        query.ReplaceProjection(new Dictionary<ProjectionMember, Expression> { [binding.ProjectionMember!] = projection.UpdateEntityType(derivedType) });
        return filtered.UpdateShaperExpression(shaper.WithType(derivedType));
    }

    protected override ShapedQueryExpression? TranslateOrderBy(ShapedQueryExpression source, LambdaExpression keySelector, bool ascending) =>
        TranslateOrdering(source, keySelector, ascending, thenBy: false);

    protected override ShapedQueryExpression? TranslateThenBy(ShapedQueryExpression source, LambdaExpression keySelector, bool ascending) =>
        TranslateOrdering(source, keySelector, ascending, thenBy: true);

    private ShapedQueryExpression? TranslateOrdering(ShapedQueryExpression source, LambdaExpression keySelector, bool ascending, bool thenBy)
    {
        var query = Query(source);
        if (TranslateLambdaExpression(source, keySelector) is not { } key)
        {
            return null;
        }

        // Strings order by code point, the order of keys and indexes (LsmStringComparer), never by the current culture.
        var strings = key.ReturnType == typeof(string);
        var method = (thenBy, ascending, strings) switch
        {
            (false, true, false) => LsmEnumerable.OrderBy,
            (false, false, false) => LsmEnumerable.OrderByDescending,
            (true, true, false) => LsmEnumerable.ThenBy,
            (true, false, false) => LsmEnumerable.ThenByDescending,
            (false, true, true) => LsmEnumerable.OrderByComparer,
            (false, false, true) => LsmEnumerable.OrderByDescendingComparer,
            (true, true, true) => LsmEnumerable.ThenByComparer,
            (true, false, true) => LsmEnumerable.ThenByDescendingComparer,
        };
        Expression[] arguments = strings
            ? [query.ServerQueryExpression, key, Expression.Constant(LsmStringComparer.Instance, typeof(IComparer<string>))]
            : [query.ServerQueryExpression, key];
        if (thenBy && !typeof(IOrderedEnumerable<>).MakeGenericType(query.CurrentParameter.Type).IsAssignableFrom(query.ServerQueryExpression.Type))
        {
            AddTranslationErrorDetails("ThenBy must follow OrderBy.");
            return null;
        }

        query.UpdateServerQueryExpression(Expression.Call(method.MakeGenericMethod(query.CurrentParameter.Type, key.ReturnType), arguments));
        return source;
    }

    protected override ShapedQueryExpression? TranslateReverse(ShapedQueryExpression source)
    {
        var query = Query(source);
        query.UpdateServerQueryExpression(
            Expression.Call(LsmEnumerable.Reverse.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression));
        return source;
    }

    protected override ShapedQueryExpression TranslateSelect(ShapedQueryExpression source, LambdaExpression selector)
    {
        if (selector.Body == selector.Parameters[0])
        {
            return source;
        }

        var body = RemapLambdaBody(source, selector);
        return source.UpdateShaperExpression(_projectionBinder.Translate(Query(source), body));
    }

    protected override ShapedQueryExpression? TranslateSelectMany(
        ShapedQueryExpression source, LambdaExpression collectionSelector, LambdaExpression resultSelector)
    {
        var defaultIfEmpty = DefaultIfEmptyFinder.IsOptional(collectionSelector);
        var body = RemapLambdaBody(source, collectionSelector);
        if (Visit(body) is not ShapedQueryExpression inner)
        {
            return null;
        }

        var shaper = Query(source).AddSelectMany(Query(inner), source.ShaperExpression, inner.ShaperExpression, defaultIfEmpty);
        return TranslateTwoParameterSelector(source.UpdateShaperExpression(shaper), resultSelector);
    }

    protected override ShapedQueryExpression? TranslateSelectMany(ShapedQueryExpression source, LambdaExpression selector)
    {
        var innerParameter = Expression.Parameter(selector.ReturnType.GetSequenceType(), "i");
        var resultSelector = Expression.Lambda(innerParameter, Expression.Parameter(source.Type.GetSequenceType()), innerParameter);
        return TranslateSelectMany(source, selector, resultSelector);
    }

    protected override ShapedQueryExpression? TranslateSkip(ShapedQueryExpression source, Expression count)
    {
        var query = Query(source);
        if (TranslateExpression(count) is not { } value)
        {
            return null;
        }

        query.UpdateServerQueryExpression(
            Expression.Call(LsmEnumerable.Skip.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression, value));
        return source;
    }

    protected override ShapedQueryExpression? TranslateTake(ShapedQueryExpression source, Expression count)
    {
        var query = Query(source);
        if (TranslateExpression(count) is not { } value)
        {
            return null;
        }

        query.UpdateServerQueryExpression(
            Expression.Call(LsmEnumerable.Take.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression, value));
        return source;
    }

    protected override ShapedQueryExpression? TranslateSkipWhile(ShapedQueryExpression source, LambdaExpression predicate)
    {
        AddTranslationErrorDetails(LsmRefusedOperators.SkipWhile);
        return null;
    }

    protected override ShapedQueryExpression? TranslateTakeWhile(ShapedQueryExpression source, LambdaExpression predicate)
    {
        AddTranslationErrorDetails(LsmRefusedOperators.TakeWhile);
        return null;
    }

    protected override ShapedQueryExpression? TranslateWhere(ShapedQueryExpression source, LambdaExpression predicate)
    {
        var query = Query(source);
        if (TranslateLambdaExpression(source, predicate, preserveType: true) is not { } lambda)
        {
            return null;
        }

        query.UpdateServerQueryExpression(
            Expression.Call(LsmEnumerable.Where.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression, lambda));
        return source;
    }

    private static LsmQueryExpression Query(ShapedQueryExpression source) => (LsmQueryExpression)source.QueryExpression;

    /// <summary>After a GroupBy, an aggregate over the groups' count needs no projection of their elements.</summary>
    private static void ClearGroupProjection(ShapedQueryExpression source)
    {
        if (source.ShaperExpression is GroupByShaperExpression)
        {
            Query(source).ReplaceProjection(new Dictionary<ProjectionMember, Expression>());
        }
    }

    private ShapedQueryExpression? TranslateCountLike(ShapedQueryExpression source, LambdaExpression? predicate, MethodInfo method, Type type)
    {
        if (predicate is not null)
        {
            if (TranslateWhere(source, predicate) is not { } filtered)
            {
                return null;
            }

            source = filtered;
        }

        var query = Query(source);
        ClearGroupProjection(source);
        query.UpdateServerQueryExpression(Expression.Call(method.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression));
        return source.UpdateShaperExpression(Expression.Convert(query.GetSingleScalarProjection(), type));
    }

    private ShapedQueryExpression? TranslateScalarAggregate(ShapedQueryExpression source, LambdaExpression? selector, string method, Type resultType)
    {
        var query = Query(source);
        var lambda = selector is null || selector.Body == selector.Parameters[0]
            ? Expression.Lambda(
                query.GetProjection(new ProjectionBindingExpression(query, new ProjectionMember(), resultType)), query.CurrentParameter)
            : TranslateLambdaExpression(source, selector, preserveType: true);
        if (lambda is null || lambda.Body is LsmEntityProjectionExpression)
        {
            return null;
        }

        Expression aggregate;
        if (method is nameof(Enumerable.Min) or nameof(Enumerable.Max) && lambda.ReturnType == typeof(string))
        {
            // Strings: the code point order (LsmStringComparer), not the culture's.
            var values = Expression.Call(
                LsmEnumerable.Select.MakeGenericMethod(query.CurrentParameter.Type, typeof(string)), query.ServerQueryExpression, lambda);
            aggregate = Expression.Call(
                (method == nameof(Enumerable.Min) ? LsmEnumerable.MinComparer : LsmEnumerable.MaxComparer).MakeGenericMethod(typeof(string)),
                values,
                Expression.Constant(LsmStringComparer.Instance, typeof(IComparer<string>)));
        }
        else
        {
            aggregate = Expression.Call(
                LsmEnumerable.AggregateWithSelector(method, query.CurrentParameter.Type, lambda.ReturnType), query.ServerQueryExpression, lambda);
        }

        query.UpdateServerQueryExpression(aggregate);
        return source.UpdateShaperExpression(Expression.Convert(query.GetSingleScalarProjection(), resultType));
    }

    private ShapedQueryExpression? TranslateSingleResult(ShapedQueryExpression source, LambdaExpression? predicate, Type returnType, MethodInfo method)
    {
        if (predicate is not null)
        {
            if (TranslateWhere(source, predicate) is not { } filtered)
            {
                return null;
            }

            source = filtered;
        }

        var query = Query(source);
        if ((method == LsmEnumerable.Last || method == LsmEnumerable.LastOrDefault) && FlipOrdering(query.ServerQueryExpression) is { } flipped)
        {
            // The last in an order is the first in the opposite order, which a reverse scan with a limit of one can give.
            query.UpdateServerQueryExpression(flipped);
            method = method == LsmEnumerable.Last ? LsmEnumerable.First : LsmEnumerable.FirstOrDefault;
        }

        // At most one row is needed (two for Single, to detect a second): a Take the access path can turn into a scan limit.
        if (method != LsmEnumerable.Last && method != LsmEnumerable.LastOrDefault)
        {
            var take = method == LsmEnumerable.Single || method == LsmEnumerable.SingleOrDefault ? 2 : 1;
            query.UpdateServerQueryExpression(Expression.Call(
                LsmEnumerable.Take.MakeGenericMethod(query.CurrentParameter.Type), query.ServerQueryExpression, Expression.Constant(take)));
        }

        query.ConvertToSingleResult(method);
        return source.ShaperExpression.Type != returnType
            ? source.UpdateShaperExpression(Expression.Convert(source.ShaperExpression, returnType))
            : source;
    }

    /// <summary>The server query with its final OrderBy/ThenBy chain in the opposite directions, or null when it does not end in one.</summary>
    private static Expression? FlipOrdering(Expression server)
    {
        if (server is not MethodCallExpression { Method.IsGenericMethod: true } call || call.Method.DeclaringType != typeof(Enumerable))
        {
            return null;
        }

        var definition = call.Method.GetGenericMethodDefinition();
        var opposite =
            definition == LsmEnumerable.OrderBy ? LsmEnumerable.OrderByDescending
            : definition == LsmEnumerable.OrderByDescending ? LsmEnumerable.OrderBy
            : definition == LsmEnumerable.OrderByComparer ? LsmEnumerable.OrderByDescendingComparer
            : definition == LsmEnumerable.OrderByDescendingComparer ? LsmEnumerable.OrderByComparer
            : definition == LsmEnumerable.ThenBy ? LsmEnumerable.ThenByDescending
            : definition == LsmEnumerable.ThenByDescending ? LsmEnumerable.ThenBy
            : definition == LsmEnumerable.ThenByComparer ? LsmEnumerable.ThenByDescendingComparer
            : definition == LsmEnumerable.ThenByDescendingComparer ? LsmEnumerable.ThenByComparer
            : null;
        if (opposite is null)
        {
            return null;
        }

        var isThenBy = call.Method.Name.StartsWith(nameof(Enumerable.ThenBy), StringComparison.Ordinal);
        var source = call.Arguments[0];
        if (isThenBy)
        {
            if (FlipOrdering(source) is not { } flippedSource)
            {
                return null;
            }

            source = flippedSource;
        }

        return Expression.Call(opposite.MakeGenericMethod(call.Method.GetGenericArguments()), [source, .. call.Arguments.Skip(1)]);
    }

    private static ShapedQueryExpression TranslateSetOperation(MethodInfo method, ShapedQueryExpression source1, ShapedQueryExpression source2)
    {
        Query(source1).ApplySetOperation(method, Query(source2));
        if (method == LsmEnumerable.Except)
        {
            return source1;
        }

        return source1.UpdateShaperExpression(
            MatchShaperNullability(source1.ShaperExpression, source2.ShaperExpression, makeNullable: method != LsmEnumerable.Intersect));
    }

    private static Expression MatchShaperNullability(Expression shaper1, Expression shaper2, bool makeNullable)
    {
        switch (shaper1)
        {
            case StructuralTypeShaperExpression entity1 when shaper2 is StructuralTypeShaperExpression entity2:
                return entity1.IsNullable != entity2.IsNullable ? entity1.MakeNullable(makeNullable) : entity1;
            case NewExpression new1 when shaper2 is NewExpression new2:
                return new1.Update(new1.Arguments.Select((a, i) => MatchShaperNullability(a, new2.Arguments[i], makeNullable)));
            case MemberInitExpression init1 when shaper2 is MemberInitExpression init2:
                return init1.Update(
                    (NewExpression)MatchShaperNullability(init1.NewExpression, init2.NewExpression, makeNullable),
                    init1.Bindings.Select((b, i) => (MemberBinding)((MemberAssignment)b).Update(
                        MatchShaperNullability(((MemberAssignment)b).Expression, ((MemberAssignment)init2.Bindings[i]).Expression, makeNullable))));
            default:
                return shaper1;
        }
    }

    private (LambdaExpression? Outer, LambdaExpression? Inner) ProcessJoinKeySelector(
        ShapedQueryExpression outer, ShapedQueryExpression inner, LambdaExpression outerKeySelector, LambdaExpression innerKeySelector)
    {
        var left = RemapLambdaBody(outer, outerKeySelector);
        var right = RemapLambdaBody(inner, innerKeySelector);
        var condition = TranslateExpression(EFExpressionExtensions.CreateEqualsExpression(left, right));
        var outerValues = new List<Expression>();
        var innerValues = new List<Expression>();
        if (!DecomposeJoinCondition(condition, outerValues, innerValues))
        {
            return (null, null);
        }

        Expression outerBody, innerBody;
        if (outerValues.Count == 1)
        {
            (outerBody, innerBody) = (outerValues[0], innerValues[0]);
        }
        else
        {
            // Composite keys compare as one value: a key object with value equality.
            outerBody = LsmCompositeKey.Create(outerValues);
            innerBody = LsmCompositeKey.Create(innerValues);
        }

        var outerLambda = Expression.Lambda(outerBody, Query(outer).CurrentParameter);
        var innerLambda = Expression.Lambda(innerBody, Query(inner).CurrentParameter);
        return AlignKeySelectorTypes(outerLambda, innerLambda);
    }

    private static bool DecomposeJoinCondition(Expression? condition, List<Expression> outerValues, List<Expression> innerValues)
    {
        switch (condition)
        {
            case BinaryExpression { NodeType: ExpressionType.Equal } equal:
                outerValues.Add(equal.Left);
                innerValues.Add(equal.Right);
                return true;
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                return DecomposeJoinCondition(and.Left, outerValues, innerValues) && DecomposeJoinCondition(and.Right, outerValues, innerValues);
            case MethodCallExpression { Method.Name: nameof(Equals), Arguments.Count: 2 } call
                when (call.Method.IsStatic && call.Method.DeclaringType == typeof(object))
                || typeof(ValueComparer).IsAssignableFrom(call.Method.DeclaringType):
                outerValues.Add(call.Arguments[0]);
                innerValues.Add(call.Arguments[1]);
                return true;
            case BlockExpression { Expressions: [.., ConditionalExpression] } comparerEquality
                when comparerEquality.Variables.Count == 2 && comparerEquality.Expressions.Count == 3:
                // A comparison through a value comparer (see TryUseComparer): join on the two values.
                outerValues.Add(((BinaryExpression)comparerEquality.Expressions[0]).Right);
                innerValues.Add(((BinaryExpression)comparerEquality.Expressions[1]).Right);
                return true;
            default:
                return false;
        }
    }

    private static (LambdaExpression, LambdaExpression) AlignKeySelectorTypes(LambdaExpression outer, LambdaExpression inner)
    {
        if (outer.Body.Type != inner.Body.Type)
        {
            if (outer.Body.Type.IsNullableType() && !inner.Body.Type.IsNullableType() && outer.Body.Type.UnwrapNullableType() == inner.Body.Type)
            {
                inner = Expression.Lambda(Expression.Convert(inner.Body, outer.Body.Type), inner.Parameters);
            }
            else if (inner.Body.Type.IsNullableType() && !outer.Body.Type.IsNullableType() && inner.Body.Type.UnwrapNullableType() == outer.Body.Type)
            {
                outer = Expression.Lambda(Expression.Convert(outer.Body, inner.Body.Type), outer.Parameters);
            }
        }

        return (outer, inner);
    }

    private ShapedQueryExpression TranslateTwoParameterSelector(ShapedQueryExpression source, LambdaExpression resultSelector)
    {
        var transparentIdentifierType = source.ShaperExpression.Type;
        var parameter = Expression.Parameter(transparentIdentifierType);
        var body = new ReplacingExpressionVisitor(
                [resultSelector.Parameters[0], resultSelector.Parameters[1]],
                [Expression.Field(parameter, transparentIdentifierType.GetField("Outer")!), Expression.Field(parameter, transparentIdentifierType.GetField("Inner")!)])
            .Visit(resultSelector.Body);
        return TranslateSelect(source, Expression.Lambda(body, parameter));
    }

    private Expression? TranslateExpression(Expression expression, bool preserveType = false)
    {
        var translation = _expressionTranslator.Translate(expression);
        if (translation is null && _expressionTranslator.TranslationErrorDetails is { } details)
        {
            AddTranslationErrorDetails(details);
        }

        if (translation is not null && preserveType && expression.Type != translation.Type)
        {
            translation = expression.Type == typeof(bool)
                ? Expression.Equal(translation, Expression.Constant(true, translation.Type))
                : Expression.Convert(translation, expression.Type);
        }

        return translation;
    }

    private LambdaExpression? TranslateLambdaExpression(ShapedQueryExpression source, LambdaExpression lambda, bool preserveType = false) =>
        TranslateExpression(RemapLambdaBody(source, lambda), preserveType) is { } body
            ? Expression.Lambda(body, Query(source).CurrentParameter)
            : null;

    private Expression RemapLambdaBody(ShapedQueryExpression source, LambdaExpression lambda)
    {
        var body = ReplacingExpressionVisitor.Replace(lambda.Parameters.Single(), source.ShaperExpression, lambda.Body);
        return _ownedExpander.Expand(Query(source), body);
    }

    /// <summary>Whether a SelectMany's collection selector ends in DefaultIfEmpty (an outer apply).</summary>
    private sealed class DefaultIfEmptyFinder : ExpressionVisitor
    {
        private bool _found;

        public static bool IsOptional(LambdaExpression lambda)
        {
            var finder = new DefaultIfEmptyFinder();
            finder.Visit(lambda.Body);
            return finder._found;
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.IsGenericMethod && node.Method.GetGenericMethodDefinition() == QueryableMethods.DefaultIfEmptyWithoutArgument)
            {
                _found = true;
            }

            return base.VisitMethodCall(node);
        }
    }
}

/// <summary>Creates the provider's queryable method translator for each query compilation.</summary>
internal sealed class LsmQueryableMethodTranslatingExpressionVisitorFactory(
    QueryableMethodTranslatingExpressionVisitorDependencies dependencies,
    IStructuralTypeMaterializerSource materializerSource)
    : IQueryableMethodTranslatingExpressionVisitorFactory
{
    public QueryableMethodTranslatingExpressionVisitor Create(QueryCompilationContext queryCompilationContext) =>
        new LsmQueryableMethodTranslatingExpressionVisitor(dependencies, queryCompilationContext)
        {
            MaterializerSource = (LsmStructuralTypeMaterializerSource)materializerSource,
        };
}
