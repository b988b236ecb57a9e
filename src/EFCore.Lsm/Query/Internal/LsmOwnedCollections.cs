using System.Linq.Expressions;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Queries over the owned collections stored in an owner's row (docs/row_encoding.md, "Owned values"): the owner's decoded
/// row holds the collection's element rows in one slot, so a query of the collection (<c>c.Addresses.Any(...)</c>, a
/// <c>SelectMany</c>, the include that loads it) is a query over that slot, correlated with the owner's row.
/// </summary>
internal static class LsmOwnedCollections
{
    private static readonly IEnumerable<ValueBuffer> NoElements = [];

    /// <summary>A query over the elements of <paramref name="navigation"/> in the row <paramref name="owner"/> is read from.</summary>
    public static ShapedQueryExpression CreateQuery(
        INavigation navigation, LsmEntityProjectionExpression owner, LsmExpressionTranslatingExpressionVisitor expressionTranslator)
    {
        if (!owner.TryBindProperty(navigation, out var elements))
        {
            throw new InvalidOperationException(
                $"The owned collection '{navigation.DeclaringEntityType.DisplayName()}.{navigation.Name}' is not part of this projection.");
        }

        var layout = LsmRowLayout.FindElementLayout(navigation);
        var source = Expression.Coalesce(elements, Expression.Constant(NoElements, typeof(IEnumerable<ValueBuffer>)));
        var query = LsmQueryExpression.ForNestedRows(navigation.TargetEntityType, source, layout);
        return new ShapedQueryExpression(
            query,
            new StructuralTypeShaperExpression(
                navigation.TargetEntityType,
                new ProjectionBindingExpression(query, new ProjectionMember(), typeof(ValueBuffer)),
                nullable: false));
    }
}
