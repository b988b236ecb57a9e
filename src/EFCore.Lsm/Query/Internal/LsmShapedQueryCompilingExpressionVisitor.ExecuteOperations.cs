using System.Linq.Expressions;
using EFCore.Lsm.Update.Internal;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Compiles a translated <c>ExecuteDelete</c>/<c>ExecuteUpdate</c> into a call of the bulk writer: its rows query is
/// compiled exactly as a query is (<see cref="VisitShapedQuery"/>: projection, shaper, access paths), into a delegate the
/// writer runs at each attempt's view.
/// </summary>
internal sealed partial class LsmShapedQueryCompilingExpressionVisitor
{
    protected override Expression VisitExtension(Expression extensionExpression)
    {
        if (extensionExpression is not LsmNonQueryExpression nonQuery)
        {
            return base.VisitExtension(extensionExpression);
        }

        var queryContext = QueryCompilationContext.QueryContextParameter;
        var rows = Expression.Lambda<Func<QueryContext, IEnumerable<object[]>>>(VisitShapedQuery(nonQuery.Rows), queryContext).Compile();
        var operation = new LsmBulkOperation(nonQuery.EntityType, rows, nonQuery.KeyCount, nonQuery.SetProperties);
        return Expression.Call(
            QueryCompilationContext.IsAsync ? LsmBulkOperation.ExecuteAsyncMethod : LsmBulkOperation.ExecuteMethod,
            queryContext,
            Expression.Constant(operation));
    }
}
