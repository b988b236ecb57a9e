using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace EFCore.Lsm.Query.Internal;

internal sealed partial class LsmQueryExpression
{
    internal static readonly MethodInfo LeftJoinMethod = typeof(LsmQueryExpression).GetMethod(
        nameof(LeftJoin), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Distinct rows: the row is first reduced to the values the projection carries.</summary>
    public void ApplyDistinct()
    {
        var selectors = new List<Expression>();
        if (_clientProjections.Count == 0)
        {
            selectors.AddRange(_rowReads);
        }
        else
        {
            for (var i = 0; i < _clientProjections.Count; i++)
            {
                switch (_clientProjections[i])
                {
                    case LsmQueryExpression:
                        throw new InvalidOperationException(
                            "Distinct over a projection that contains a collection (a subquery) is not supported by EFCore.Lsm; "
                            + "apply Distinct to the values before projecting the collection, or run Distinct on the client "
                            + "after AsEnumerable().");
                    case LsmEntityProjectionExpression entity:
                        _clientProjections[i] = CopyEntityProjection(entity, selectors, [], makeNullable: false);
                        break;
                    case var value:
                        _clientProjections[i] = CopyValue(value, selectors, [], makeNullable: false);
                        break;
                }
            }
        }

        if (selectors.Count == 0)
        {
            selectors.Add(Constant(1));
        }

        var selector = Lambda(NewRow(selectors), CurrentParameter);
        ServerQueryExpression = Call(
            LsmEnumerable.Distinct.MakeGenericMethod(typeof(ValueBuffer)),
            Call(LsmEnumerable.Select.MakeGenericMethod(CurrentParameter.Type, typeof(ValueBuffer)), ServerQueryExpression, selector));
    }

    /// <summary>DefaultIfEmpty: an empty sequence becomes one row of nulls, and every value read from it becomes nullable.</summary>
    public void ApplyDefaultIfEmpty()
    {
        if (_clientProjections.Count != 0)
        {
            throw new InvalidOperationException(
                "DefaultIfEmpty after a client projection is not supported by EFCore.Lsm; apply DefaultIfEmpty before the Select.");
        }

        ServerQueryExpression = Call(
            LsmEnumerable.DefaultIfEmptyWithValue.MakeGenericMethod(typeof(ValueBuffer)),
            ServerQueryExpression,
            Constant(new ValueBuffer(new object?[Math.Max(1, _rowReads.Count)])));
        var nullable = new Dictionary<ProjectionMember, Expression>();
        foreach (var (member, expression) in _projectionMapping)
        {
            nullable[member] = expression is LsmEntityProjectionExpression entity
                ? entity.Remap((_, read) => LsmRowReads.MakeNullable(read))
                : expression.Type.IsNullableType()
                    ? expression
                    : Coalesce(LsmRowReads.MakeNullable(expression), Default(expression.Type));
        }

        ReplaceProjection(nullable);
    }

    /// <summary>
    /// Union/Concat/Intersect/Except of two queries: both are reduced to rows of the same layout (member by member), then
    /// combined by the Enumerable operator.
    /// </summary>
    public void ApplySetOperation(MethodInfo setOperation, LsmQueryExpression source2)
    {
        if (_clientProjections.Count > 0 || source2._clientProjections.Count > 0)
        {
            throw new InvalidOperationException(
                $"{setOperation.Name} after a projection evaluated on the client is not supported by EFCore.Lsm; apply the set "
                + "operation to entities or to values the provider can compute, then project.");
        }

        var mapping = new Dictionary<ProjectionMember, Expression>();
        var selectors1 = new List<Expression>();
        var selectors2 = new List<Expression>();
        _rowReads.Clear();
        foreach (var (member, value1) in _projectionMapping)
        {
            var value2 = source2._projectionMapping[member];
            if (value1 is LsmEntityProjectionExpression entity1 && value2 is LsmEntityProjectionExpression entity2)
            {
                // Both sides project one entity type (or types of one hierarchy): copy property by property.
                mapping[member] = entity1.Remap((property, read1) =>
                {
                    var read2 = entity2.TryBindProperty(property, out var r2) ? r2 : Default(read1.Type.MakeNullable());
                    var type = read1.Type.IsNullableType() || !read2.Type.IsNullableType() ? read1.Type : read2.Type;
                    selectors1.Add(read1);
                    selectors2.Add(read2);
                    var read = LsmRowReads.Read(_row, type, selectors1.Count - 1, property);
                    _rowReads.Add(read);
                    return read;
                });
            }
            else
            {
                var type = value1.Type.IsNullableType() || !value2.Type.IsNullableType() ? value1.Type : value2.Type;
                selectors1.Add(value1);
                selectors2.Add(value2);
                var read = LsmRowReads.Read(_row, type, selectors1.Count - 1, LsmRowReads.InferProperty(value1));
                _rowReads.Add(read);
                mapping[member] = read;
            }
        }

        _projectionMapping = mapping;
        ServerQueryExpression = Call(
            LsmEnumerable.Select.MakeGenericMethod(CurrentParameter.Type, typeof(ValueBuffer)),
            ServerQueryExpression,
            Lambda(NewRow(selectors1.Count == 0 ? [Constant(1)] : selectors1), CurrentParameter));
        source2.ServerQueryExpression = Call(
            LsmEnumerable.Select.MakeGenericMethod(source2.CurrentParameter.Type, typeof(ValueBuffer)),
            source2.ServerQueryExpression,
            Lambda(NewRow(selectors2.Count == 0 ? [Constant(1)] : selectors2), source2.CurrentParameter));
        _grouping = null;
        ServerQueryExpression = Call(
            setOperation.MakeGenericMethod(typeof(ValueBuffer)), ServerQueryExpression, source2.ServerQueryExpression);
    }

    /// <summary>
    /// GroupBy: rows are grouped by a key row (the values of <paramref name="groupingKey"/>, entity keys property by property)
    /// with element rows (the current projection, or the element selector's when <paramref name="defaultElementSelector"/> is
    /// false). From here the current element is an <c>IGrouping&lt;ValueBuffer, ValueBuffer&gt;</c>; the returned shaper
    /// gives the key's shaper and the group's elements as a query.
    /// </summary>
    public GroupByShaperExpression ApplyGrouping(Expression groupingKey, Expression shaper, bool defaultElementSelector)
    {
        var source = ServerQueryExpression;
        Expression elementSelector;
        if (defaultElementSelector)
        {
            elementSelector = Lambda(NewRow(_rowReads.Count == 0 ? [Constant(1)] : _rowReads), _row);
        }
        else
        {
            // The element selector was applied as a Select just before: group its input, by its selector.
            var select = (MethodCallExpression)ServerQueryExpression;
            source = select.Arguments[0];
            elementSelector = select.Arguments[1];
        }

        _grouping = Parameter(typeof(IGrouping<ValueBuffer, ValueBuffer>), "grouping");
        var keyAccess = Property(_grouping, nameof(IGrouping<int, int>.Key));
        var keyValues = new List<Expression>();
        var keyShaper = BindGroupingKey(groupingKey, keyValues, keyAccess);
        var keySelector = Lambda(NewRow(keyValues), _row);
        ServerQueryExpression = Call(
            LsmEnumerable.GroupByKeyElement.MakeGenericMethod(typeof(ValueBuffer), typeof(ValueBuffer), typeof(ValueBuffer)),
            source,
            keySelector,
            elementSelector);

        // The group's elements: a query over the grouping (an IEnumerable<ValueBuffer>) with this query's projection.
        var elements = Clone();
        elements.UpdateServerQueryExpression(_grouping);
        elements._grouping = null;
        return new GroupByShaperExpression(
            keyShaper,
            new ShapedQueryExpression(elements, new QueryExpressionReplacingExpressionVisitor(this, elements).Visit(shaper)));
    }

    private static Expression BindGroupingKey(Expression key, List<Expression> keyValues, Expression keyAccess)
    {
        switch (key)
        {
            case NewExpression newExpression:
                return newExpression.Update(newExpression.Arguments.Select(a => BindGroupingKey(a, keyValues, keyAccess)));
            case MemberInitExpression memberInit when memberInit.Bindings.All(b => b is MemberAssignment):
                return memberInit.Update(
                    (NewExpression)BindGroupingKey(memberInit.NewExpression, keyValues, keyAccess),
                    memberInit.Bindings.Cast<MemberAssignment>()
                        .Select(b => b.Update(BindGroupingKey(b.Expression, keyValues, keyAccess))));
            case StructuralTypeShaperExpression { ValueBufferExpression: ProjectionBindingExpression binding } shaper:
                var entity = (LsmEntityProjectionExpression)((LsmQueryExpression)binding.QueryExpression).GetProjection(binding);
                return shaper.Update(entity.Remap((_, read) => BindGroupingKey(read, keyValues, keyAccess)));
            default:
                keyValues.Add(key);
                return LsmRowReads.Read(keyAccess, key.Type, keyValues.Count - 1, LsmRowReads.InferProperty(key));
        }
    }

    public Expression AddInnerJoin(
        LsmQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        Expression outerShaper,
        Expression innerShaper) =>
        AddJoin(inner, outerKeySelector, innerKeySelector, outerShaper, innerShaper, innerNullable: false);

    public Expression AddLeftJoin(
        LsmQueryExpression inner,
        LambdaExpression outerKeySelector,
        LambdaExpression innerKeySelector,
        Expression outerShaper,
        Expression innerShaper) =>
        AddJoin(inner, outerKeySelector, innerKeySelector, outerShaper, innerShaper, innerNullable: true);

    public Expression AddSelectMany(LsmQueryExpression inner, Expression outerShaper, Expression innerShaper, bool innerNullable) =>
        AddJoin(inner, null, null, outerShaper, innerShaper, innerNullable);

    /// <summary>
    /// Joins <paramref name="inner"/> to this query: the new row carries the outer row's values, then the inner row's (nullable
    /// for an outer join), and the result shaper is a transparent identifier of the two shapers. With key selectors it is an
    /// (outer) equi-join; without, a SelectMany whose inner query may be correlated with the outer row.
    /// </summary>
    private Expression AddJoin(
        LsmQueryExpression inner,
        LambdaExpression? outerKeySelector,
        LambdaExpression? innerKeySelector,
        Expression outerShaper,
        Expression innerShaper,
        bool innerNullable)
    {
        if (_clientProjections.Count > 0 || inner._clientProjections.Count > 0)
        {
            throw new InvalidOperationException(
                "A join after a projection evaluated on the client (a subquery or a client method in the Select) is not "
                + "supported by EFCore.Lsm; join first, then project.");
        }

        var transparentIdentifierType = TransparentIdentifierFactory.Create(outerShaper.Type, innerShaper.Type);
        var outerMember = transparentIdentifierType.GetField("Outer")!;
        var innerMember = transparentIdentifierType.GetField("Inner")!;
        var outerParameter = Parameter(typeof(ValueBuffer), "outer");
        var innerParameter = Parameter(typeof(ValueBuffer), "inner");
        var replacer = new ReplacingExpressionVisitor([CurrentParameter, inner.CurrentParameter], [outerParameter, innerParameter]);

        var selectors = new List<Expression>();
        var mapping = new Dictionary<ProjectionMember, Expression>();
        var memberMap = new Dictionary<ProjectionMember, ProjectionMember>();
        _rowReads.Clear();
        foreach (var (member, expression) in _projectionMapping)
        {
            var newMember = member.Prepend(outerMember);
            memberMap[member] = newMember;
            mapping[newMember] = expression is LsmEntityProjectionExpression entity
                ? CopyEntityProjection(entity, selectors, _rowReads, makeNullable: false)
                : CopyValue(expression, selectors, _rowReads, makeNullable: false);
        }

        outerShaper = new ProjectionMemberRemappingExpressionVisitor(this, memberMap).Visit(outerShaper);
        var outerCount = selectors.Count;
        memberMap.Clear();
        foreach (var (member, expression) in inner._projectionMapping)
        {
            var newMember = member.Prepend(innerMember);
            memberMap[member] = newMember;
            mapping[newMember] = expression is LsmEntityProjectionExpression entity
                ? CopyEntityProjection(entity, selectors, _rowReads, innerNullable)
                : CopyValue(expression, selectors, _rowReads, innerNullable);
        }

        innerShaper = new ProjectionMemberRemappingExpressionVisitor(this, memberMap).Visit(innerShaper);
        _projectionMapping = mapping;

        var resultSelector = Lambda(NewRow(selectors.Select(s => replacer.Visit(s))), outerParameter, innerParameter);
        if (outerKeySelector is not null && innerKeySelector is not null)
        {
            var comparer = JoinKeyComparer(outerKeySelector);
            var keyType = outerKeySelector.ReturnType;
            if (innerNullable)
            {
                ServerQueryExpression = Call(
                    LeftJoinMethod.MakeGenericMethod(typeof(ValueBuffer), typeof(ValueBuffer), keyType, typeof(ValueBuffer)),
                    ServerQueryExpression,
                    inner.ServerQueryExpression,
                    outerKeySelector,
                    innerKeySelector,
                    resultSelector,
                    Constant(new ValueBuffer(new object?[Math.Max(1, selectors.Count - outerCount)])),
                    Constant(comparer, typeof(IEqualityComparer<>).MakeGenericType(keyType)));
            }
            else
            {
                ServerQueryExpression = comparer is null
                    ? Call(
                        LsmEnumerable.Join.MakeGenericMethod(typeof(ValueBuffer), typeof(ValueBuffer), keyType, typeof(ValueBuffer)),
                        ServerQueryExpression, inner.ServerQueryExpression, outerKeySelector, innerKeySelector, resultSelector)
                    : Call(
                        LsmEnumerable.JoinComparer.MakeGenericMethod(typeof(ValueBuffer), typeof(ValueBuffer), keyType, typeof(ValueBuffer)),
                        ServerQueryExpression, inner.ServerQueryExpression, outerKeySelector, innerKeySelector, resultSelector,
                        Constant(comparer, typeof(IEqualityComparer<>).MakeGenericType(keyType)));
            }
        }
        else
        {
            var innerSequence = innerNullable
                ? Call(
                    LsmEnumerable.DefaultIfEmptyWithValue.MakeGenericMethod(typeof(ValueBuffer)),
                    inner.ServerQueryExpression,
                    Constant(new ValueBuffer(new object?[Math.Max(1, selectors.Count - outerCount)])))
                : inner.ServerQueryExpression;

            // The inner query may read the outer row (a correlated SelectMany): it runs once per outer row, inside the lambda.
            ServerQueryExpression = Call(
                LsmEnumerable.SelectManyCollection.MakeGenericMethod(typeof(ValueBuffer), typeof(ValueBuffer), typeof(ValueBuffer)),
                ServerQueryExpression,
                Lambda(innerSequence, CurrentParameter),
                resultSelector);
        }

        _grouping = null;
        if (innerNullable)
        {
            innerShaper = new ShaperNullableMarkingExpressionVisitor().Visit(innerShaper);
        }

        return New(
            transparentIdentifierType.GetConstructors().Single(),
            [outerShaper, innerShaper],
            outerMember,
            innerMember);
    }

    /// <summary>The key comparer of a join on one property (byte arrays compare by value, converted keys by their comparer).</summary>
    private static object? JoinKeyComparer(LambdaExpression outerKeySelector)
    {
        var comparer = (LsmRowReads.InferProperty(outerKeySelector.Body) as IProperty)?.GetKeyValueComparer();
        return comparer is not null && comparer.Type == outerKeySelector.ReturnType ? comparer : null;
    }

    /// <summary>A left outer equi-join: every outer row, with each matching inner row or once with <paramref name="defaultInner"/>.</summary>
    private static IEnumerable<TResult> LeftJoin<TOuter, TInner, TKey, TResult>(
        IEnumerable<TOuter> outer,
        IEnumerable<TInner> inner,
        Func<TOuter, TKey> outerKeySelector,
        Func<TInner, TKey> innerKeySelector,
        Func<TOuter, TInner, TResult> resultSelector,
        TInner defaultInner,
        IEqualityComparer<TKey>? comparer)
    {
        var lookup = inner.ToLookup(innerKeySelector, comparer);
        foreach (var outerElement in outer)
        {
            var key = outerKeySelector(outerElement);
            var matched = false;
            if (key is not null)
            {
                foreach (var innerElement in lookup[key])
                {
                    matched = true;
                    yield return resultSelector(outerElement, innerElement);
                }
            }

            if (!matched)
            {
                yield return resultSelector(outerElement, defaultInner);
            }
        }
    }
}
