using System.Linq.Expressions;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// <c>ExecuteDelete</c> and <c>ExecuteUpdate</c> (docs/bulk_operations.md): the query over the entities to change — any
/// query the provider runs whose result is the entities of one stored entity type (filters, orderings, Skip/Take, joins
/// that keep one side) — gets a projection of each entity's primary key and, for an update, of each new value computed
/// from the entity as the query reads it. That projection is translated as any <c>Select</c> is, so the rows come from the
/// access path the same query would use (point get, key or index range, multi-get, scan) and are read at the execution's
/// view; the bulk writer turns each projected row into a row write. What cannot be changed this way is refused here with
/// EF's "could not be translated" error and the reason.
/// </summary>
internal sealed partial class LsmQueryableMethodTranslatingExpressionVisitor
{
    protected override Expression? TranslateExecuteDelete(ShapedQueryExpression source) =>
        TranslateNonQuery(source, [], nameof(EntityFrameworkQueryableExtensions.ExecuteDelete));

    protected override Expression? TranslateExecuteUpdate(ShapedQueryExpression source, IReadOnlyList<ExecuteUpdateSetter> setters)
    {
        if (EntityTypeOf(source, nameof(EntityFrameworkQueryableExtensions.ExecuteUpdate)) is not { } entityType)
        {
            return null;
        }

        var translated = new List<(IProperty Property, LambdaExpression PropertySelector, Expression Value)>(setters.Count);
        foreach (var (propertySelector, valueExpression) in setters)
        {
            var target = propertySelector.Body;
            while (target is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
            {
                target = convert.Operand;
            }

            var property = target switch
            {
                MemberExpression { Expression: ParameterExpression parameter } member when parameter == propertySelector.Parameters[0]
                    => entityType.FindProperty(member.Member),
                MethodCallExpression { Method.Name: nameof(EF.Property), Arguments: [ParameterExpression parameter, ConstantExpression { Value: string name }] }
                    when parameter == propertySelector.Parameters[0] => entityType.FindProperty(name),
                MemberExpression { Expression: MemberExpression } member => ComplexMember(entityType, member, propertySelector.Parameters[0]),
                _ => null,
            };
            if (property is not null && LsmRowLayout.IsInOptionalComplexValue(property))
            {
                AddTranslationErrorDetails(
                    $"ExecuteUpdate cannot set '{propertySelector}': it is a member of an optional complex value, which a row may not "
                    + "have (set the members of required complex values, or load the entities and set the value).");
                return null;
            }

            if (property is null || LsmRowLayout.DeclaringEntityType(property) is not { } declaring || !declaring.IsAssignableFrom(entityType))
            {
                AddTranslationErrorDetails(
                    $"ExecuteUpdate can set the mapped properties of '{entityType.DisplayName()}' only; '{propertySelector}' is not one.");
                return null;
            }

            if (property.IsKey())
            {
                AddTranslationErrorDetails(
                    $"ExecuteUpdate cannot set '{entityType.DisplayName()}.{property.Name}': it is part of a key, and EFCore.Lsm stores a "
                    + "row under its keys (delete the rows and insert new ones instead).");
                return null;
            }

            translated.Add((property, propertySelector, valueExpression));
        }

        return TranslateNonQuery(source, translated, nameof(EntityFrameworkQueryableExtensions.ExecuteUpdate));
    }

    /// <summary>
    /// The scalar member of a complex value that <paramref name="member"/> reaches from <paramref name="parameter"/> through
    /// complex properties (<c>x.Frame.Wood</c>, <c>x.Origin.Geo.Latitude</c>): a value of the row itself
    /// (docs/row_encoding.md, "Complex values"), which ExecuteUpdate sets as it sets a property. Null for any other shape.
    /// </summary>
    private static IProperty? ComplexMember(IEntityType entityType, MemberExpression member, ParameterExpression parameter)
    {
        var path = new Stack<string>();
        Expression? current = member.Expression;
        for (; current is MemberExpression outer; current = outer.Expression)
        {
            path.Push(outer.Member.Name);
        }

        if (current != parameter)
        {
            return null;
        }

        ITypeBase type = entityType;
        foreach (var name in path)
        {
            if (type.FindComplexProperty(name) is not { IsCollection: false } complex)
            {
                return null;
            }

            type = complex.ComplexType;
        }

        return type.FindProperty(member.Member);
    }

    /// <summary>
    /// The statement over <paramref name="source"/>'s entities: a projection of <c>new object[] { key parts..., new values... }</c>
    /// per entity, translated as a <c>Select</c>.
    /// </summary>
    private LsmNonQueryExpression? TranslateNonQuery(
        ShapedQueryExpression source,
        IReadOnlyList<(IProperty Property, LambdaExpression PropertySelector, Expression Value)> setters,
        string operation)
    {
        if (EntityTypeOf(source, operation) is not { } entityType)
        {
            return null;
        }

        var entity = Expression.Parameter(entityType.ClrType, "entity");
        var values = new List<Expression>();
        var key = entityType.FindPrimaryKey()!;
        foreach (var property in key.Properties)
        {
            values.Add(Expression.Convert(entity.CreateEFPropertyExpression(property, makeNullable: false), typeof(object)));
        }

        foreach (var (property, propertySelector, value) in setters)
        {
            var body = value is LambdaExpression lambda
                ? ReplacingExpressionVisitor.Replace(lambda.Parameters[0], entity, lambda.Body)
                : value;
            if (body.Type != property.ClrType)
            {
                body = Expression.Convert(body, property.ClrType);
            }

            values.Add(Expression.Convert(body, typeof(object)));
        }

        var rows = TranslateSelect(source, Expression.Lambda(Expression.NewArrayInit(typeof(object), values), entity));
        return new LsmNonQueryExpression(rows, entityType, key.Properties.Count, [.. setters.Select(s => s.Property)]);
    }

    /// <summary>The entity type whose stored rows <paramref name="source"/> yields; otherwise null, with the reason.</summary>
    private IEntityType? EntityTypeOf(ShapedQueryExpression source, string operation)
    {
        if (source.ShaperExpression is StructuralTypeShaperExpression { StructuralType: IEntityType entityType }
            && LsmCatalog.HasKeyspace(entityType.GetRootType())
            && !entityType.IsOwned())
        {
            return entityType;
        }

        // A navigation read in a setter's value makes EF's navigation expansion join its entity type to the source, so the
        // source yields pairs of entities (EF's TransparentIdentifier) rather than the entities to change: say why.
        var joined = source.ShaperExpression.Type is { IsGenericType: true } type
            && type.GetGenericTypeDefinition().Name.StartsWith("TransparentIdentifier", StringComparison.Ordinal);
        AddTranslationErrorDetails(
            $"{operation} needs a query whose result is the entities of one stored entity type, not a projection, an aggregate, "
            + "an owned or a keyless type."
            + (joined
                ? $" Here a navigation read in a value joins another entity type to the query: read the values in a query first, "
                    + $"then run {operation} with them per key, or set values computed from the entity's own properties."
                : ""));
        return null;
    }
}
