using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Binds navigations to owned types in a lambda body before it is translated. EF's navigation expansion leaves them as
/// member accesses (<c>EF.Property(c, "Address")</c>), since where owned entities live is the provider's business: here they
/// live in their owner's row (docs/row_encoding.md), so an owned reference is the owned shaper bound to the owner's
/// projection, and an owned collection is a query over the nested rows of the owner's row.
/// </summary>
internal sealed class OwnedNavigationExpandingExpressionVisitor(LsmExpressionTranslatingExpressionVisitor expressionTranslator)
    : ExpressionVisitor
{
    private LsmQueryExpression _query = null!;

    public Expression Expand(LsmQueryExpression query, Expression body)
    {
        _query = query;
        return Visit(body);
    }

    protected override Expression VisitMember(MemberExpression node)
    {
        // (test ? a : b).Member → test ? a.Member : b.Member, so each branch can bind.
        if (node.Expression is ConditionalExpression conditional)
        {
            return Visit(Expression.Condition(
                conditional.Test,
                Expression.MakeMemberAccess(conditional.IfTrue, node.Member),
                Expression.MakeMemberAccess(conditional.IfFalse, node.Member)));
        }

        var inner = Visit(node.Expression);
        return TryExpand(inner, node.Member.Name, node.Member) ?? node.Update(inner);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (node.TryGetEFPropertyArguments(out var source, out var name))
        {
            source = Visit(source);
            return TryExpand(source, name, member: null) ?? node.Update(null, [source, node.Arguments[1]]);
        }

        return base.VisitMethodCall(node);
    }

    protected override Expression VisitExtension(Expression node) =>
        node is StructuralTypeShaperExpression or ShapedQueryExpression or GroupByShaperExpression ? node : base.VisitExtension(node);

    private Expression? TryExpand(Expression? source, string name, System.Reflection.MemberInfo? member)
    {
        var convertedType = (Type?)null;
        if (source is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.TypeAs } convert)
        {
            convertedType = convert.Type;
            source = convert.Operand;
        }

        if (source is not StructuralTypeShaperExpression { StructuralType: IEntityType shaperType } shaper)
        {
            return null;
        }

        var entityType = convertedType is null
            ? shaperType
            : shaperType.GetRootType().GetDerivedTypesInclusive().FirstOrDefault(t => t.ClrType == convertedType);
        var navigation = member is not null ? entityType?.FindNavigation(member) : entityType?.FindNavigation(name);
        if (navigation is null || !navigation.TargetEntityType.IsOwned() || navigation.ForeignKey.IsOwnership is false)
        {
            return null;
        }

        var projection = shaper.ValueBufferExpression is ProjectionBindingExpression binding
            ? (LsmEntityProjectionExpression)_query.GetProjection(binding)
            : (LsmEntityProjectionExpression)shaper.ValueBufferExpression;
        if (navigation.IsCollection)
        {
            return LsmOwnedCollections.CreateQuery(navigation, projection, expressionTranslator);
        }

        return projection.BindOwnedReference(navigation) ?? throw new InvalidOperationException(
            $"The owned navigation '{navigation.DeclaringEntityType.DisplayName()}.{navigation.Name}' is not part of this projection.");
    }
}
