using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// A translated <c>ExecuteDelete</c> (no <see cref="Setters"/>) or <c>ExecuteUpdate</c>: the query over the rows to change
/// and, for an update, the new value of each set property. The shaped query compiler turns it into a call of the bulk
/// writer (<see cref="Update.Internal.LsmBulkOperation"/>), which returns the number of rows changed.
/// </summary>
internal sealed class LsmNonQueryExpression(LsmQueryExpression query, IReadOnlyList<LsmSetter>? setters) : Expression, IPrintableExpression
{
    public LsmQueryExpression Query { get; } = query;

    /// <summary>The properties an update sets; null for a delete.</summary>
    public IReadOnlyList<LsmSetter>? Setters { get; } = setters;

    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type => typeof(int);

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    public void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append(Setters is null ? "ExecuteDelete(" : "ExecuteUpdate(");
        expressionPrinter.Visit(Query);
        foreach (var setter in Setters ?? [])
        {
            expressionPrinter.Append($", {setter.Property.Name} = ");
            expressionPrinter.Visit(setter.Value);
        }

        expressionPrinter.Append(")");
    }
}

/// <summary>One property an <c>ExecuteUpdate</c> sets, and its new value: a server lambda over the old row.</summary>
/// <param name="Property">The property set (not part of a key).</param>
/// <param name="Value">
/// <c>(ValueBuffer row) =&gt; value</c> of the property's CLR type, reading query parameters from
/// <see cref="QueryCompilationContext.QueryContextParameter"/>.
/// </param>
internal sealed record LsmSetter(IProperty Property, LambdaExpression Value);
