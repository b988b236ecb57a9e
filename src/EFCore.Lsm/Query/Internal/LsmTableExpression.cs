using System.Linq.Expressions;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// A source of a server query: the rows of an entity type's keyspace (its hierarchy root's, docs/catalog.md), decoded in
/// the root's <see cref="LsmRowLayout"/>. Before the query is compiled, <see cref="LsmAccessPathRewriter"/> replaces it
/// with the access path the filters, orderings and limits around it allow (a point get, a key or index range, a multi-get,
/// a full scan).
/// </summary>
internal sealed class LsmTableExpression(IEntityType entityType) : Expression, IPrintableExpression
{
    /// <summary>The entity type queried (a derived type of a hierarchy reads its root's keyspace).</summary>
    public IEntityType EntityType { get; } = entityType;

    public IEntityType Root { get; } = entityType.GetRootType();

    public override Type Type => typeof(IEnumerable<ValueBuffer>);

    public override ExpressionType NodeType => ExpressionType.Extension;

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    void IPrintableExpression.Print(ExpressionPrinter expressionPrinter) =>
        expressionPrinter.Append("LsmTable(" + EntityType.DisplayName() + ")");
}

/// <summary>The row filter that keeps the rows of one entity type of a hierarchy: its discriminator is one of its types' values.</summary>
internal static class LsmTypeFilter
{
    /// <summary>
    /// <c>discriminator == v1 || ...</c> over the concrete types of <paramref name="entityType"/>'s part of the hierarchy, or
    /// null when every row of the keyspace qualifies (the root of the hierarchy).
    /// </summary>
    public static Expression? Create(IEntityType entityType, LsmRowLayout layout, Expression row)
    {
        if (entityType.BaseType is null)
        {
            return null;
        }

        var discriminator = entityType.FindDiscriminatorProperty() ?? throw new InvalidOperationException(
            $"The entity type '{entityType.DisplayName()}' is part of a hierarchy but has no discriminator property; EFCore.Lsm "
            + "stores a hierarchy in one keyspace (TPH) and needs the discriminator to tell its rows apart.");
        var read = LsmRowReads.Read(row, discriminator.ClrType, layout.SlotOf(discriminator), discriminator);
        var comparer = discriminator.GetKeyValueComparer();
        Expression? test = null;
        foreach (var concrete in entityType.GetConcreteDerivedTypesInclusive())
        {
            var equals = comparer.ExtractEqualsBody(read, Constant(concrete.GetDiscriminatorValue(), discriminator.ClrType));
            test = test is null ? equals : OrElse(test, equals);
        }

        return test ?? Constant(false);
    }
}
