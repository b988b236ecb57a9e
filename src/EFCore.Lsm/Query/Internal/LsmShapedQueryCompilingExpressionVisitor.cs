using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Compiles a translated query: the scan plan (<see cref="LsmScanPlanner"/>), the LINQ-to-objects server query over its
/// rows, and the shaper, in which EF's materializers build (and, when tracking, track and identity-resolve) entities.
/// </summary>
internal sealed partial class LsmShapedQueryCompilingExpressionVisitor(
    ShapedQueryCompilingExpressionVisitorDependencies dependencies,
    QueryCompilationContext queryCompilationContext)
    : ShapedQueryCompilingExpressionVisitor(dependencies, queryCompilationContext)
{
    protected override Expression VisitShapedQuery(ShapedQueryExpression shapedQueryExpression)
    {
        var query = (LsmQueryExpression)shapedQueryExpression.QueryExpression;
        var serverDelegate = CompileServerQuery(query);
        var queryContext = QueryCompilationContext.QueryContextParameter;

        var element = Expression.Parameter(query.ElementType, "element");
        var shaper = LsmServerExpressionTranslator.Translate(shapedQueryExpression.ShaperExpression, element, forShaper: true)
            ?? throw new InvalidOperationException(
                CoreStrings.TranslationFailed(ExpressionPrinter.Print(shapedQueryExpression.ShaperExpression)));
        shaper = InjectStructuralTypeMaterializers(shaper);
        var shaperDelegate = Expression.Lambda(shaper, queryContext, element).Compile();

        var enumerableType = typeof(LsmQueryingEnumerable<,>).MakeGenericType(query.ElementType, shaper.Type);
        return Expression.New(
            enumerableType.GetConstructors()[0],
            queryContext,
            Expression.Constant(serverDelegate),
            Expression.Constant(shaperDelegate),
            Expression.Constant(QueryCompilationContext.ContextType),
            Expression.Constant(QueryCompilationContext.QueryTrackingBehavior == QueryTrackingBehavior.NoTrackingWithIdentityResolution));
    }

    /// <summary>
    /// The server part of <paramref name="query"/>: its scan plan (<see cref="LsmScanPlanner"/>) and the LINQ-to-objects
    /// operators over the scan's rows, as a <c>Func&lt;QueryContext, IEnumerable&lt;ElementType&gt;&gt;</c>.
    /// </summary>
    internal static Delegate CompileServerQuery(LsmQueryExpression query)
    {
        query.EndScanPhase();
        var plan = LsmScanPlanner.Plan(query);
        var queryContext = QueryCompilationContext.QueryContextParameter;
        var rows = Expression.Call(LsmRowSource.RowsMethod, queryContext, Expression.Constant(plan));
        var server = ReplacingExpressionVisitor.Replace(query.ScanParameter, rows, query.ServerQueryExpression);
        var elementSequence = typeof(IEnumerable<>).MakeGenericType(query.ElementType);
        return Expression.Lambda(
                typeof(Func<,>).MakeGenericType(typeof(QueryContext), elementSequence),
                server.Type == elementSequence ? server : Expression.Convert(server, elementSequence),
                queryContext)
            .Compile();
    }
}

/// <summary>Creates the provider's shaped query compiler for each query compilation.</summary>
internal sealed class LsmShapedQueryCompilingExpressionVisitorFactory(ShapedQueryCompilingExpressionVisitorDependencies dependencies)
    : IShapedQueryCompilingExpressionVisitorFactory
{
    public ShapedQueryCompilingExpressionVisitor Create(QueryCompilationContext queryCompilationContext) =>
        new LsmShapedQueryCompilingExpressionVisitor(dependencies, queryCompilationContext);
}
