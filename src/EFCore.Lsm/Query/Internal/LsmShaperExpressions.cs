using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// In a shaper: a collection computed per element by a subquery — <see cref="Projection"/> binds the subquery's rows (an
/// <c>IEnumerable&lt;ValueBuffer&gt;</c> the server computes for the current element), <see cref="InnerShaper"/> shapes each.
/// For a collection navigation (an Include, or a navigation projected), <see cref="Navigation"/> names it.
/// </summary>
internal sealed class LsmCollectionResultShaperExpression(
    Expression projection, Expression innerShaper, INavigationBase? navigation, Type elementType) : Expression, IPrintableExpression
{
    public Expression Projection { get; } = projection;

    public Expression InnerShaper { get; } = innerShaper;

    public INavigationBase? Navigation { get; } = navigation;

    public Type ElementType { get; } = elementType;

    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type => Navigation?.ClrType ?? typeof(List<>).MakeGenericType(ElementType);

    protected override Expression VisitChildren(ExpressionVisitor visitor)
    {
        var projection = visitor.Visit(Projection);
        var innerShaper = visitor.Visit(InnerShaper);
        return projection != Projection || innerShaper != InnerShaper
            ? new LsmCollectionResultShaperExpression(projection, innerShaper, Navigation, ElementType)
            : this;
    }

    void IPrintableExpression.Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append("LsmCollectionResultShaper(");
        expressionPrinter.Visit(Projection);
        expressionPrinter.Append(", ");
        expressionPrinter.Visit(InnerShaper);
        expressionPrinter.Append($", {Navigation?.Name})");
    }
}

/// <summary>In a shaper: the one result of a subquery per element (null when it has none), shaped by <see cref="InnerShaper"/>.</summary>
internal sealed class LsmSingleResultShaperExpression(Expression projection, Expression innerShaper) : Expression, IPrintableExpression
{
    public Expression Projection { get; } = projection;

    public Expression InnerShaper { get; } = innerShaper;

    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type => InnerShaper.Type;

    protected override Expression VisitChildren(ExpressionVisitor visitor)
    {
        var projection = visitor.Visit(Projection);
        var innerShaper = visitor.Visit(InnerShaper);
        return projection != Projection || innerShaper != InnerShaper ? new LsmSingleResultShaperExpression(projection, innerShaper) : this;
    }

    void IPrintableExpression.Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append("LsmSingleResultShaper(");
        expressionPrinter.Visit(Projection);
        expressionPrinter.Append(", ");
        expressionPrinter.Visit(InnerShaper);
        expressionPrinter.Append(")");
    }
}

/// <summary>A group of a query that ends in GroupBy: its key and its elements, materialized with the rest of the row.</summary>
internal sealed class LsmGrouping<TKey, TElement>(TKey key, List<TElement> elements) : IGrouping<TKey, TElement>
{
    public TKey Key { get; } = key;

    public IEnumerator<TElement> GetEnumerator() => elements.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Creates <see cref="LsmGrouping{TKey, TElement}"/>s in shapers.</summary>
internal static class LsmGrouping
{
    public static readonly System.Reflection.MethodInfo CreateMethod = typeof(LsmGrouping).GetMethod(nameof(Create))!;

    public static IGrouping<TKey, TElement> Create<TKey, TElement>(TKey key, List<TElement> elements) => new LsmGrouping<TKey, TElement>(key, elements);
}
