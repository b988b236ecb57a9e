using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using EFExpressionExtensions = Microsoft.EntityFrameworkCore.Infrastructure.ExpressionExtensions;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Translates the body of a LINQ lambda (written against shapers: entities, projections, groups) into LINQ-to-objects code
/// over the current row of an <see cref="LsmQueryExpression"/>: an entity's property becomes a read of its slot, a query
/// parameter a read of <see cref="QueryContext.Parameters"/>, a subquery returning one value its (correlated) server query,
/// entity equality a comparison of keys. Database semantics where .NET's differ: nulls propagate through member access
/// and method calls instead of throwing, values compare with their EF value comparers (byte arrays by content), strings
/// compare and order by code point (<see cref="LsmStringComparer"/>) and case-insensitively only ordinal, never by culture.
/// Returns null (with <see cref="TranslationErrorDetails"/>) for what cannot run over rows.
/// </summary>
internal sealed class LsmExpressionTranslatingExpressionVisitor(
    QueryCompilationContext queryCompilationContext,
    QueryableMethodTranslatingExpressionVisitor queryableMethodTranslator) : ExpressionVisitor
{
    private const string RuntimeParameterPrefix = "entity_equality_";

    internal static readonly MethodInfo GetParameterValueMethod =
        typeof(LsmExpressionTranslatingExpressionVisitor).GetMethod(nameof(GetParameterValue), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo ParameterValueExtractorMethod =
        typeof(LsmExpressionTranslatingExpressionVisitor).GetMethod(nameof(ParameterValueExtractor), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo ParameterListValueExtractorMethod =
        typeof(LsmExpressionTranslatingExpressionVisitor).GetMethod(
            nameof(ParameterListValueExtractor), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo LikeMethod = typeof(DbFunctionsExtensions).GetMethod(
        nameof(DbFunctionsExtensions.Like), [typeof(DbFunctions), typeof(string), typeof(string)])!;

    private static readonly MethodInfo LikeWithEscapeMethod = typeof(DbFunctionsExtensions).GetMethod(
        nameof(DbFunctionsExtensions.Like), [typeof(DbFunctions), typeof(string), typeof(string), typeof(string)])!;

    private static readonly MethodInfo RandomMethod = typeof(DbFunctionsExtensions).GetMethod(
        nameof(DbFunctionsExtensions.Random), [typeof(DbFunctions)])!;

    private static readonly MethodInfo GetTypeMethod = typeof(object).GetMethod(nameof(GetType))!;

    private static readonly MethodInfo StringCompareMethod = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

    private static readonly MethodInfo StringCompareToMethod = typeof(string).GetMethod(nameof(string.CompareTo), [typeof(string)])!;

    private static readonly MemberInfo ValueBufferIsEmpty = typeof(Microsoft.EntityFrameworkCore.Storage.ValueBuffer)
        .GetProperty(nameof(Microsoft.EntityFrameworkCore.Storage.ValueBuffer.IsEmpty))!;

    private static readonly HashSet<MethodInfo> SingleResultMethods =
    [
        QueryableMethods.FirstWithPredicate, QueryableMethods.FirstWithoutPredicate,
        QueryableMethods.FirstOrDefaultWithPredicate, QueryableMethods.FirstOrDefaultWithoutPredicate,
        QueryableMethods.SingleWithPredicate, QueryableMethods.SingleWithoutPredicate,
        QueryableMethods.SingleOrDefaultWithPredicate, QueryableMethods.SingleOrDefaultWithoutPredicate,
        QueryableMethods.LastWithPredicate, QueryableMethods.LastWithoutPredicate,
        QueryableMethods.LastOrDefaultWithPredicate, QueryableMethods.LastOrDefaultWithoutPredicate,
    ];

    public string? TranslationErrorDetails { get; private set; }

    /// <summary>The translation of <paramref name="expression"/>, or null when it cannot run over rows.</summary>
    public Expression? Translate(Expression expression)
    {
        TranslationErrorDetails = null;
        var result = Visit(expression);
        return result == QueryCompilationContext.NotTranslatedExpression || StructuralTypeReferenceFinder.Contains(result)
            ? null
            : result;
    }

    /// <summary>
    /// The shaper of the complex value <paramref name="expression"/> stands for (<c>o.Address</c>, <c>o.Address.Geo</c>) when it
    /// is a complex property of an entity of the query: a shaper over the entity's projection, whose reads hold the complex
    /// members (docs/row_encoding.md, "Complex values"); null otherwise.
    /// </summary>
    public StructuralTypeShaperExpression? TranslateComplexValue(Expression expression)
    {
        // Only a chain of member accesses from an entity can be one (and only such a chain is cheap to visit twice).
        var root = expression;
        while (root is MemberExpression { Expression: { } inner })
        {
            root = inner;
        }

        if (root == expression || root is not StructuralTypeShaperExpression { StructuralType: IEntityType })
        {
            return null;
        }

        TranslationErrorDetails = null;
        if (Visit(expression) is not StructuralTypeReferenceExpression { ComplexProperty: { } complex, Parameter: { } owner } reference)
        {
            return null;
        }

        // A nullable struct is shaped as Nullable<T>, which makes EF's materializer test the value for null.
        var shaper = new StructuralTypeShaperExpression(
            reference.StructuralType, owner.ValueBufferExpression, Metadata.Internal.LsmRowLayout.IsOptional(complex.ComplexType));
#pragma warning disable EF1001 // MakeClrTypeNullable is how EF's own providers shape an optional struct complex value.
        return complex.ClrType.IsNullableValueType() ? shaper.MakeClrTypeNullable() : shaper;
#pragma warning restore EF1001
    }

    private void AddTranslationErrorDetails(string details) =>
        TranslationErrorDetails = TranslationErrorDetails is null ? details : TranslationErrorDetails + Environment.NewLine + details;

    protected override Expression VisitBinary(BinaryExpression node)
    {
        // A complex collection equals only null by reference; EF compares collections of values by value, so refuse the rest.
        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
            && !IsNullConstant(node.Left) && !IsNullConstant(node.Right)
            && (IsComplexCollectionValue(node.Left) || IsComplexCollectionValue(node.Right)))
        {
            return RefuseElementComparison(node, "an equality of a complex collection with a value other than null");
        }

        // object[] equality: EF's form for comparing composite keys.
        if (node is { NodeType: ExpressionType.Equal, Left: NewArrayExpression } && node.Left.Type == typeof(object[]))
        {
            return Visit(ObjectArrayEquality(node.Left, node.Right));
        }

        // x.Subquery.FirstOrDefault() == null → !x.Subquery.Any() (when the projection cannot itself be null).
        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
            && (IsNullConstant(node.Left) || IsNullConstant(node.Right)))
        {
            var nonNull = IsNullConstant(node.Left) ? node.Right : node.Left;
            if (TryTranslateSingleResultNullCheck(nonNull, node.NodeType == ExpressionType.Equal) is { } any)
            {
                return any;
            }
        }

        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual)
        {
            if (TryTranslateGetTypeComparison(node) is { } typeComparison)
            {
                return typeComparison;
            }

            // new { a.X, a.Y } == new { b.X, b.Y }: member by member (the operator would compare references).
            // One side constructed, the other a value of the same type (a parameter: EF evaluates new { ... } of constants):
            // compare with that value's members.
            if (node.Left.Type == node.Right.Type && (ConstructedValues(node.Left) is not null ^ ConstructedValues(node.Right) is not null))
            {
                var constructed = ConstructedValues(node.Left) is not null ? node.Left : node.Right;
                var other = constructed == node.Left ? node.Right : node.Left;
                var members = ConstructedMembers(StripConvert(constructed));
                if (members is not null)
                {
                    var values = ConstructedValues(constructed)!;
                    var otherValues = members.Select(m => (Expression)Expression.MakeMemberAccess(other, m)).ToList();
                    var memberwise = values.Zip(otherValues, (a, b) => EFExpressionExtensions.CreateEqualsExpression(a, b))
                        .Aggregate((Expression)Expression.Constant(true), (a, b) => Expression.AndAlso(a, b));
                    return Visit(node.NodeType == ExpressionType.Equal ? memberwise : Expression.Not(memberwise));
                }
            }

            if (ConstructedValues(node.Left) is { } leftValues && ConstructedValues(node.Right) is { } rightValues
                && leftValues.Count == rightValues.Count && node.Left.Type == node.Right.Type)
            {
                var memberwise = leftValues.Zip(rightValues, (a, b) => EFExpressionExtensions.CreateEqualsExpression(a, b))
                    .Aggregate((Expression)Expression.Constant(true), (a, b) => Expression.AndAlso(a, b));
                return Visit(node.NodeType == ExpressionType.Equal ? memberwise : Expression.Not(memberwise));
            }
        }

        var left = Visit(node.Left);
        var right = Visit(node.Right);
        if (left == QueryCompilationContext.NotTranslatedExpression || right == QueryCompilationContext.NotTranslatedExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
            && TryRewriteEntityEquality(node.NodeType, left, right, equalsMethod: false, out var entityEquality))
        {
            return entityEquality;
        }

        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
            && TryRewriteComplexEquality(node, left, right, out var complexEquality))
        {
            return complexEquality;
        }

        if (LsmTypes.IsConvertedToNullable(left, node.Left) || LsmTypes.IsConvertedToNullable(right, node.Right))
        {
            left = LsmTypes.ConvertToNullable(left);
            right = LsmTypes.ConvertToNullable(right);
        }

        if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual && TryUseComparer(left, right, out var comparison))
        {
            return node.NodeType == ExpressionType.Equal ? comparison : Expression.Not(comparison);
        }

        // String comparison operators (string.Compare(a, b) > 0 is rewritten by EF's preprocessing into a > b on strings).
        if (node.NodeType is ExpressionType.LessThan or ExpressionType.LessThanOrEqual or ExpressionType.GreaterThan
                or ExpressionType.GreaterThanOrEqual
            && left.Type == typeof(string) && right.Type == typeof(string))
        {
            return Expression.MakeBinary(
                node.NodeType, Expression.Call(LsmStringComparer.CompareMethod, left, right), Expression.Constant(0));
        }

        if (node.NodeType == ExpressionType.ArrayIndex && left.Type.IsArray && right.Type == typeof(int))
        {
            return Expression.Condition(
                Expression.Equal(left, Expression.Constant(null, left.Type)),
                Expression.Default(node.Type.MakeNullable()),
                LsmTypes.ConvertToNullable(Expression.ArrayIndex(left, right)));
        }

        return Expression.MakeBinary(node.NodeType, left, right, node.IsLiftedToNull, node.Method, node.Conversion);
    }

    protected override Expression VisitConditional(ConditionalExpression node)
    {
        var test = Visit(node.Test);
        var ifTrue = Visit(node.IfTrue);
        var ifFalse = Visit(node.IfFalse);
        if (test == QueryCompilationContext.NotTranslatedExpression
            || ifTrue == QueryCompilationContext.NotTranslatedExpression
            || ifFalse == QueryCompilationContext.NotTranslatedExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        if (test.Type == typeof(bool?))
        {
            test = Expression.Equal(test, Expression.Constant(true, typeof(bool?)));
        }

        if (LsmTypes.IsConvertedToNullable(ifTrue, node.IfTrue) || LsmTypes.IsConvertedToNullable(ifFalse, node.IfFalse))
        {
            ifTrue = LsmTypes.ConvertToNullable(ifTrue);
            ifFalse = LsmTypes.ConvertToNullable(ifFalse);
        }

        if (ifTrue.Type != ifFalse.Type)
        {
            // One side became a derived or nullable type: meet at the original type.
            ifTrue = ifTrue.Type == node.Type || !node.Type.IsAssignableFrom(ifTrue.Type) ? ifTrue : Expression.Convert(ifTrue, node.Type);
            ifFalse = ifFalse.Type == node.Type || !node.Type.IsAssignableFrom(ifFalse.Type) ? ifFalse : Expression.Convert(ifFalse, node.Type);
        }

        return Expression.Condition(test, ifTrue, ifFalse);
    }

    protected override Expression VisitExtension(Expression node) =>
        node switch
        {
            LsmEntityProjectionExpression or StructuralTypeReferenceExpression => node,
            QueryParameterExpression parameter => Expression.Call(
                GetParameterValueMethod.MakeGenericMethod(parameter.Type),
                QueryCompilationContext.QueryContextParameter,
                Expression.Constant(parameter.Name)),
            StructuralTypeShaperExpression shaper => new StructuralTypeReferenceExpression(shaper),
            ProjectionBindingExpression binding => ((LsmQueryExpression)binding.QueryExpression).GetProjection(binding),
            _ => QueryCompilationContext.NotTranslatedExpression,
        };

    protected override Expression VisitInvocation(InvocationExpression node) => QueryCompilationContext.NotTranslatedExpression;

    protected override Expression VisitLambda<T>(Expression<T> node) =>
        throw new InvalidOperationException(CoreStrings.TranslationFailed(node.Print()));

    protected override Expression VisitListInit(ListInitExpression node) => QueryCompilationContext.NotTranslatedExpression;

    protected override Expression VisitParameter(ParameterExpression node) =>
        _clientParameters.Contains(node) ? node : throw new InvalidOperationException(CoreStrings.TranslationFailed(node.Print()));

    // The parameters of the lambdas of LINQ-to-objects operators over a complex collection (the element), which their bodies
    // read as the objects they are.
    private readonly HashSet<ParameterExpression> _clientParameters = [];

    protected override Expression VisitMember(MemberExpression node)
    {
        var inner = Visit(node.Expression);
        if (inner is not null && node.Expression is not null && inner.Type != node.Expression.Type
            && inner.Type.IsNullableValueType() && inner.Type.UnwrapNullableType() == node.Expression.Type)
        {
            // A nullable read of a value-type target: bind the member on the value.
            inner = Expression.Convert(inner, node.Expression.Type);
        }

        if (node.Expression is not null && inner == QueryCompilationContext.NotTranslatedExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        if (TryBindMember(inner, node.Member, node.Type) is { } bound)
        {
            return bound;
        }

        if (inner is StructuralTypeReferenceExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        var updated = (Expression)node.Update(inner);
        if (inner is not null && inner.Type.IsNullableType()
            && !(inner.Type.IsNullableValueType() && node.Member.Name is nameof(Nullable<int>.Value) or nameof(Nullable<int>.HasValue)))
        {
            // A member of a null target is null, as in a database, not a NullReferenceException.
            updated = LsmTypes.ConvertToNullable(updated);
            return Expression.Condition(
                Expression.Equal(inner, Expression.Default(inner.Type)),
                Expression.Default(updated.Type),
                updated);
        }

        return updated;
    }

    protected override MemberAssignment VisitMemberAssignment(MemberAssignment node)
    {
        var expression = Visit(node.Expression);
        if (expression == QueryCompilationContext.NotTranslatedExpression)
        {
            return node.Update(Expression.Convert(expression, node.Expression.Type));
        }

        if (LsmTypes.IsConvertedToNullable(expression, node.Expression))
        {
            expression = LsmTypes.ConvertToNonNullable(expression);
        }

        return node.Update(expression);
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
            if (node.Bindings[i] is not MemberAssignment)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            bindings[i] = VisitMemberBinding(node.Bindings[i]);
            if (((MemberAssignment)bindings[i]).Expression is UnaryExpression { Operand: var operand }
                && operand == QueryCompilationContext.NotTranslatedExpression)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }
        }

        return node.Update((NewExpression)newExpression, bindings);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (LsmRowReads.IsRead(node, out _))
        {
            return node;
        }

        if (node.TryGetEFPropertyArguments(out var source, out var propertyName))
        {
            var target = Visit(source);
            return TryBindMember(target, propertyName, node.Type) is { } bound
                ? bound
                : target is StructuralTypeReferenceExpression
                    ? QueryCompilationContext.NotTranslatedExpression
                    : throw new InvalidOperationException(CoreStrings.QueryUnableToTranslateEFProperty(node.Print()));
        }

        if (node.TryGetIndexerArguments(queryCompilationContext.Model, out source, out propertyName))
        {
            return TryBindMember(Visit(source), propertyName, node.Type) ?? QueryCompilationContext.NotTranslatedExpression;
        }

        // An operator over a complex collection runs as LINQ-to-objects over its elements in this row's lambda.
        if (TryTranslateComplexCollectionOperator(node) is { } overElements)
        {
            return overElements;
        }

        // A subquery: one value (an aggregate, First...) runs as its server query inside this row's lambda.
        if (queryableMethodTranslator.TranslateSubquery(node) is { } subquery)
        {
            return TranslateSubqueryResult(subquery, node.Type);
        }

        if (node.Method == LikeMethod || node.Method == LikeWithEscapeMethod)
        {
            var arguments = new Expression[3];
            arguments[2] = Expression.Constant(null, typeof(string));
            for (var i = 1; i < node.Arguments.Count; i++)
            {
                var argument = Visit(node.Arguments[i]);
                if (TranslationFailed(node.Arguments[i], argument))
                {
                    return QueryCompilationContext.NotTranslatedExpression;
                }

                arguments[i - 1] = argument;
            }

            return Expression.Call(LsmLike.LikeMethod, arguments);
        }

        if (node.Method == RandomMethod)
        {
            return Expression.Call(Expression.Property(null, typeof(Random), nameof(Random.Shared)), nameof(Random.NextDouble), null);
        }

        if (TryTranslateStringMethod(node, out var stringTranslation))
        {
            return stringTranslation;
        }

        Expression? @object = null;
        Expression[] arguments2;
        var method = node.Method;
        if (method.Name == nameof(object.Equals) && node is { Object: not null, Arguments.Count: 1 })
        {
            var left = Visit(node.Object);
            var right = Visit(node.Arguments[0]);
            if (TryRewriteEntityEquality(
                    ExpressionType.Equal,
                    left == QueryCompilationContext.NotTranslatedExpression ? node.Object : left,
                    right == QueryCompilationContext.NotTranslatedExpression ? node.Arguments[0] : right,
                    equalsMethod: true,
                    out var entityEquality))
            {
                return entityEquality;
            }

            if (TranslationFailed(node.Object, left) || TranslationFailed(node.Arguments[0], right))
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            if (TryUseComparer(left, right, out var comparerEquality))
            {
                return comparerEquality;
            }

            @object = left;
            arguments2 = [right];
        }
        else if (method.Name == nameof(object.Equals) && node is { Object: null, Arguments.Count: 2 })
        {
            if (node.Arguments[0] is NewArrayExpression && node.Arguments[0].Type == typeof(object[]))
            {
                return Visit(ObjectArrayEquality(node.Arguments[0], node.Arguments[1]));
            }

            var left = Visit(node.Arguments[0]);
            var right = Visit(node.Arguments[1]);
            if (TryUseComparer(left, right, out var comparerEquality))
            {
                return comparerEquality;
            }

            if (TryRewriteEntityEquality(
                    ExpressionType.Equal,
                    left == QueryCompilationContext.NotTranslatedExpression ? node.Arguments[0] : left,
                    right == QueryCompilationContext.NotTranslatedExpression ? node.Arguments[1] : right,
                    equalsMethod: true,
                    out var entityEquality))
            {
                return entityEquality;
            }

            if (TranslationFailed(node.Arguments[0], left) || TranslationFailed(node.Arguments[1], right))
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            arguments2 = [left, right];
        }
        else if (method.IsGenericMethod && method.GetGenericMethodDefinition() == LsmEnumerable.Contains)
        {
            var enumerable = Visit(node.Arguments[0]);
            var item = Visit(node.Arguments[1]);
            if (TryRewriteContainsEntity(
                    enumerable, item == QueryCompilationContext.NotTranslatedExpression ? node.Arguments[1] : item, out var contains))
            {
                return contains;
            }

            if (TranslationFailed(node.Arguments[0], enumerable) || TranslationFailed(node.Arguments[1], item))
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            arguments2 = [enumerable, item];
        }
        else if (node.Arguments.Count == 1 && node.Object is not null && IsContainsMethod(method))
        {
            var enumerable = Visit(node.Object);
            var item = Visit(node.Arguments[0]);
            if (TryRewriteContainsEntity(
                    enumerable, item == QueryCompilationContext.NotTranslatedExpression ? node.Arguments[0] : item, out var contains))
            {
                return contains;
            }

            if (TranslationFailed(node.Object, enumerable) || TranslationFailed(node.Arguments[0], item))
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            @object = enumerable;
            arguments2 = [item];
        }
        else
        {
            @object = Visit(node.Object);
            if (TranslationFailed(node.Object, @object))
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            arguments2 = new Expression[node.Arguments.Count];
            for (var i = 0; i < arguments2.Length; i++)
            {
                var argument = Visit(node.Arguments[i]);
                if (TranslationFailed(node.Arguments[i], argument))
                {
                    return QueryCompilationContext.NotTranslatedExpression;
                }

                arguments2[i] = argument;
            }
        }

        // Arguments that became nullable go back to the parameter's type (the method cannot change).
        var parameters = method.GetParameters();
        for (var i = 0; i < arguments2.Length; i++)
        {
            if (LsmTypes.IsConvertedToNullable(arguments2[i], node.Arguments[i])
                && !parameters[i].ParameterType.IsAssignableFrom(arguments2[i].Type))
            {
                arguments2[i] = LsmTypes.ConvertToNonNullable(arguments2[i]);
            }
            else if (arguments2[i].Type != parameters[i].ParameterType && !parameters[i].ParameterType.IsAssignableFrom(arguments2[i].Type))
            {
                arguments2[i] = Expression.Convert(arguments2[i], parameters[i].ParameterType);
            }
        }

        // A method of a null target returns null (database semantics), except those defined on null (GetValueOrDefault...).
        if (node.Object is not null && @object!.Type.IsNullableType()
            && method.Name != nameof(Nullable<int>.GetValueOrDefault)
            && !(@object.Type.IsNullableValueType() && method.Name == nameof(ToString) && method.DeclaringType!.IsNullableType()))
        {
            var call = (Expression)node.Update(Expression.Convert(@object, node.Object.Type), arguments2);
            call = LsmTypes.ConvertToNullable(call);
            var objectIsNull = Expression.Equal(@object, Expression.Constant(null, @object.Type));
            if (method.Name == nameof(object.Equals))
            {
                // null.Equals(x) is x == null.
                var argument = arguments2[0] is UnaryExpression { NodeType: ExpressionType.Convert } convert
                    && convert.Type == convert.Operand.Type.UnwrapNullableType()
                        ? convert.Operand
                        : arguments2[0];
                if (!argument.Type.IsNullableType())
                {
                    argument = Expression.Convert(argument, argument.Type.MakeNullable());
                }

                return Expression.Condition(
                    objectIsNull,
                    LsmTypes.ConvertToNullable(Expression.Equal(argument, Expression.Constant(null, argument.Type))),
                    call);
            }

            return Expression.Condition(objectIsNull, Expression.Constant(null, call.Type), call);
        }

        // An extension method on a null reference returns null too.
        if (node is { Object: null, Method.IsStatic: true } && method.IsDefined(typeof(ExtensionAttribute), inherit: false)
            && arguments2 is [{ Type.IsValueType: false } instance, ..]
            && !(method.DeclaringType == typeof(Enumerable) || method.DeclaringType == typeof(Queryable)))
        {
            return Expression.Condition(
                Expression.Equal(instance, Expression.Constant(null, instance.Type)),
                Expression.Default(node.Type),
                Expression.Call(method, arguments2));
        }

        return node.Update(@object, arguments2);
    }

    protected override Expression VisitNew(NewExpression node)
    {
        var arguments = new List<Expression>();
        foreach (var argument in node.Arguments)
        {
            var translated = Visit(argument);
            if (translated == QueryCompilationContext.NotTranslatedExpression)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            arguments.Add(LsmTypes.IsConvertedToNullable(translated, argument) ? LsmTypes.ConvertToNonNullable(translated) : translated);
        }

        return node.Update(arguments);
    }

    protected override Expression VisitNewArray(NewArrayExpression node)
    {
        var expressions = new List<Expression>();
        foreach (var expression in node.Expressions)
        {
            var translated = Visit(expression);
            if (translated == QueryCompilationContext.NotTranslatedExpression)
            {
                return QueryCompilationContext.NotTranslatedExpression;
            }

            expressions.Add(LsmTypes.IsConvertedToNullable(translated, expression) ? LsmTypes.ConvertToNonNullable(translated) : translated);
        }

        return node.Update(expressions);
    }

    protected override Expression VisitTypeBinary(TypeBinaryExpression node)
    {
        if (node.NodeType == ExpressionType.TypeIs && Visit(node.Expression) is StructuralTypeReferenceExpression reference)
        {
            if (reference.StructuralType is not IEntityType entityType)
            {
                return Expression.Constant(reference.StructuralType.ClrType == node.TypeOperand);
            }

            if (entityType.GetAllBaseTypesInclusive().Any(t => t.ClrType == node.TypeOperand))
            {
                return Expression.Constant(true);
            }

            // The concrete types of the hierarchy that are the tested CLR type (also one not in the model, an interface...).
            var matching = entityType.GetConcreteDerivedTypesInclusive().Where(t => node.TypeOperand.IsAssignableFrom(t.ClrType)).ToList();
            return matching.Count == 0 ? Expression.Constant(false) : DiscriminatorTest(reference, entityType, matching);
        }

        return QueryCompilationContext.NotTranslatedExpression;
    }

    protected override Expression VisitUnary(UnaryExpression node)
    {
        var operand = Visit(node.Operand);
        if (operand == QueryCompilationContext.NotTranslatedExpression)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        if (operand is StructuralTypeReferenceExpression reference
            && node.NodeType is ExpressionType.Convert or ExpressionType.ConvertChecked or ExpressionType.TypeAs)
        {
            return reference.Convert(node.Type);
        }

        if (node.NodeType == ExpressionType.Convert && operand.Type == node.Type)
        {
            return operand;
        }

        if (node.NodeType == ExpressionType.Convert && LsmTypes.IsConvertedToNullable(operand, node))
        {
            return operand;
        }

        if (node.NodeType is ExpressionType.Quote)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        var result = (Expression)Expression.MakeUnary(node.NodeType, operand, node.Type, node.Method);

        // (T)(T?)x of a T, or (object)(T?)x: drop the round trip through the nullable type.
        if (result is UnaryExpression { NodeType: ExpressionType.Convert, Operand: UnaryExpression { NodeType: ExpressionType.Convert } inner } outer)
        {
            var innerMost = inner.Operand.Type;
            if (outer.Type == innerMost && inner.Type == innerMost.UnwrapNullableType())
            {
                result = inner.Operand;
            }
            else if (outer.Type == typeof(object) && inner.Type == innerMost.UnwrapNullableType())
            {
                result = Expression.Convert(inner.Operand, typeof(object));
            }
        }

        return result;
    }

    /// <summary>
    /// A subquery as a value of the current row: a scalar (the single-result server query, evaluated inside the row's
    /// lambda, so it may read the outer row), or an entity reference (for a member access on its result).
    /// </summary>
    private Expression TranslateSubqueryResult(ShapedQueryExpression subquery, Type type)
    {
        if (subquery.ResultCardinality == ResultCardinality.Enumerable)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        var query = (LsmQueryExpression)subquery.QueryExpression;
        var shaper = subquery.ShaperExpression;
        Type? convertedType = null;
        if (shaper is UnaryExpression { NodeType: ExpressionType.Convert } convert)
        {
            convertedType = convert.Type;
            shaper = convert.Operand;
        }

        if (shaper is StructuralTypeShaperExpression entityShaper && (convertedType is null || convertedType.IsAssignableFrom(entityShaper.Type)))
        {
            return new StructuralTypeReferenceExpression(subquery.UpdateShaperExpression(entityShaper));
        }

        if (shaper is not ProjectionBindingExpression binding
            || (convertedType is not null && convertedType.MakeNullable() != shaper.Type)
            || binding.ProjectionMember is null)
        {
            return QueryCompilationContext.NotTranslatedExpression;
        }

        return SingleResultScalar(query, query.GetProjection(binding), type);
    }

    /// <summary>
    /// The value <paramref name="read"/> of the one row a single-result query yields, or the type's default when it
    /// yields none.
    /// </summary>
    private static Expression SingleResultScalar(LsmQueryExpression query, Expression read, Type type)
    {
        if (query.ServerQueryExpression is not NewExpression)
        {
            // First/Single not applied yet: make the row hold just this value, then apply it.
            query.ReplaceProjection(new Dictionary<ProjectionMember, Expression> { [new ProjectionMember()] = read });
            query.ApplyProjection();
        }

        var server = ((LambdaExpression)((NewExpression)query.ServerQueryExpression).Arguments[0]).Body;
        if (server is UnaryExpression { NodeType: ExpressionType.Convert } convert && convert.Type == typeof(object))
        {
            server = convert.Operand;
        }

        var row = Expression.Variable(typeof(Microsoft.EntityFrameworkCore.Storage.ValueBuffer), "single");
        return Expression.Block(
            [row],
            Expression.Assign(row, server),
            Expression.Condition(
                Expression.MakeMemberAccess(row, ValueBufferIsEmpty),
                Expression.Default(type),
                LsmRowReads.Read(row, type, 0, null)));
    }

    private Expression? TryTranslateSingleResultNullCheck(Expression nonNull, bool isNull)
    {
        if (nonNull is not MethodCallExpression { Method.IsGenericMethod: true } call
            || call.Method.DeclaringType != typeof(Queryable)
            || !SingleResultMethods.Contains(call.Method.GetGenericMethodDefinition()))
        {
            return null;
        }

        var source = call.Arguments[0];
        if (call.Arguments.Count == 2)
        {
            source = Expression.Call(QueryableMethods.Where.MakeGenericMethod(source.Type.GetSequenceType()), source, call.Arguments[1]);
        }

        if (queryableMethodTranslator.TranslateSubquery(source) is not { } subquery)
        {
            return null;
        }

        var projection = StripConvert(subquery.ShaperExpression);
        if (projection is NewExpression or StructuralTypeShaperExpression { IsNullable: false } or LsmCollectionResultShaperExpression)
        {
            var any = Expression.Call(QueryableMethods.AnyWithoutPredicate.MakeGenericMethod(subquery.Type.GetSequenceType()), subquery);
            return Visit(isNull ? Expression.Not(any) : any);
        }

        return null;
    }

    private Expression? TryTranslateGetTypeComparison(BinaryExpression node)
    {
        if (IsGetTypeCall(node.Left, out var reference) && IsTypeConstant(node.Right, out var type))
        {
            return GetTypeComparison(reference, type, node.NodeType == ExpressionType.Equal);
        }

        if (IsGetTypeCall(node.Right, out reference) && IsTypeConstant(node.Left, out type))
        {
            return GetTypeComparison(reference, type, node.NodeType == ExpressionType.Equal);
        }

        return null;

        bool IsGetTypeCall(Expression expression, [NotNullWhen(true)] out StructuralTypeReferenceExpression? typeReference)
        {
            typeReference = expression is MethodCallExpression call && call.Method == GetTypeMethod
                ? Visit(call.Object) as StructuralTypeReferenceExpression
                : null;
            return typeReference is not null;
        }

        static bool IsTypeConstant(Expression expression, [NotNullWhen(true)] out Type? type)
        {
            type = (StripConvert(expression) as ConstantExpression)?.Value as Type;
            return type is not null;
        }
    }

    private Expression GetTypeComparison(StructuralTypeReferenceExpression reference, Type type, bool match)
    {
        if (reference.StructuralType is not IEntityType entityType || (entityType.BaseType is null && !entityType.GetDirectlyDerivedTypes().Any()))
        {
            return Expression.Constant(reference.StructuralType.ClrType == type == match);
        }

        if (entityType.GetAllBaseTypes().Any(t => t.ClrType == type))
        {
            // A query of a derived type never has rows of exactly a base type.
            return Expression.Constant(!match);
        }

        var derivedType = entityType.GetDerivedTypesInclusive().FirstOrDefault(t => t.ClrType == type);
        if (derivedType is null || derivedType.IsAbstract())
        {
            return Expression.Constant(!match);
        }

        var test = DiscriminatorTest(reference, entityType, [derivedType]);
        return match ? test : Expression.Not(test);
    }

    private Expression DiscriminatorTest(StructuralTypeReferenceExpression reference, IEntityType entityType, IEnumerable<IEntityType> types)
    {
        var discriminator = entityType.FindDiscriminatorProperty()!;
        var read = BindProperty(reference, discriminator, discriminator.ClrType)!;
        var comparer = discriminator.GetKeyValueComparer();
        Expression? test = null;
        foreach (var type in types)
        {
            var equals = comparer.ExtractEqualsBody(read, Expression.Constant(type.GetDiscriminatorValue(), discriminator.ClrType));
            test = test is null ? equals : Expression.OrElse(test, equals);
        }

        return test ?? Expression.Constant(false);
    }

    private bool TryTranslateStringMethod(MethodCallExpression node, [NotNullWhen(true)] out Expression? translation)
    {
        translation = null;
        var method = node.Method;
        if (method.DeclaringType != typeof(string))
        {
            return false;
        }

        // Culture-dependent string methods compare ordinally, as keys and indexes do (never by the process's culture).
        MethodInfo? replacement = null;
        Expression[]? extra = null;
        switch (method.Name)
        {
            case nameof(string.StartsWith) or nameof(string.EndsWith) or nameof(string.IndexOf)
                when node.Arguments.Count == 1 && node.Arguments[0].Type == typeof(string):
                replacement = typeof(string).GetMethod(method.Name, [typeof(string), typeof(StringComparison)]);
                extra = [Expression.Constant(StringComparison.Ordinal)];
                break;
            case nameof(string.ToUpper) when node.Arguments.Count == 0:
                replacement = typeof(string).GetMethod(nameof(string.ToUpperInvariant), Type.EmptyTypes);
                break;
            case nameof(string.ToLower) when node.Arguments.Count == 0:
                replacement = typeof(string).GetMethod(nameof(string.ToLowerInvariant), Type.EmptyTypes);
                break;
            case nameof(string.Compare) when method == StringCompareMethod:
            {
                var a = Visit(node.Arguments[0]);
                var b = Visit(node.Arguments[1]);
                if (TranslationFailed(node.Arguments[0], a) || TranslationFailed(node.Arguments[1], b))
                {
                    translation = QueryCompilationContext.NotTranslatedExpression;
                    return true;
                }

                translation = Expression.Call(LsmStringComparer.CompareMethod, a, b);
                return true;
            }

            case nameof(string.CompareTo) when method == StringCompareToMethod:
            {
                var a = Visit(node.Object);
                var b = Visit(node.Arguments[0]);
                if (TranslationFailed(node.Object, a) || TranslationFailed(node.Arguments[0], b))
                {
                    translation = QueryCompilationContext.NotTranslatedExpression;
                    return true;
                }

                translation = Expression.Call(LsmStringComparer.CompareMethod, a!, b);
                return true;
            }
        }

        if (replacement is null)
        {
            return false;
        }

        translation = Visit(Expression.Call(node.Object, replacement, [.. node.Arguments, .. extra ?? []]));
        return true;
    }

    private static bool IsContainsMethod(MethodInfo method) =>
        method.Name == nameof(List<int>.Contains) && method.DeclaringType is { IsGenericType: true } declaringType
        && declaringType.GetInterfaces().Append(declaringType)
            .Any(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ICollection<>));

    private Expression? TryBindMember(Expression? source, MemberInfo member, Type type) =>
        source is StructuralTypeReferenceExpression reference
            ? BindMember(reference, reference.StructuralType.FindProperty(member), member.Name, type)
            : null;

    private Expression? TryBindMember(Expression? source, string name, Type type) =>
        source is StructuralTypeReferenceExpression reference
            ? BindMember(reference, reference.StructuralType.FindProperty(name), name, type)
            : null;

    private Expression? BindMember(StructuralTypeReferenceExpression reference, IProperty? property, string name, Type type)
    {
        if (property is not null)
        {
            return BindProperty(reference, property, type);
        }

        // A complex value is stored in its entity's row (docs/row_encoding.md, "Complex values"): its members are read from
        // the same projection. The value of a nullable struct is the struct itself.
        if (reference.StructuralType.FindComplexProperty(name) is { IsCollection: false } complex)
        {
            return new StructuralTypeReferenceExpression(reference, complex);
        }

        if (reference.StructuralType.FindComplexProperty(name) is { IsCollection: true } collection)
        {
            return BindComplexCollection(reference, collection, type);
        }

        if (reference.ComplexProperty is { } nullableStruct && reference.Type.IsValueType && nullableStruct.ClrType.IsNullableValueType())
        {
            if (name == nameof(Nullable<int>.Value))
            {
                return reference;
            }

            if (name == nameof(Nullable<int>.HasValue))
            {
                return ComplexNullCheck(reference, ExpressionType.NotEqual);
            }
        }

        AddTranslationErrorDetails(CoreStrings.QueryUnableToTranslateMember(name, reference.StructuralType.DisplayName()));
        return null;
    }

    /// <summary>
    /// A complex collection of the row's entity as its CLR collection of elements, built from the row's decoded elements
    /// (docs/row_encoding.md, "Complex collections"), so the query's own code runs LINQ-to-objects over it.
    /// </summary>
    private Expression? BindComplexCollection(StructuralTypeReferenceExpression reference, IComplexProperty collection, Type type)
    {
        if (reference.Parameter is not { } shaper
            || Visit(shaper.ValueBufferExpression) is not LsmEntityProjectionExpression projection
            || !projection.TryBindProperty(collection, out var read))
        {
            AddTranslationErrorDetails(
                $"The complex collection '{collection.DeclaringType.DisplayName()}.{collection.Name}' can be read only from an entity of "
                + "the query's own rows, not from the result of a subquery. Query the entity's set and read the collection there.");
            return null;
        }

        var materializerSource = ((LsmQueryableMethodTranslatingExpressionVisitor)queryableMethodTranslator).MaterializerSource;
        var elementType = collection.ComplexType.ClrType;
        var value = Expression.Call(
            LsmStructuralTypeMaterializerSource.QueryValueMethod.MakeGenericMethod(elementType),
            read,
            Expression.Constant(
                materializerSource.ElementMaterializer(collection),
                typeof(Func<,>).MakeGenericType(typeof(MaterializationContext), elementType)),
            QueryCompilationContext.QueryContextParameter,
            Expression.Constant(collection, typeof(IComplexProperty)));
        return Expression.Convert(value, type);
    }

    /// <summary>
    /// A queryable operator whose source is a complex collection (EF makes <c>b.Items.Any(...)</c> into
    /// <c>b.Items.AsQueryable().Any(...)</c>), and the operators chained on it, as the same LINQ-to-objects operators over the
    /// collection's elements: the lambdas' bodies are this translator's (so they read the row's values and the query's
    /// parameters), their element parameters the elements themselves. Strings order by <see cref="LsmStringComparer"/>, as
    /// everywhere in a query. Null when the source is not a complex collection.
    /// </summary>
    private Expression? TryTranslateComplexCollectionOperator(MethodCallExpression node)
    {
        if (node.Method.DeclaringType != typeof(Queryable) || node.Arguments.Count == 0)
        {
            return null;
        }

        if (node.Method.Name == nameof(Queryable.AsQueryable))
        {
            return node.Arguments[0] is MemberExpression { Expression: not null } member
                && IsComplexCollectionValue(member)
                && Visit(member) is UnaryExpression { Operand: MethodCallExpression { Method.IsGenericMethod: true } call } collection
                && call.Method.GetGenericMethodDefinition() == LsmStructuralTypeMaterializerSource.QueryValueMethod
                    ? collection
                    : null;
        }

        if (node.Arguments[0] is not MethodCallExpression inner || TryTranslateComplexCollectionOperator(inner) is not { } source)
        {
            return null;
        }

        if (source == QueryCompilationContext.NotTranslatedExpression)
        {
            return source;
        }

        // Complex values have no identity: EF compares them by value, LINQ-to-objects by reference. What would compare
        // elements themselves is refused rather than answered by reference.
        var elementType = node.Method.GetGenericArguments()[0];
        if (IsComplexCollectionElement(elementType)
            && (node.Method.Name is nameof(Queryable.Contains) or nameof(Queryable.Distinct) or nameof(Queryable.Union)
                    or nameof(Queryable.Intersect) or nameof(Queryable.Except) or nameof(Queryable.SequenceEqual)
                    or nameof(Queryable.GroupBy) or nameof(Queryable.Join) or nameof(Queryable.GroupJoin)
                || (node.Method.Name is nameof(Queryable.Min) or nameof(Queryable.Max) && node.Arguments.Count == 1)))
        {
            return RefuseElementComparison(node, $"{node.Method.Name} over the elements of a complex collection");
        }

        foreach (var argument in node.Arguments.Skip(1))
        {
            if (argument is UnaryExpression { Operand: LambdaExpression lambdaArgument } && ComparesElements(lambdaArgument.Body))
            {
                return RefuseElementComparison(node, "an equality between elements of a complex collection");
            }
        }

        var arguments = new List<Expression> { source };
        for (var i = 1; i < node.Arguments.Count; i++)
        {
            if (node.Arguments[i] is UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda })
            {
                foreach (var parameter in lambda.Parameters)
                {
                    _clientParameters.Add(parameter);
                }

                var body = Visit(lambda.Body);
                if (TranslationFailed(lambda.Body, body))
                {
                    return null;
                }

                if (body.Type != lambda.Body.Type)
                {
                    body = Expression.Convert(body, lambda.Body.Type);
                }

                arguments.Add(Expression.Lambda(lambda.Type, body, lambda.Parameters));
                continue;
            }

            var argument = Visit(node.Arguments[i]);
            if (TranslationFailed(node.Arguments[i], argument))
            {
                return null;
            }

            arguments.Add(argument.Type == node.Arguments[i].Type ? argument : Expression.Convert(argument, node.Arguments[i].Type));
        }

        var ordersStrings = node.Method.Name is nameof(Queryable.OrderBy) or nameof(Queryable.OrderByDescending)
            or nameof(Queryable.ThenBy) or nameof(Queryable.ThenByDescending)
            && arguments.Count == 2 && node.Method.GetGenericArguments()[1] == typeof(string);
        if (ordersStrings)
        {
            arguments.Add(Expression.Constant(LsmStringComparer.Instance, typeof(IComparer<string>)));
        }

        return EnumerableEquivalent(node.Method, arguments.Count) is { } method
            ? Expression.Call(method, arguments)
            : null;
    }

    private HashSet<Type>? _complexCollectionElementTypes;

    /// <summary>
    /// Whether <paramref name="type"/> is the CLR type of the elements of a complex collection of the model, or of a complex
    /// value nested in them: values LINQ-to-objects would compare by reference.
    /// </summary>
    private bool IsComplexCollectionElement(Type type) =>
        (_complexCollectionElementTypes ??=
        [
            .. queryCompilationContext.Model.GetEntityTypes()
                .SelectMany(e => e.GetDeclaredComplexProperties())
                .Where(c => c.IsCollection)
                .SelectMany(c => WithNested(c.ComplexType))
                .Select(t => t.ClrType),
        ]).Contains(type);

    private static IEnumerable<IComplexType> WithNested(IComplexType type) =>
        type.GetComplexProperties().SelectMany(c => WithNested(c.ComplexType)).Prepend(type);

    /// <summary>Whether <paramref name="body"/> compares two complex collection elements (or an element with a value) with == or !=.</summary>
    private bool ComparesElements(Expression body) => new ElementComparisonFinder(this).Find(body);

    /// <summary>
    /// Throws EF's translation error naming the shape: thrown, not returned, since the client evaluation a projection would
    /// fall back to compares complex values by reference and would answer wrongly.
    /// </summary>
    private static Expression RefuseElementComparison(Expression node, string shape) =>
        throw new InvalidOperationException(
            CoreStrings.TranslationFailedWithDetails(
                node.Print(),
                $"EFCore.Lsm does not translate {shape}: complex values have no identity and EF compares them by value. Compare "
                + "their members instead (for example Any(e => e.Name == name))."));

    private sealed class ElementComparisonFinder(LsmExpressionTranslatingExpressionVisitor translator) : ExpressionVisitor
    {
        private bool _found;

        public bool Find(Expression body)
        {
            Visit(body);
            return _found;
        }

        protected override Expression VisitBinary(BinaryExpression node)
        {
            if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
                && !IsNullConstant(node.Left) && !IsNullConstant(node.Right)
                && (translator.IsComplexCollectionElement(StripConvert(node.Left).Type)
                    || translator.IsComplexCollectionElement(StripConvert(node.Right).Type)))
            {
                _found = true;
            }

            return base.VisitBinary(node);
        }
    }

    /// <summary>The <see cref="Enumerable"/> method of the same name and shape as the <see cref="Queryable"/> one.</summary>
    private static MethodInfo? EnumerableEquivalent(MethodInfo queryableMethod, int argumentCount)
    {
        var queryableParameters = queryableMethod.GetGenericMethodDefinition().GetParameters();
        foreach (var candidate in typeof(Enumerable).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (candidate.Name != queryableMethod.Name || !candidate.IsGenericMethodDefinition
                || candidate.GetGenericArguments().Length != queryableMethod.GetGenericArguments().Length)
            {
                continue;
            }

            var parameters = candidate.GetParameters();
            if (parameters.Length != argumentCount)
            {
                continue;
            }

            var matches = true;
            for (var i = 0; i < queryableParameters.Length && matches; i++)
            {
                matches = SameShape(queryableParameters[i].ParameterType, parameters[i].ParameterType);
            }

            if (matches)
            {
                return candidate.MakeGenericMethod(queryableMethod.GetGenericArguments());
            }
        }

        return null;

        static bool SameShape(Type queryable, Type enumerable)
        {
            if (queryable.IsGenericType && queryable.GetGenericTypeDefinition() == typeof(Expression<>))
            {
                queryable = queryable.GetGenericArguments()[0];
            }

            if (queryable.IsGenericType && enumerable.IsGenericType)
            {
                var q = queryable.GetGenericTypeDefinition();
                var e = enumerable.GetGenericTypeDefinition();
                var sameDefinition = q == e || (q == typeof(IQueryable<>) && e == typeof(IEnumerable<>))
                    || (q == typeof(IOrderedQueryable<>) && e == typeof(IOrderedEnumerable<>));
                return sameDefinition
                    && queryable.GetGenericArguments().Zip(enumerable.GetGenericArguments()).All(p => SameShape(p.First, p.Second));
            }

            return queryable.IsGenericParameter && enumerable.IsGenericParameter
                ? queryable.GenericParameterPosition == enumerable.GenericParameterPosition
                : queryable == enumerable;
        }
    }

    private Expression? BindProperty(StructuralTypeReferenceExpression reference, IProperty property, Type type)
    {
        if (reference.Parameter is { } shaper)
        {
            if (Visit(shaper.ValueBufferExpression) is not LsmEntityProjectionExpression projection)
            {
                return null;
            }

            var read = projection.BindProperty(property);

            // Keep a nullable read nullable (for null propagation); otherwise read the member's type.
            return read.Type != type && !(read.Type.IsNullableType() && !type.IsNullableType() && read.Type.UnwrapNullableType() == type)
                ? Expression.Convert(read, type)
                : read;
        }

        if (reference.Subquery is { } subquery)
        {
            var entityShaper = (StructuralTypeShaperExpression)subquery.ShaperExpression;
            var query = (LsmQueryExpression)subquery.QueryExpression;
            var projection = (LsmEntityProjectionExpression)query.GetProjection((ProjectionBindingExpression)entityShaper.ValueBufferExpression);
            return SingleResultScalar(query, projection.BindProperty(property), type);
        }

        return null;
    }

    private static bool TryUseComparer(Expression? left, Expression? right, [NotNullWhen(true)] out Expression? equality)
    {
        equality = null;
        if (left is null || right is null)
        {
            return false;
        }

        // A property's value comparer defines its equality (byte arrays by content, custom comparers); the operator is right
        // for the default comparers of everything else.
        var property = FindProperty(left) ?? FindProperty(right);
        var comparer = property?.GetValueComparer();
        var leftValue = LsmTypes.StripObjectAndNullableConvert(left);
        var rightValue = LsmTypes.StripObjectAndNullableConvert(right);
        var clrType = property?.ClrType.UnwrapNullableType();
        var usable = comparer is not null
            && (!IsDefaultComparer(comparer, property!) || clrType == typeof(byte[]))
            && leftValue.Type.UnwrapNullableType() == clrType
            && rightValue.Type.UnwrapNullableType() == clrType;
        if (!usable)
        {
            if (left.Type == typeof(object) || right.Type == typeof(object))
            {
                // (object)a == (object)b compares the values, not the boxes.
                equality = Expression.Call(
                    typeof(object).GetMethod(nameof(Equals), [typeof(object), typeof(object)])!, LsmTypes.Box(left), LsmTypes.Box(right));
                return true;
            }

            return false;
        }

        // Null equals only null; the comparer compares two values.
        var valueType = comparer!.Type.UnwrapNullableType();
        var variableType = valueType.IsValueType ? valueType.MakeNullable() : valueType;
        var leftVariable = Expression.Variable(variableType, "left");
        var rightVariable = Expression.Variable(variableType, "right");
        var nullOf = Expression.Constant(null, variableType);
        Expression Value(ParameterExpression variable) => variable.Type == comparer.Type ? variable : Expression.Convert(variable, comparer.Type);
        equality = Expression.Block(
            [leftVariable, rightVariable],
            Expression.Assign(leftVariable, leftValue.Type == variableType ? leftValue : Expression.Convert(leftValue, variableType)),
            Expression.Assign(rightVariable, rightValue.Type == variableType ? rightValue : Expression.Convert(rightValue, variableType)),
            Expression.Condition(
                Expression.OrElse(Expression.Equal(leftVariable, nullOf), Expression.Equal(rightVariable, nullOf)),
                Expression.AndAlso(Expression.Equal(leftVariable, nullOf), Expression.Equal(rightVariable, nullOf)),
                comparer.ExtractEqualsBody(Value(leftVariable), Value(rightVariable))));
        return true;
    }

    /// <summary>
    /// Whether <paramref name="comparer"/> compares as the operator does: EF's default comparer, or the nullable wrapper EF
    /// puts around it for a nullable property with no comparer of its own (so <c>x.NullableColumn == v</c> stays a plain
    /// comparison, one an access path can read).
    /// </summary>
    private static bool IsDefaultComparer(ValueComparer comparer, IProperty property) =>
        IsNamed(comparer, "DefaultValueComparer")
        || (IsNamed(comparer, "NullableValueComparer") && property.FindAnnotation("ValueComparer") is null
            && property.FindAnnotation("ValueComparerType") is null && IsNamed(property.GetTypeMapping().Comparer, "DefaultValueComparer"));

    private static bool IsNamed(ValueComparer comparer, string name) =>
        comparer.GetType().IsGenericType && comparer.GetType().GetGenericTypeDefinition().Name.StartsWith(name, StringComparison.Ordinal);

    private static IProperty? FindProperty(Expression expression) => LsmRowReads.InferProperty(expression) as IProperty;

    private bool TryRewriteContainsEntity(Expression? source, Expression item, [NotNullWhen(true)] out Expression? result)
    {
        result = null;
        if (item is not StructuralTypeReferenceExpression { StructuralType: IEntityType entityType })
        {
            return false;
        }

        var key = entityType.FindPrimaryKey()?.Properties ?? throw new InvalidOperationException(
            CoreStrings.EntityEqualityOnKeylessEntityNotSupported(nameof(Queryable.Contains), entityType.DisplayName()));
        if (key.Count > 1)
        {
            throw new InvalidOperationException(
                CoreStrings.EntityEqualityOnCompositeKeyEntitySubqueryNotSupported(nameof(Queryable.Contains), entityType.DisplayName()));
        }

        var property = key[0];
        Expression keys;
        switch (source)
        {
            case ConstantExpression { Value: IEnumerable values }:
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(property.ClrType.MakeNullable()))!;
                var getter = property.GetGetter();
                foreach (var value in values)
                {
                    list.Add(value is null ? null : getter.GetClrValue(value));
                }

                keys = Expression.Constant(list);
                break;
            case MethodCallExpression { Method.IsGenericMethod: true } call
                when call.Method.GetGenericMethodDefinition() == GetParameterValueMethod:
                var parameterName = (string)((ConstantExpression)call.Arguments[1]).Value!;
                var extractor = Expression.Lambda(
                    Expression.Call(
                        ParameterListValueExtractorMethod.MakeGenericMethod(entityType.ClrType, property.ClrType.MakeNullable()),
                        QueryCompilationContext.QueryContextParameter,
                        Expression.Constant(parameterName),
                        Expression.Constant(property, typeof(IProperty))),
                    QueryCompilationContext.QueryContextParameter);
                keys = queryCompilationContext.RegisterRuntimeParameter($"{RuntimeParameterPrefix}{parameterName}_{property.Name}", extractor);
                break;
            default:
                return false;
        }

        result = Visit(
            Expression.Call(
                LsmEnumerable.Contains.MakeGenericMethod(property.ClrType.MakeNullable()),
                keys,
                LsmTypes.ConvertToNullable(PropertyAccess(item, property))));
        return true;
    }

    /// <summary>
    /// Equality of complex values, which have no identity (EF compares them by value): with null, whether the value is null as
    /// EF reads it (a required member, or else every member, is null); with another complex value (a stored one, a constant or
    /// a parameter of the same CLR type), member by member, nested complex values included. The members are accessed on the
    /// untranslated operands (<paramref name="node"/>), so each side binds its own complex property's members.
    /// </summary>
    private bool TryRewriteComplexEquality(BinaryExpression node, Expression left, Expression right, [NotNullWhen(true)] out Expression? result)
    {
        var reference = left as StructuralTypeReferenceExpression ?? right as StructuralTypeReferenceExpression;
        result = null;
        if (reference?.StructuralType is not IComplexType complexType)
        {
            return false;
        }

        var other = reference == left ? right : left;
        if (IsNullConstant(other))
        {
            result = ComplexNullCheck(reference, node.NodeType);
            return true;
        }

        if (StripConvert(node.Left).Type.UnwrapNullableType() != StripConvert(node.Right).Type.UnwrapNullableType())
        {
            return false;
        }

        var memberwise = ComplexMemberEquality(complexType, StripConvert(node.Left), StripConvert(node.Right));
        result = Visit(node.NodeType == ExpressionType.Equal ? memberwise : Expression.Not(memberwise));
        return true;
    }

    /// <summary><c>left.m == right.m</c> for every member of <paramref name="complexType"/> (nested complex values member by member).</summary>
    private static Expression ComplexMemberEquality(IComplexType complexType, Expression left, Expression right)
    {
        Expression equality = Expression.Constant(true);
        foreach (var member in complexType.GetProperties())
        {
            equality = Expression.AndAlso(
                equality, EFExpressionExtensions.CreateEqualsExpression(ComplexMember(left, member), ComplexMember(right, member)));
        }

        foreach (var nested in complexType.GetComplexProperties().Where(p => !p.IsCollection))
        {
            equality = Expression.AndAlso(
                equality, ComplexMemberEquality(nested.ComplexType, ComplexMember(left, nested), ComplexMember(right, nested)));
        }

        return equality;
    }

    /// <summary>
    /// <c>value.member</c>, null when <paramref name="value"/> is (so a null value equals stored members that are all null,
    /// which is how EF reads a null complex value); a scalar member as a nullable value.
    /// </summary>
    private static Expression ComplexMember(Expression value, IPropertyBase member)
    {
        var target = value.Type.IsNullableValueType() ? Expression.Property(value, nameof(Nullable<int>.Value)) : value;
        var access = (Expression)Expression.MakeMemberAccess(target, (MemberInfo?)member.PropertyInfo ?? member.FieldInfo!);
        if (member is IProperty && !access.Type.IsNullableType())
        {
            access = Expression.Convert(access, access.Type.MakeNullable());
        }

        // A stored value's members read as null when it is null; a parameter's are guarded (it runs on the client).
        return IsStoredValue(value) || (value.Type.IsValueType && !value.Type.IsNullableValueType())
            ? access
            : Expression.Condition(Expression.Equal(value, Expression.Constant(null, value.Type)), Expression.Default(access.Type), access);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a chain of member accesses from an entity of the query, or from the single result of
    /// a subquery (<c>c.Orders.OrderBy(o => o.Id).First().Address</c>): a stored value, whose members read as null when it is
    /// null or the subquery has no row.
    /// </summary>
    private static bool IsStoredValue(Expression value)
    {
        while (StripConvert(value) is MemberExpression { Expression: { } inner })
        {
            value = inner;
        }

        return StripConvert(value) switch
        {
            StructuralTypeShaperExpression => true,
            MethodCallExpression { Method: { IsGenericMethod: true } method } =>
                method.DeclaringType == typeof(Queryable) && SingleResultMethods.Contains(method.GetGenericMethodDefinition()),
            _ => false,
        };
    }

    /// <summary>
    /// Whether a stored complex value is null (<paramref name="nodeType"/> Equal) or not: as EF's materializer decides, by a
    /// required member (one is enough), else by all of its members being null. A required complex property is never null.
    /// </summary>
    private Expression ComplexNullCheck(StructuralTypeReferenceExpression reference, ExpressionType nodeType)
    {
        var complexType = (IComplexType)reference.StructuralType;
        if (!Metadata.Internal.LsmRowLayout.IsOptional(complexType))
        {
            return Expression.Constant(nodeType == ExpressionType.NotEqual);
        }

        var members = complexType.GetFlattenedProperties().ToList();
        var required = members.FirstOrDefault(p => !p.IsNullable);
        var isNull = (required is null ? members : [required])
            .Select(p => (Expression)Expression.Equal(
                BindProperty(reference, p, p.ClrType.MakeNullable())!, Expression.Constant(null, p.ClrType.MakeNullable())))
            .Aggregate(Expression.AndAlso);
        return nodeType == ExpressionType.Equal ? isNull : Expression.Not(isNull);
    }

    private bool TryRewriteEntityEquality(
        ExpressionType nodeType, Expression left, Expression right, bool equalsMethod, [NotNullWhen(true)] out Expression? result)
    {
        var leftReference = left is StructuralTypeReferenceExpression { StructuralType: IEntityType } l ? l : null;
        var rightReference = right is StructuralTypeReferenceExpression { StructuralType: IEntityType } r ? r : null;
        result = null;
        if (leftReference is null && rightReference is null)
        {
            return false;
        }

        var operatorName = nodeType == ExpressionType.Equal
            ? equalsMethod ? nameof(Equals) : "=="
            : equalsMethod ? "!" + nameof(Equals) : "!=";
        if (IsNullConstant(left) || IsNullConstant(right))
        {
            var reference = (IsNullConstant(left) ? rightReference : leftReference)!;
            var type = (IEntityType)reference.StructuralType;
            var keyProperties = type.FindPrimaryKey()?.Properties ?? throw new InvalidOperationException(
                CoreStrings.EntityEqualityOnKeylessEntityNotSupported(operatorName, type.DisplayName()));
            result = Visit(keyProperties
                .Select(p => Expression.MakeBinary(nodeType, PropertyAccess(reference, p), Expression.Constant(null, p.ClrType.MakeNullable())))
                .Aggregate((a, b) => nodeType == ExpressionType.Equal ? Expression.OrElse(a, b) : Expression.AndAlso(a, b)));
            if (reference.NarrowedFrom is { } wider)
            {
                // (a as Dog) == null: also when the row is of another type than Dog.
                var isOfType = DiscriminatorTest(reference, wider, type.GetConcreteDerivedTypesInclusive());
                result = nodeType == ExpressionType.Equal ? Expression.OrElse(result, Expression.Not(isOfType)) : Expression.AndAlso(result, isOfType);
            }

            return true;
        }

        var leftType = (IEntityType?)leftReference?.StructuralType;
        var rightType = (IEntityType?)rightReference?.StructuralType;
        if (leftType is not null && rightType is not null && leftType.GetRootType() != rightType.GetRootType())
        {
            result = Expression.Constant(false);
            return true;
        }

        var entityType = (leftType ?? rightType)!;
        var key = entityType.FindPrimaryKey()?.Properties ?? throw new InvalidOperationException(
            CoreStrings.EntityEqualityOnKeylessEntityNotSupported(operatorName, entityType.DisplayName()));
        if (key.Count > 1 && (leftReference?.Subquery is not null || rightReference?.Subquery is not null))
        {
            throw new InvalidOperationException(
                CoreStrings.EntityEqualityOnCompositeKeyEntitySubqueryNotSupported(operatorName, entityType.DisplayName()));
        }

        result = Visit(key
            .Select(p => Expression.MakeBinary(nodeType, PropertyAccess(left, p), PropertyAccess(right, p)))
            .Aggregate((a, b) => nodeType == ExpressionType.Equal ? Expression.AndAlso(a, b) : Expression.OrElse(a, b)));
        return true;
    }

    /// <summary>An access to <paramref name="property"/> of an entity-typed expression (a reference, a constant, a parameter...).</summary>
    private Expression PropertyAccess(Expression target, IProperty property)
    {
        switch (target)
        {
            case ConstantExpression constant:
                return Expression.Constant(
                    constant.Value is null ? null : property.GetGetter().GetClrValue(constant.Value), property.ClrType.MakeNullable());
            case MethodCallExpression { Method.IsGenericMethod: true } call when call.Method.GetGenericMethodDefinition() == GetParameterValueMethod:
                var parameterName = (string)((ConstantExpression)call.Arguments[1]).Value!;
                var extractor = Expression.Lambda(
                    Expression.Call(
                        ParameterValueExtractorMethod.MakeGenericMethod(property.ClrType.MakeNullable()),
                        QueryCompilationContext.QueryContextParameter,
                        Expression.Constant(parameterName),
                        Expression.Constant(property, typeof(IProperty))),
                    QueryCompilationContext.QueryContextParameter);
                return queryCompilationContext.RegisterRuntimeParameter($"{RuntimeParameterPrefix}{parameterName}_{property.Name}", extractor);
            case MemberInitExpression memberInit
                when memberInit.Bindings.FirstOrDefault(b => b.Member.Name == property.Name) is MemberAssignment assignment:
                return assignment.Expression.Type.IsNullableType()
                    ? assignment.Expression
                    : Expression.Convert(assignment.Expression, property.ClrType.MakeNullable());
            case NewExpression or MemberInitExpression when CanEvaluate(target):
                return PropertyAccess(Evaluate(target), property);
            default:
                return target.CreateEFPropertyExpression(property);
        }
    }

    private static T? ParameterValueExtractor<T>(QueryContext context, string baseParameterName, IProperty property)
    {
        var baseParameter = context.Parameters[baseParameterName];
        return baseParameter is null ? default : (T?)property.GetGetter().GetClrValue(baseParameter);
    }

    private static List<TProperty?>? ParameterListValueExtractor<TEntity, TProperty>(
        QueryContext context, string baseParameterName, IProperty property)
    {
        if (context.Parameters[baseParameterName] is not IEnumerable<TEntity> entities)
        {
            return null;
        }

        var getter = property.GetGetter();
        return [.. entities.Select(e => e is null ? default : (TProperty?)getter.GetClrValue(e))];
    }

    private static T GetParameterValue<T>(QueryContext queryContext, string parameterName) => (T)queryContext.Parameters[parameterName]!;

    private static ConstantExpression Evaluate(Expression expression) =>
        Expression.Constant(
            Expression.Lambda<Func<object>>(Expression.Convert(expression, typeof(object))).Compile(preferInterpretation: true).Invoke(),
            expression.Type);

    private static bool CanEvaluate(Expression expression) =>
        expression switch
        {
            ConstantExpression => true,
            NewExpression newExpression => newExpression.Arguments.All(CanEvaluate),
            MemberInitExpression memberInit => CanEvaluate(memberInit.NewExpression)
                && memberInit.Bindings.All(b => b is MemberAssignment assignment && CanEvaluate(assignment.Expression)),
            _ => false,
        };

    private static Expression ObjectArrayEquality(Expression left, Expression right)
    {
        var leftValues = ((NewArrayExpression)left).Expressions;
        var rightValues = ((NewArrayExpression)right).Expressions;
        return leftValues.Zip(rightValues, (l, r) =>
            {
                l = StripObjectConvert(l);
                r = StripObjectConvert(r);
                if (l.Type.IsNullableType() && !r.Type.IsNullableType())
                {
                    r = Expression.Convert(r, l.Type);
                }
                else if (r.Type.IsNullableType() && !l.Type.IsNullableType())
                {
                    l = Expression.Convert(l, r.Type);
                }

                return EFExpressionExtensions.CreateEqualsExpression(l, r);
            })
            .Aggregate(Expression.AndAlso);

        static Expression StripObjectConvert(Expression e) =>
            e is UnaryExpression { NodeType: ExpressionType.Convert } u && e.Type == typeof(object) ? u.Operand : e;
    }

    /// <summary>The values a constructed value is made of: <c>new { ... }</c>, <c>new Tuple&lt;...&gt;(...)</c>, <c>Tuple.Create(...)</c>.</summary>
    private static IReadOnlyList<Expression>? ConstructedValues(Expression expression) =>
        StripConvert(expression) switch
        {
            NewExpression { Arguments.Count: > 0 } construct => construct.Arguments,
            MethodCallExpression { Method.Name: nameof(Tuple.Create) } call when call.Method.DeclaringType == typeof(Tuple) => call.Arguments,
            _ => null,
        };

    /// <summary>The members holding a constructed value's values, in order (an anonymous type's, or a tuple's Item1...).</summary>
    private static IReadOnlyList<System.Reflection.MemberInfo>? ConstructedMembers(Expression constructed) =>
        constructed switch
        {
            NewExpression { Members: { } members } => members,
            NewExpression or MethodCallExpression when constructed.Type.FullName?.StartsWith("System.Tuple`", StringComparison.Ordinal) == true =>
                [.. Enumerable.Range(1, ConstructedValues(constructed)!.Count).Select(i => constructed.Type.GetProperty("Item" + i)!)],
            _ => null,
        };

    private static Expression StripConvert(Expression expression) =>
        expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } unary
            ? StripConvert(unary.Operand)
            : expression;

    private bool IsComplexCollectionValue(Expression expression) =>
        expression.Type != typeof(string)
        && (expression.Type.IsGenericType && expression.Type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
                ? [expression.Type]
                : expression.Type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
            .Any(i => IsComplexCollectionElement(i.GetGenericArguments()[0]));

    private static bool IsNullConstant(Expression expression) => StripConvert(expression) is ConstantExpression { Value: null };

    private static bool TranslationFailed(Expression? original, Expression? translation) =>
        original is not null
        && (translation == QueryCompilationContext.NotTranslatedExpression || translation is StructuralTypeReferenceExpression);

    /// <summary>Finds entity references left in a translation (an entity as a whole cannot be a server value).</summary>
    private sealed class StructuralTypeReferenceFinder : ExpressionVisitor
    {
        private bool _found;

        public static bool Contains(Expression expression)
        {
            var finder = new StructuralTypeReferenceFinder();
            finder.Visit(expression);
            return finder._found;
        }

        [return: NotNullIfNotNull(nameof(node))]
        public override Expression? Visit(Expression? node)
        {
            if (_found || node is null)
            {
                return node;
            }

            if (node is StructuralTypeReferenceExpression)
            {
                _found = true;
                return node;
            }

            return base.Visit(node);
        }
    }

    /// <summary>An entity (or complex value) in a lambda body: a shaper's, or the single result of a subquery.</summary>
    internal sealed class StructuralTypeReferenceExpression : Expression
    {
        public StructuralTypeReferenceExpression(StructuralTypeShaperExpression parameter)
        {
            Parameter = parameter;
            StructuralType = parameter.StructuralType;
        }

        public StructuralTypeReferenceExpression(ShapedQueryExpression subquery)
        {
            Subquery = subquery;
            StructuralType = ((StructuralTypeShaperExpression)subquery.ShaperExpression).StructuralType;
        }

        /// <summary>The complex value <paramref name="complexProperty"/> of <paramref name="reference"/>: read from the same row.</summary>
        public StructuralTypeReferenceExpression(StructuralTypeReferenceExpression reference, IComplexProperty complexProperty)
        {
            Parameter = reference.Parameter;
            Subquery = reference.Subquery;
            StructuralType = complexProperty.ComplexType;
            ComplexProperty = complexProperty;
        }

        private StructuralTypeReferenceExpression(StructuralTypeReferenceExpression reference, IEntityType type)
        {
            Parameter = reference.Parameter;
            Subquery = reference.Subquery;
            StructuralType = type;
            NarrowedFrom = reference.NarrowedFrom ?? (IEntityType)reference.StructuralType;
        }

        /// <summary>For a complex value, the complex property it is the value of.</summary>
        public IComplexProperty? ComplexProperty { get; }

        /// <summary>The entity type a cast narrowed this reference from (its rows may be of other types).</summary>
        public IEntityType? NarrowedFrom { get; }

        public new StructuralTypeShaperExpression? Parameter { get; }

        public ShapedQueryExpression? Subquery { get; }

        public ITypeBase StructuralType { get; }

        public override Type Type => StructuralType.ClrType;

        public override ExpressionType NodeType => ExpressionType.Extension;

        /// <summary>A cast: to a base type or interface it changes nothing; to a derived entity type it narrows.</summary>
        public Expression Convert(Type type)
        {
            if (type == typeof(object) || type.IsAssignableFrom(Type))
            {
                return this;
            }

            return StructuralType is IEntityType entityType && entityType.GetDerivedTypes().FirstOrDefault(t => t.ClrType == type) is { } derived
                ? new StructuralTypeReferenceExpression(this, derived)
                : QueryCompilationContext.NotTranslatedExpression;
        }
    }
}
