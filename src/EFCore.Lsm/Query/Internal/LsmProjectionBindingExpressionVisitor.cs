using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Turns a Select's selector into a projection of an <see cref="LsmQueryExpression"/> and a shaper reading it. First by
/// member (each member of the result a value the server computes, entities as entity projections), which later operators
/// can compose with; when that fails (a subquery, a client method, an Include), by index: every server-computable
/// subexpression becomes a client projection and the rest of the selector runs in the shaper.
/// </summary>
internal sealed class LsmProjectionBindingExpressionVisitor(
    LsmQueryableMethodTranslatingExpressionVisitor queryableMethodTranslator,
    LsmExpressionTranslatingExpressionVisitor expressionTranslator) : ExpressionVisitor
{
    private readonly Dictionary<ProjectionMember, Expression> _projectionMapping = [];
    private readonly Stack<ProjectionMember> _projectionMembers = new();
    private LsmQueryExpression _query = null!;
    private bool _indexBased;
    private List<Expression>? _clientProjections;
    private Dictionary<LsmEntityProjectionExpression, ProjectionBindingExpression>? _entityProjections;

    public Expression Translate(LsmQueryExpression query, Expression expression)
    {
        _query = query;
        _indexBased = false;
        _projectionMembers.Push(new ProjectionMember());
        var result = Visit(expression);
        if (result == QueryCompilationContext.NotTranslatedExpression)
        {
            _indexBased = true;
            _projectionMapping.Clear();
            _entityProjections = new(ReferenceEqualityComparer.Instance);
            _clientProjections = [];
            result = Visit(expression);
            _query.ReplaceProjection(_clientProjections);
            _clientProjections = null;
        }
        else
        {
            _query.ReplaceProjection(_projectionMapping);
            _projectionMapping.Clear();
        }

        _query = null!;
        _projectionMembers.Clear();
        return MatchTypes(result, expression.Type);
    }

    [return: NotNullIfNotNull(nameof(node))]
    public override Expression? Visit(Expression? node)
    {
        if (node is null)
        {
            return null;
        }

        if (node is NewExpression or MemberInitExpression or StructuralTypeShaperExpression or IncludeExpression)
        {
            return base.Visit(node);
        }

        // A complex value is materialized from its entity's values, as the entity would be, but not tracked (it has no identity).
        if (expressionTranslator.TranslateComplexValue(node) is { } complexValue)
        {
            return MatchTypes(Visit(complexValue), node.Type);
        }

        if (!_indexBased)
        {
            var translation = expressionTranslator.Translate(node);
            if (translation is null)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            _projectionMapping[_projectionMembers.Peek()] = translation;
            return new ProjectionBindingExpression(_query, _projectionMembers.Peek(), node.Type.MakeNullable());
        }

        switch (node)
        {
            case ConstantExpression:
                return node;

            case ProjectionBindingExpression binding:
                var mapped = _query.GetProjection(binding);
                return mapped switch
                {
                    LsmEntityProjectionExpression entity => AddClientProjection(entity, typeof(ValueBuffer)),
                    LsmQueryExpression => throw new InvalidOperationException(CoreStrings.TranslationFailed(binding.Print())),
                    _ => AddClientProjection(mapped, node.Type.MakeNullable()),
                };

            case MaterializeCollectionNavigationExpression collectionNavigation:
            {
                var subquery = queryableMethodTranslator.TranslateSubquery(collectionNavigation.Subquery)!;
                _clientProjections!.Add(subquery.QueryExpression);
                return new LsmCollectionResultShaperExpression(
                    new ProjectionBindingExpression(_query, _clientProjections.Count - 1, typeof(IEnumerable<ValueBuffer>)),
                    subquery.ShaperExpression,
                    collectionNavigation.Navigation,
                    collectionNavigation.Navigation.ClrType.GetSequenceType());
            }

            case MethodCallExpression call:
                if (call.Method.IsGenericMethod && call.Method.DeclaringType == typeof(Enumerable)
                    && call.Method.Name == nameof(Enumerable.ToList) && call.Arguments.Count == 1
                    && IsQueryable(call.Arguments[0].Type))
                {
                    if (queryableMethodTranslator.TranslateSubquery(call.Arguments[0]) is { } listSubquery)
                    {
                        _clientProjections!.Add(listSubquery.QueryExpression);
                        return new LsmCollectionResultShaperExpression(
                            new ProjectionBindingExpression(_query, _clientProjections.Count - 1, typeof(IEnumerable<ValueBuffer>)),
                            listSubquery.ShaperExpression,
                            navigation: null,
                            call.Method.GetGenericArguments()[0]);
                    }
                }
                else if (queryableMethodTranslator.TranslateSubquery(call) is { } subquery)
                {
                    // A subquery whose one value the server can compute is just a value; otherwise its rows are projected
                    // and shaped on the client (a collection, or a single entity).
                    if (expressionTranslator.Translate(subquery) is { } scalar)
                    {
                        return AddClientProjection(scalar, node.Type.MakeNullable());
                    }

                    _clientProjections!.Add(subquery.QueryExpression);
                    if (subquery.ResultCardinality == ResultCardinality.Enumerable)
                    {
                        return new LsmCollectionResultShaperExpression(
                            new ProjectionBindingExpression(_query, _clientProjections.Count - 1, typeof(IEnumerable<ValueBuffer>)),
                            subquery.ShaperExpression,
                            navigation: null,
                            subquery.ShaperExpression.Type);
                    }

                    return new LsmSingleResultShaperExpression(
                        new ProjectionBindingExpression(_query, _clientProjections.Count - 1, typeof(ValueBuffer)),
                        subquery.ShaperExpression);
                }

                break;
        }

        var value = expressionTranslator.Translate(node);
        return value is not null ? AddClientProjection(value, node.Type.MakeNullable()) : base.Visit(node);
    }

    protected override Expression VisitBinary(BinaryExpression node)
    {
        var left = MatchTypes(Visit(node.Left), node.Left.Type);
        var right = MatchTypes(Visit(node.Right), node.Right.Type);
        return node.Update(left, VisitAndConvert(node.Conversion, nameof(VisitBinary)), right);
    }

    protected override Expression VisitConditional(ConditionalExpression node)
    {
        var test = Visit(node.Test);
        var ifTrue = Visit(node.IfTrue);
        var ifFalse = Visit(node.IfFalse);
        if (test.Type == typeof(bool?))
        {
            test = Expression.Equal(test, Expression.Constant(true, typeof(bool?)));
        }

        return node.Update(test, MatchTypes(ifTrue, node.IfTrue.Type), MatchTypes(ifFalse, node.IfFalse.Type));
    }

    protected override Expression VisitExtension(Expression node)
    {
        if (node is StructuralTypeShaperExpression shaper)
        {
            var entity = shaper.ValueBufferExpression is ProjectionBindingExpression binding
                ? (LsmEntityProjectionExpression)((LsmQueryExpression)binding.QueryExpression).GetProjection(binding)
                : (LsmEntityProjectionExpression)shaper.ValueBufferExpression;
            if (_indexBased)
            {
                if (!_entityProjections!.TryGetValue(entity, out var entityBinding))
                {
                    entityBinding = AddClientProjection(entity, typeof(ValueBuffer));
                    _entityProjections[entity] = entityBinding;
                }

                return shaper.Update(entityBinding);
            }

            _projectionMapping[_projectionMembers.Peek()] = entity;
            return shaper.Update(new ProjectionBindingExpression(_query, _projectionMembers.Peek(), typeof(ValueBuffer)));
        }

        if (node is IncludeExpression include)
        {
            return _indexBased ? base.VisitExtension(include) : QueryCompilationContext.NotTranslatedExpression;
        }

        throw new InvalidOperationException(CoreStrings.TranslationFailed(node.Print()));
    }

    protected override ElementInit VisitElementInit(ElementInit node) =>
        node.Update(node.Arguments.Select(a => MatchTypes(Visit(a), a.Type)));

    protected override Expression VisitMember(MemberExpression node)
    {
        var expression = Visit(node.Expression);
        Expression updated = node.Update(expression is not null ? MatchTypes(expression, node.Expression!.Type) : null);
        if (expression?.Type.IsNullableValueType() == true)
        {
            var nullableType = node.Type.MakeNullable();
            if (!node.Type.IsNullableType())
            {
                updated = Expression.Convert(updated, nullableType);
            }

            updated = Expression.Condition(
                Expression.Equal(expression, Expression.Default(expression.Type)), Expression.Constant(null, nullableType), updated);
        }

        return updated;
    }

    protected override MemberAssignment VisitMemberAssignment(MemberAssignment node)
    {
        Expression visited;
        if (_indexBased)
        {
            visited = Visit(node.Expression);
        }
        else
        {
            _projectionMembers.Push(_projectionMembers.Peek().Append(node.Member));
            visited = Visit(node.Expression);
            if (visited == QueryCompilationContext.NotTranslatedExpression)
            {
                return node.Update(Expression.Convert(visited, node.Expression.Type));
            }

            _projectionMembers.Pop();
        }

        return node.Update(MatchTypes(visited, node.Expression.Type));
    }

    protected override Expression VisitMemberInit(MemberInitExpression node)
    {
        var newExpression = Visit(node.NewExpression);
        if (newExpression == QueryCompilationContext.NotTranslatedExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        var bindings = new MemberBinding[node.Bindings.Count];
        for (var i = 0; i < bindings.Length; i++)
        {
            if (node.Bindings[i].BindingType != MemberBindingType.Assignment)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            bindings[i] = VisitMemberBinding(node.Bindings[i]);
            if (((MemberAssignment)bindings[i]).Expression is UnaryExpression { NodeType: ExpressionType.Convert, Operand: var operand }
                && operand == QueryCompilationContext.NotTranslatedExpression)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }
        }

        return node.Update((NewExpression)newExpression, bindings);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        var @object = Visit(node.Object);
        var arguments = new Expression[node.Arguments.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = MatchTypes(Visit(node.Arguments[i]), node.Arguments[i].Type);
        }

        Expression updated = node.Update(@object is not null ? MatchTypes(@object, node.Object!.Type) : null, arguments);
        if (@object?.Type.IsNullableType() == true && !node.Object!.Type.IsNullableType())
        {
            var nullableType = node.Type.MakeNullable();
            if (!node.Type.IsNullableType())
            {
                updated = Expression.Convert(updated, nullableType);
            }

            return Expression.Condition(
                Expression.Equal(@object, Expression.Default(@object.Type)), Expression.Constant(null, nullableType), updated);
        }

        return updated;
    }

    protected override Expression VisitNew(NewExpression node)
    {
        if (node.Arguments.Count == 0)
        {
            return node;
        }

        if (!_indexBased && node.Members is null)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        var arguments = new Expression[node.Arguments.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            var argument = node.Arguments[i];
            Expression visited;
            if (_indexBased)
            {
                visited = Visit(argument);
            }
            else
            {
                _projectionMembers.Push(_projectionMembers.Peek().Append(node.Members![i]));
                visited = Visit(argument);
                if (visited == QueryCompilationContext.NotTranslatedExpression)
                {
                    return QueryCompilationContext.NotTranslatedExpression;
                }

                _projectionMembers.Pop();
            }

            arguments[i] = MatchTypes(visited, argument.Type);
        }

        return node.Update(arguments);
    }

    protected override Expression VisitNewArray(NewArrayExpression node) =>
        node.Update(node.Expressions.Select(e => MatchTypes(Visit(e), e.Type)));

    protected override Expression VisitUnary(UnaryExpression node)
    {
        var operand = Visit(node.Operand);
        return node.NodeType is ExpressionType.Convert or ExpressionType.ConvertChecked && node.Type == operand.Type
            ? operand
            : node.Update(MatchTypes(operand, node.Operand.Type));
    }

    private static bool IsQueryable(Type type) =>
        type.IsGenericType && type.GetInterfaces().Append(type).Any(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IQueryable<>));

    /// <summary>A nullable projection read back as the original (non-nullable) type the selector expects.</summary>
    private static Expression MatchTypes(Expression expression, Type targetType) =>
        targetType != expression.Type && !IsQueryable(targetType) ? Expression.Convert(expression, targetType) : expression;

    private ProjectionBindingExpression AddClientProjection(Expression expression, Type type)
    {
        var index = _clientProjections!.FindIndex(e => e.Equals(expression));
        if (index < 0)
        {
            _clientProjections.Add(expression);
            index = _clientProjections.Count - 1;
        }

        return new ProjectionBindingExpression(_query, index, type);
    }
}
