using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The query over one entity type as the provider runs it: a scan of the type's rows (<see cref="ScanParameter"/>, a
/// sequence of <see cref="ValueBuffer"/>s in property-index order) followed by LINQ-to-objects operators
/// (<see cref="ServerQueryExpression"/>). While the rows still flow straight from the scan through filters (the scan
/// phase), the filters, the orderings and a row limit are also recorded so that the scan can be narrowed
/// (<see cref="LsmScanPlanner"/>); the filters always run after the scan as well, so narrowing never changes a result.
/// </summary>
internal sealed class LsmQueryExpression : Expression, IPrintableExpression
{
    private readonly List<LambdaExpression> _scanPredicates = [];
    private readonly List<(LambdaExpression KeySelector, bool Ascending)> _pendingOrderings = [];

    public LsmQueryExpression(IEntityType entityType)
    {
        EntityType = entityType;
        ServerQueryExpression = ScanParameter;
    }

    public IEntityType EntityType { get; }

    /// <summary>The rows of the scan; replaced by the real scan when the query is compiled.</summary>
    public ParameterExpression ScanParameter { get; } = Parameter(typeof(IEnumerable<ValueBuffer>), "rows");

    /// <summary>The LINQ-to-objects query over <see cref="ScanParameter"/>, of type <c>IEnumerable&lt;ElementType&gt;</c>.</summary>
    public Expression ServerQueryExpression { get; private set; }

    /// <summary>The server element: <see cref="ValueBuffer"/> (a row) until a projection or an aggregate moves to the server.</summary>
    public Type ElementType { get; private set; } = typeof(ValueBuffer);

    public bool IsRowMode => ElementType == typeof(ValueBuffer);

    /// <summary>Whether rows still flow from the scan through filters only (orderings pending), so the scan may be narrowed.</summary>
    public bool InScanPhase { get; private set; } = true;

    /// <summary>Filters applied to the scan's rows during the scan phase (each also applied after the scan).</summary>
    public IReadOnlyList<LambdaExpression> ScanPredicates => _scanPredicates;

    /// <summary>Orderings the scan's key order satisfies, so no sort runs; empty when a sort runs (or none was asked for).</summary>
    public IReadOnlyList<(LambdaExpression KeySelector, bool Ascending)> KeyOrderings { get; private set; } = [];

    /// <summary>Whether the scan runs in descending key order (a descending ordering satisfied by key order).</summary>
    public bool ReverseScan { get; private set; }

    /// <summary>A row limit for the scan (a server expression of type int), when nothing between scan and Take drops rows.</summary>
    public Expression? ScanLimit { get; private set; }

    public override ExpressionType NodeType => ExpressionType.Extension;

    public override Type Type => typeof(IEnumerable<>).MakeGenericType(ElementType);

    /// <summary>A parameter for a lambda over the server element.</summary>
    public ParameterExpression NewElementParameter() => Parameter(ElementType, IsRowMode ? "row" : "element");

    /// <summary>A lambda over the server element computing <paramref name="body"/> (written against the shaper), or null.</summary>
    public LambdaExpression? TranslateLambda(Expression body)
    {
        var element = NewElementParameter();
        var translated = LsmServerExpressionTranslator.Translate(body, element);
        return translated is null ? null : Lambda(translated, element);
    }

    /// <summary>A server expression not depending on the element (a Skip/Take count), or null.</summary>
    public static Expression? TranslateValue(Expression value) =>
        LsmServerExpressionTranslator.Translate(value, Parameter(typeof(object), "unused"));

    public void ApplyWhere(LambdaExpression predicate)
    {
        ServerQueryExpression = Call(typeof(Enumerable), nameof(Enumerable.Where), [ElementType], ServerQueryExpression, predicate);
        if (InScanPhase && IsRowMode)
        {
            _scanPredicates.Add(predicate);
        }
    }

    public void ApplyOrdering(LambdaExpression keySelector, bool ascending, bool thenBy)
    {
        if (InScanPhase)
        {
            if (!thenBy)
            {
                _pendingOrderings.Clear();
            }

            _pendingOrderings.Add((keySelector, ascending));
            return;
        }

        ApplySort(keySelector, ascending, thenBy);
    }

    /// <summary>
    /// Ends the scan phase: from here on rows are changed, dropped by position or reordered, so the scan must yield them
    /// all, in the order the pending orderings ask for (a sort runs unless the key order already gives it).
    /// </summary>
    public void EndScanPhase()
    {
        if (!InScanPhase)
        {
            return;
        }

        InScanPhase = false;
        if (_pendingOrderings.Count == 0)
        {
            return;
        }

        if (LsmScanPlanner.MatchKeyOrder(EntityType, _pendingOrderings, out var reverse))
        {
            KeyOrderings = [.. _pendingOrderings];
            ReverseScan = reverse;
            return;
        }

        for (var i = 0; i < _pendingOrderings.Count; i++)
        {
            ApplySort(_pendingOrderings[i].KeySelector, _pendingOrderings[i].Ascending, thenBy: i > 0);
        }
    }

    /// <summary>Reverses the pending orderings (for Last), if there are any; false when the phase is over or there are none.</summary>
    public bool TryReversePendingOrderings()
    {
        if (!InScanPhase || _pendingOrderings.Count == 0)
        {
            return false;
        }

        for (var i = 0; i < _pendingOrderings.Count; i++)
        {
            _pendingOrderings[i] = (_pendingOrderings[i].KeySelector, !_pendingOrderings[i].Ascending);
        }

        return true;
    }

    public void ApplySkip(Expression count)
    {
        EndScanPhase();
        ServerQueryExpression = Call(typeof(Enumerable), nameof(Enumerable.Skip), [ElementType], ServerQueryExpression, count);
    }

    public void ApplyTake(Expression count)
    {
        var scanPhase = InScanPhase && IsRowMode;
        EndScanPhase();
        if (scanPhase && _scanPredicates.Count == 0 && (_pendingOrderings.Count == 0 || KeyOrderings.Count > 0))
        {
            ScanLimit = count;
        }

        ServerQueryExpression = Call(typeof(Enumerable), nameof(Enumerable.Take), [ElementType], ServerQueryExpression, count);
    }

    /// <summary>Applies a LINQ-to-objects operator that keeps the element type (Distinct, Reverse, DefaultIfEmpty...).</summary>
    public void ApplySequenceOperator(string name, params Expression[] arguments)
    {
        EndScanPhase();
        ServerQueryExpression = Call(typeof(Enumerable), name, [ElementType], [ServerQueryExpression, .. arguments]);
    }

    /// <summary>
    /// Moves <paramref name="shaper"/> to the server: the element becomes its value. Null (nothing changed) when the shaper
    /// needs a materialized entity; otherwise the new shaper, the element itself.
    /// </summary>
    public Expression? ApplyServerProjection(Expression shaper)
    {
        if (shaper is LsmElementExpression)
        {
            return shaper;
        }

        var selector = TranslateLambda(shaper);
        if (selector is null)
        {
            return null;
        }

        EndScanPhase();
        ServerQueryExpression = Call(
            typeof(Enumerable), nameof(Enumerable.Select), [ElementType, selector.ReturnType], ServerQueryExpression, selector);
        ElementType = selector.ReturnType;
        return new LsmElementExpression(ElementType);
    }

    /// <summary>
    /// Replaces the query by one element computed from the whole sequence (an aggregate); <paramref name="aggregate"/>
    /// builds it from the current server query. Returns the new shaper.
    /// </summary>
    public Expression ApplyAggregate(Func<Expression, Expression> aggregate)
    {
        EndScanPhase();
        var value = aggregate(ServerQueryExpression);
        ServerQueryExpression = NewArrayInit(value.Type, value);
        ElementType = value.Type;
        return new LsmElementExpression(ElementType);
    }

    private void ApplySort(LambdaExpression keySelector, bool ascending, bool thenBy)
    {
        var name = (thenBy, ascending) switch
        {
            (false, true) => nameof(Enumerable.OrderBy),
            (false, false) => nameof(Enumerable.OrderByDescending),
            (true, true) => nameof(Enumerable.ThenBy),
            (true, false) => nameof(Enumerable.ThenByDescending),
        };
        ServerQueryExpression = Call(
            typeof(Enumerable), name, [ElementType, keySelector.ReturnType], ServerQueryExpression, keySelector);
    }

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    public void Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.Append($"LsmQuery({EntityType.DisplayName()}): ");
        expressionPrinter.Visit(ServerQueryExpression);
    }
}
