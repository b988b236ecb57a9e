using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// <c>ExecuteDelete</c> and <c>ExecuteUpdate</c>: any query the provider runs over the rows of one entity type (filters,
/// orderings, Skip/Take, whatever the scan plan pushes down) becomes the set of rows to change, read at one view and
/// changed in one conditional batch (docs/bulk_operations.md). What cannot be translated is refused here, with EF's
/// "could not be translated" error and the reason.
/// </summary>
internal sealed partial class LsmQueryableMethodTranslatingExpressionVisitor
{
    protected override Expression? TranslateExecuteDelete(ShapedQueryExpression source) =>
        RowQuery(source, nameof(EntityFrameworkQueryableExtensions.ExecuteDelete)) is { } query
            ? new LsmNonQueryExpression(query, setters: null)
            : null;

    protected override Expression? TranslateExecuteUpdate(ShapedQueryExpression source, IReadOnlyList<ExecuteUpdateSetter> setters)
    {
        if (RowQuery(source, nameof(EntityFrameworkQueryableExtensions.ExecuteUpdate)) is not { } query)
        {
            return null;
        }

        var translated = new List<LsmSetter>(setters.Count);
        foreach (var (propertySelector, valueExpression) in setters)
        {
            var target = Remap(source, propertySelector);
            while (target is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
            {
                target = convert.Operand;
            }

            var property = target switch
            {
                MemberExpression { Expression: StructuralTypeShaperExpression shaper } member => shaper.StructuralType.FindProperty(member.Member),
                MethodCallExpression { Method.Name: nameof(EF.Property), Arguments: [StructuralTypeShaperExpression shaper, ConstantExpression { Value: string name }] }
                    => shaper.StructuralType.FindProperty(name),
                _ => null,
            };
            if (property is null || property.DeclaringType is not IEntityType)
            {
                AddTranslationErrorDetails(
                    $"ExecuteUpdate can set the mapped properties of '{query.EntityType.DisplayName()}' only; "
                    + $"'{propertySelector}' is not one.");
                return null;
            }

            if (property.IsKey())
            {
                AddTranslationErrorDetails(
                    $"ExecuteUpdate cannot set '{query.EntityType.DisplayName()}.{property.Name}': it is part of a key, and EFCore.Lsm "
                    + "stores a row under its keys (delete the rows and insert new ones instead).");
                return null;
            }

            var row = query.NewElementParameter();
            var value = valueExpression is LambdaExpression lambda ? Remap(source, lambda) : valueExpression;
            var body = LsmServerExpressionTranslator.Translate(value, row);
            if (body is null)
            {
                AddTranslationErrorDetails(
                    $"The value ExecuteUpdate sets '{property.Name}' to cannot be computed from the row: '{valueExpression}'.");
                return null;
            }

            if (body.Type != property.ClrType)
            {
                body = Expression.Convert(body, property.ClrType);
            }

            translated.Add(new LsmSetter(property, Expression.Lambda(body, row)));
        }

        return new LsmNonQueryExpression(query, translated);
    }

    /// <summary>The query of <paramref name="source"/> when it yields the rows of its entity type; otherwise null, with the reason.</summary>
    private LsmQueryExpression? RowQuery(ShapedQueryExpression source, string operation)
    {
        var query = Query(source);
        if (source.ShaperExpression is StructuralTypeShaperExpression { StructuralType: IEntityType entityType }
            && entityType == query.EntityType
            && query.IsRowMode)
        {
            return query;
        }

        AddTranslationErrorDetails(
            $"{operation} needs a query over the entities of '{query.EntityType.DisplayName()}' themselves, not a projection or an aggregate of them.");
        return null;
    }
}
