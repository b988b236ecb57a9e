using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Where an entity's values are in the current row of a query: per property (of the entity type's hierarchy, its complex
/// properties' types, and the slots of its owned collections) the server expression that reads it, and per owned
/// reference navigation the shaper of the owned entity, whose values live in the same row (docs/row_encoding.md, owned
/// types). Reads are <c>ValueBufferTryReadValue</c> calls tagged with their property, which is what lets the compiled
/// query decode only the properties it reads.
/// </summary>
internal sealed class LsmEntityProjectionExpression : Expression, IPrintableExpression
{
    private readonly Dictionary<IPropertyBase, Expression> _reads;
    private readonly Dictionary<INavigation, StructuralTypeShaperExpression> _ownedReferences;

    public LsmEntityProjectionExpression(
        IEntityType entityType,
        Dictionary<IPropertyBase, Expression> reads,
        Dictionary<INavigation, StructuralTypeShaperExpression>? ownedReferences = null)
    {
        EntityType = entityType;
        _reads = reads;
        _ownedReferences = ownedReferences ?? [];
    }

    public IEntityType EntityType { get; }

    public override Type Type => EntityType.ClrType;

    public override ExpressionType NodeType => ExpressionType.Extension;

    /// <summary>Every read, in a fixed order (the order a projection copies them in).</summary>
    public IEnumerable<KeyValuePair<IPropertyBase, Expression>> Reads => _reads;

    public IEnumerable<KeyValuePair<INavigation, StructuralTypeShaperExpression>> OwnedReferences => _ownedReferences;

    /// <summary>The read of <paramref name="property"/>, which must belong to this entity type's hierarchy or its nested types.</summary>
    public Expression BindProperty(IPropertyBase property) =>
        _reads.TryGetValue(property, out var read)
            ? read
            : throw new InvalidOperationException(
                $"The property '{property.DeclaringType.DisplayName()}.{property.Name}' cannot be read from a projection of "
                + $"'{EntityType.DisplayName()}'.");

    public bool TryBindProperty(IPropertyBase property, out Expression read) => _reads.TryGetValue(property, out read!);

    /// <summary>The shaper of an owned reference navigation's target, stored in the same row; null for other navigations.</summary>
    public StructuralTypeShaperExpression? BindOwnedReference(INavigation navigation) =>
        _ownedReferences.GetValueOrDefault(navigation);

    /// <summary>The same entity as a derived type (OfType): reads of sibling types' properties are dropped.</summary>
    public LsmEntityProjectionExpression UpdateEntityType(IEntityType derivedType)
    {
        var reads = new Dictionary<IPropertyBase, Expression>();
        foreach (var (property, read) in _reads)
        {
            if (property.DeclaringType is not IEntityType declaring
                || derivedType.IsAssignableFrom(declaring)
                || declaring.IsAssignableFrom(derivedType))
            {
                reads[property] = read;
            }
        }

        var owned = new Dictionary<INavigation, StructuralTypeShaperExpression>();
        foreach (var (navigation, shaper) in _ownedReferences)
        {
            if (derivedType.IsAssignableFrom(navigation.DeclaringEntityType) || navigation.DeclaringEntityType.IsAssignableFrom(derivedType))
            {
                owned[navigation] = shaper;
            }
        }

        return new LsmEntityProjectionExpression(derivedType, reads, owned);
    }

    /// <summary>
    /// This projection with every read (its own and its owned entities') replaced by <paramref name="remap"/>'s result: how a
    /// projection follows its values into a new row layout (after a join, a projection, a set operation...).
    /// </summary>
    public LsmEntityProjectionExpression Remap(Func<IPropertyBase, Expression, Expression> remap)
    {
        var reads = new Dictionary<IPropertyBase, Expression>();
        foreach (var (property, read) in _reads)
        {
            reads[property] = remap(property, read);
        }

        var owned = new Dictionary<INavigation, StructuralTypeShaperExpression>();
        foreach (var (navigation, shaper) in _ownedReferences)
        {
            var inner = ((LsmEntityProjectionExpression)shaper.ValueBufferExpression).Remap(remap);
            owned[navigation] = shaper.Update(inner);
        }

        return new LsmEntityProjectionExpression(EntityType, reads, owned);
    }

    public LsmEntityProjectionExpression Clone() => Remap(static (_, read) => read);

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    void IPrintableExpression.Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.AppendLine("LsmEntityProjection(" + EntityType.DisplayName() + "):");
        using (expressionPrinter.Indent())
        {
            foreach (var (property, read) in _reads)
            {
                expressionPrinter.Append(property.Name + " -> ");
                expressionPrinter.Visit(read);
                expressionPrinter.AppendLine();
            }
        }
    }
}
