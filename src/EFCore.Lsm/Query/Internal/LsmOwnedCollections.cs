using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>Queries over the owned collections stored in an owner's row.</summary>
internal static class LsmOwnedCollections
{
    /// <summary>A query over the elements of <paramref name="navigation"/> in the row <paramref name="owner"/> is read from.</summary>
    public static ShapedQueryExpression CreateQuery(
        INavigation navigation, LsmEntityProjectionExpression owner, LsmExpressionTranslatingExpressionVisitor expressionTranslator) =>
        throw new InvalidOperationException(
            $"The owned collection '{navigation.DeclaringEntityType.DisplayName()}.{navigation.Name}' cannot be queried yet.");
}
