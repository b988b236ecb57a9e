using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Rewrites an expression written against a query's shaper into LINQ-to-objects code over the server element: a
/// property of the entity becomes a read from the row (<see cref="ReadValue{T}"/>), the element placeholder becomes the
/// element parameter and a query parameter becomes a read of <see cref="QueryContext.Parameters"/>. Fails (returns null)
/// on anything the server cannot evaluate: the entity as a whole (unless the result is a shaper, where EF materializes
/// it), unmapped members of the entity, and subqueries or other EF nodes.
/// </summary>
internal sealed class LsmServerExpressionTranslator : ExpressionVisitor
{
    public static readonly MethodInfo ReadValueMethod =
        typeof(LsmServerExpressionTranslator).GetMethod(nameof(ReadValue), BindingFlags.Public | BindingFlags.Static)!;

    private static readonly PropertyInfo ParametersProperty = typeof(QueryContext).GetProperty(nameof(QueryContext.Parameters))!;

    private readonly ParameterExpression _element;
    private readonly bool _forShaper;
    private bool _failed;

    private LsmServerExpressionTranslator(ParameterExpression element, bool forShaper)
    {
        _element = element;
        _forShaper = forShaper;
    }

    /// <summary>A value of the row, in model form (value converters already applied back when the row was decoded).</summary>
    public static T ReadValue<T>(ValueBuffer row, int index) => (T)row[index]!;

    /// <summary>
    /// <paramref name="expression"/> over <paramref name="element"/>, or null when it cannot run on the server. With
    /// <paramref name="forShaper"/>, entity shapers stay (reading their values from the element) for EF to materialize.
    /// </summary>
    public static Expression? Translate(Expression expression, ParameterExpression element, bool forShaper = false)
    {
        var translator = new LsmServerExpressionTranslator(element, forShaper);
        var result = translator.Visit(expression);
        return translator._failed ? null : result;
    }

    /// <summary>The property index a server expression reads from <paramref name="row"/>, if it is a row read.</summary>
    public static bool IsRowRead(Expression expression, ParameterExpression row, out int index)
    {
        if (expression is MethodCallExpression { Method.IsGenericMethod: true } call
            && call.Method.GetGenericMethodDefinition() == ReadValueMethod
            && call.Arguments[0] == row
            && call.Arguments[1] is ConstantExpression { Value: int i })
        {
            index = i;
            return true;
        }

        index = -1;
        return false;
    }

    /// <summary>Reads query parameter <paramref name="name"/> of type <paramref name="type"/> from the query context.</summary>
    public static Expression ParameterValue(string name, Type type) =>
        Expression.Convert(
            Expression.Property(
                Expression.Property(QueryCompilationContext.QueryContextParameter, ParametersProperty),
                "Item",
                Expression.Constant(name)),
            type);

    protected override Expression VisitExtension(Expression node)
    {
        switch (node)
        {
            case StructuralTypeShaperExpression shaper when _forShaper:
                return shaper.Update(Visit(shaper.ValueBufferExpression));

            case LsmElementExpression element when element.Type == _element.Type:
                return _element;

            case QueryParameterExpression parameter:
                return ParameterValue(parameter.Name, parameter.Type);

            default:
                _failed = true;
                return node;
        }
    }

    protected override Expression VisitMember(MemberExpression node)
    {
        if (node.Expression is StructuralTypeShaperExpression shaper)
        {
            // In a shaper, a member that is not a mapped property (a computed getter) is read from the materialized entity.
            var property = shaper.StructuralType.FindProperty(node.Member);
            return ReadProperty(shaper, property, node.Type)
                ?? (_forShaper && property is null ? node.Update(Visit(shaper)) : Fail(node));
        }

        return base.VisitMember(node);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (node.Method.DeclaringType == typeof(EF)
            && node.Method.Name == nameof(EF.Property)
            && node.Arguments[0] is StructuralTypeShaperExpression shaper
            && node.Arguments[1] is ConstantExpression { Value: string name })
        {
            return ReadProperty(shaper, shaper.StructuralType.FindProperty(name), node.Type) ?? Fail(node);
        }

        // string.StartsWith/EndsWith(string) compare with the current culture in .NET; in a query they compare
        // ordinally, as the key range a StartsWith is pushed down to does (and as databases compare by default), so a
        // result never depends on the culture the application happens to run under.
        if (node.Method.DeclaringType == typeof(string)
            && node.Method.Name is nameof(string.StartsWith) or nameof(string.EndsWith)
            && node.Arguments.Count == 1
            && node.Arguments[0].Type == typeof(string))
        {
            var ordinal = typeof(string).GetMethod(node.Method.Name, [typeof(string), typeof(StringComparison)])!;
            return Visit(Expression.Call(node.Object, ordinal, node.Arguments[0], Expression.Constant(StringComparison.Ordinal)));
        }

        return base.VisitMethodCall(node);
    }

    private Expression? ReadProperty(StructuralTypeShaperExpression shaper, IProperty? property, Type type)
    {
        if (property is null)
        {
            return null;
        }

        var row = Visit(shaper.ValueBufferExpression);
        if (row.Type != typeof(ValueBuffer))
        {
            return null;
        }

        var read = Expression.Call(ReadValueMethod.MakeGenericMethod(property.ClrType), row, Expression.Constant(property.GetIndex()));
        return read.Type == type ? read : Expression.Convert(read, type);
    }

    private Expression Fail(Expression node)
    {
        _failed = true;
        return node;
    }
}
