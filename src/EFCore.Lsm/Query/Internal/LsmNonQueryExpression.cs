using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// A translated <c>ExecuteDelete</c> (no <see cref="SetProperties"/>) or <c>ExecuteUpdate</c>: <see cref="Rows"/> is the
/// query over the entities to change, projected to one <c>object[]</c> per entity holding its primary key values (the first
/// <see cref="KeyCount"/>) and then the new value of each of <see cref="SetProperties"/>, computed from the entity as read.
/// The shaped query compiler turns it into a call of the bulk writer (<see cref="Update.Internal.LsmBulkOperation"/>),
/// which returns the number of rows changed.
/// </summary>
internal sealed class LsmNonQueryExpression(
    ShapedQueryExpression rows, IEntityType entityType, int keyCount, IReadOnlyList<IProperty> setProperties)
    : Expression, IPrintableExpression
{
    public ShapedQueryExpression Rows { get; } = rows;

    /// <summary>The entity type the query yields (a hierarchy's rows are changed in its root's keyspace).</summary>
    public IEntityType EntityType { get; } = entityType;

    public int KeyCount { get; } = keyCount;

    /// <summary>The properties an update sets, in the order of their values after the key; empty for a delete.</summary>
    public IReadOnlyList<IProperty> SetProperties { get; } = setProperties;

    public bool IsDelete => SetProperties.Count == 0;

    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type => typeof(int);

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    public void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append(IsDelete ? "ExecuteDelete(" : "ExecuteUpdate(");
        expressionPrinter.Visit(Rows);
        foreach (var property in SetProperties)
        {
            expressionPrinter.Append($", {property.Name}");
        }

        expressionPrinter.Append(")");
    }
}
