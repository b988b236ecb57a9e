using System.Linq.Expressions;
using EFCore.Lsm.Update.Internal;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>Compiles a translated <c>ExecuteDelete</c>/<c>ExecuteUpdate</c> into a call of the bulk writer.</summary>
internal sealed partial class LsmShapedQueryCompilingExpressionVisitor
{
    protected override Expression VisitExtension(Expression extensionExpression)
    {
        if (extensionExpression is not LsmNonQueryExpression nonQuery)
        {
            return base.VisitExtension(extensionExpression);
        }

        var rows = (Func<QueryContext, IEnumerable<ValueBuffer>>)CompileServerQuery(nonQuery.Query);
        var queryContext = QueryCompilationContext.QueryContextParameter;
        var setters = nonQuery.Setters?.Select(setter => new LsmBulkSetter(
                setter.Property,
                Expression.Lambda<Func<QueryContext, ValueBuffer, object?>>(
                        Expression.Convert(setter.Value.Body, typeof(object)), queryContext, setter.Value.Parameters[0])
                    .Compile()))
            .ToList();
        var operation = new LsmBulkOperation(nonQuery.Query.EntityType, rows, setters);
        return Expression.Call(
            QueryCompilationContext.IsAsync ? LsmBulkOperation.ExecuteAsyncMethod : LsmBulkOperation.ExecuteMethod,
            queryContext,
            Expression.Constant(operation));
    }
}
