using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

internal sealed partial class LsmQueryExpression
{
    /// <summary>The server query of a single-valued query: one row, computed when enumerated (none when it is empty).</summary>
    internal sealed class ResultEnumerable(Func<ValueBuffer> getRow) : IEnumerable<ValueBuffer>
    {
        public IEnumerator<ValueBuffer> GetEnumerator()
        {
            var row = getRow();
            if (!row.IsEmpty)
            {
                yield return row;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Rebinds projection bindings of this query to the new members of a join's result (Outer./Inner. prefixes).</summary>
    private sealed class ProjectionMemberRemappingExpressionVisitor(
        Expression queryExpression, Dictionary<ProjectionMember, ProjectionMember> memberMap) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node) =>
            node is ProjectionBindingExpression { ProjectionMember: { } member } binding
                ? new ProjectionBindingExpression(queryExpression, memberMap[member], binding.Type)
                : base.VisitExtension(node);
    }

    /// <summary>Rebinds projection bindings from one query expression to another (its clone).</summary>
    private sealed class QueryExpressionReplacingExpressionVisitor(Expression oldQuery, Expression newQuery) : ExpressionVisitor
    {
        [return: NotNullIfNotNull(nameof(node))]
        public override Expression? Visit(Expression? node) =>
            node is ProjectionBindingExpression binding && ReferenceEquals(binding.QueryExpression, oldQuery)
                ? binding.ProjectionMember is { } member
                    ? new ProjectionBindingExpression(newQuery, member, binding.Type)
                    : new ProjectionBindingExpression(newQuery, binding.Index!.Value, binding.Type)
                : base.Visit(node);
    }

    /// <summary>Copies the mutable parts of a query expression (projections of entities, nested queries).</summary>
    private sealed class CloningExpressionVisitor : ExpressionVisitor
    {
        [return: NotNullIfNotNull(nameof(node))]
        public override Expression? Visit(Expression? node) =>
            node switch
            {
                LsmQueryExpression query => query.Clone(),
                LsmEntityProjectionExpression entity => entity.Clone(),
                _ => base.Visit(node),
            };
    }

    /// <summary>Marks the entity shapers of an outer join's inner side nullable.</summary>
    private sealed class ShaperNullableMarkingExpressionVisitor : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node) =>
            node is StructuralTypeShaperExpression shaper ? shaper.MakeNullable() : base.VisitExtension(node);
    }
}
