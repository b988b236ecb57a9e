using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Compiles a translated query: the projection is applied (the last row holds what the shaper reads), the shaper is
/// processed into a delegate over that row (EF's materializers build, and when tracking track and identity-resolve,
/// entities; includes and collections are filled from their subqueries' rows), and the server query's sources become
/// access paths (<see cref="LsmAccessPathRewriter"/>: point gets, key and index ranges, lookup joins, scans that decode
/// only the properties the query reads), and the filters and aggregates over a scan run in its loop on the stored rows
/// (<see cref="LsmScanFusion"/>).
/// </summary>
internal sealed partial class LsmShapedQueryCompilingExpressionVisitor(
    ShapedQueryCompilingExpressionVisitorDependencies dependencies,
    QueryCompilationContext queryCompilationContext)
    : ShapedQueryCompilingExpressionVisitor(dependencies, queryCompilationContext)
{
    private readonly bool _threadSafetyChecksEnabled = dependencies.CoreSingletonOptions.AreThreadSafetyChecksEnabled;

    protected override Expression VisitShapedQuery(ShapedQueryExpression shapedQueryExpression)
    {
        var query = (LsmQueryExpression)shapedQueryExpression.QueryExpression;
        query.ApplyProjection();
        var shaper = new ShaperProcessor(this, query, QueryCompilationContext.QueryTrackingBehavior == QueryTrackingBehavior.TrackAll)
            .ProcessShaper(shapedQueryExpression.ShaperExpression);
        var server = LsmScanFusion.Rewrite(LsmAccessPathRewriter.Rewrite(query.ServerQueryExpression));
        var enumerableType = typeof(LsmQueryingEnumerable<>).MakeGenericType(shaper.ReturnType);
        return Expression.New(
            enumerableType.GetConstructors()[0],
            QueryCompilationContext.QueryContextParameter,
            server,
            Expression.Constant(shaper.Compile()),
            Expression.Constant(QueryCompilationContext.ContextType),
            Expression.Constant(QueryCompilationContext.QueryTrackingBehavior == QueryTrackingBehavior.NoTrackingWithIdentityResolution),
            Expression.Constant(_threadSafetyChecksEnabled));
    }
}

/// <summary>Creates the provider's shaped query compiler for each query compilation.</summary>
internal sealed class LsmShapedQueryCompilingExpressionVisitorFactory(ShapedQueryCompilingExpressionVisitorDependencies dependencies)
    : IShapedQueryCompilingExpressionVisitorFactory
{
    public ShapedQueryCompilingExpressionVisitor Create(QueryCompilationContext queryCompilationContext) =>
        new LsmShapedQueryCompilingExpressionVisitor(dependencies, queryCompilationContext);
}
