using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Stands in a shaper for the current element of the server query: the row (a <c>ValueBuffer</c> in property-index
/// order) while the query still yields rows, or the projected value once a projection moved to the server. The shaped
/// query compiler replaces it with the element parameter of the shaper lambda.
/// </summary>
internal sealed class LsmElementExpression(Type type) : Expression, IPrintableExpression
{
    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type { get; } = type;

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    public void Print(ExpressionPrinter expressionPrinter) => expressionPrinter.Append($"element<{Type.Name}>");
}
