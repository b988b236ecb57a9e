using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The last step of compiling a server query: every <see cref="LsmTableExpression"/> becomes a call of
/// <see cref="LsmRowSource"/> with its access plan. The operators applied directly to a table — filters, an ordering, Skip
/// and Take — are read to choose the plan (<see cref="LsmAccessPlanner"/>): an ordering the plan's key order gives is
/// removed, and a Take (after Skip) becomes the scan's limit when the plan enforces every filter exactly. Filters always
/// stay, so a plan never changes a result. Each source decodes only the properties the whole query reads.
/// </summary>
internal sealed class LsmAccessPathRewriter : ExpressionVisitor
{
    private readonly IReadOnlySet<IPropertyBase> _readProperties;

    private LsmAccessPathRewriter(IReadOnlySet<IPropertyBase> readProperties) => _readProperties = readProperties;

    public static Expression Rewrite(Expression serverQuery)
    {
        var reads = new ReadPropertyCollector();
        reads.Visit(serverQuery);
        return new LsmAccessPathRewriter(reads.Properties).Visit(serverQuery);
    }

    protected override Expression VisitExtension(Expression node) =>
        node is LsmTableExpression table ? Source(table, [], [], skip: null, take: null) : base.VisitExtension(node);

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (TryRewriteLookupJoin(node) is { } lookupJoin)
        {
            return lookupJoin;
        }

        if (TryParseChain(node, out var table, out var operators))
        {
            return RewriteChain(table, operators);
        }

        return base.VisitMethodCall(node);
    }

    /// <summary>
    /// Whether <paramref name="node"/> is the top of a chain of filters, orderings, Skip and Take applied to a table (in that
    /// order of application: filters and orderings in any order, then Skip, then Take).
    /// </summary>
    private static bool TryParseChain(MethodCallExpression node, out LsmTableExpression table, out List<MethodCallExpression> operators)
    {
        operators = [];
        table = null!;
        Expression current = node;
        while (current is MethodCallExpression { Method.IsGenericMethod: true } call && call.Method.DeclaringType == typeof(Enumerable)
            && KindOf(call.Method.GetGenericMethodDefinition()) is not ChainOperator.None)
        {
            operators.Add(call);
            current = call.Arguments[0];
        }

        if (current is not LsmTableExpression found || operators.Count == 0)
        {
            return false;
        }

        table = found;
        operators.Reverse();

        // Skip and Take only at the end, Take last; orderings one contiguous OrderBy/ThenBy group.
        var stage = 0;
        var orderingGroups = 0;
        ChainOperator previous = ChainOperator.None;
        foreach (var op in operators)
        {
            var kind = KindOf(op.Method.GetGenericMethodDefinition());
            var opStage = kind switch { ChainOperator.Skip => 1, ChainOperator.Take => 2, _ => 0 };
            if (opStage < stage || (opStage > 0 && opStage == stage))
            {
                return false;
            }

            stage = opStage;
            if (kind == ChainOperator.OrderBy)
            {
                orderingGroups++;
            }
            else if (kind == ChainOperator.ThenBy && previous is not (ChainOperator.OrderBy or ChainOperator.ThenBy))
            {
                return false;
            }

            previous = kind;
        }

        return orderingGroups <= 1;
    }

    private Expression RewriteChain(LsmTableExpression table, List<MethodCallExpression> operators)
    {
        var predicates = new List<LambdaExpression>();
        var orderings = new List<LsmOrdering>();
        Expression? skip = null;
        Expression? take = null;
        foreach (var op in operators)
        {
            switch (KindOf(op.Method.GetGenericMethodDefinition()))
            {
                case ChainOperator.Where:
                    predicates.Add((LambdaExpression)op.Arguments[1]);
                    break;
                case ChainOperator.OrderBy or ChainOperator.ThenBy:
                    orderings.Add(new LsmOrdering((LambdaExpression)op.Arguments[1], IsAscending(op.Method.Name)));
                    break;
                case ChainOperator.Skip:
                    skip = op.Arguments[1];
                    break;
                case ChainOperator.Take:
                    take = op.Arguments[1];
                    break;
            }
        }

        var source = Source(table, predicates, orderings, skip, take, out var orderingSatisfied, out _);

        // Re-apply what the source did not take over: every filter (visited, for nested sources in them), the ordering unless
        // the access path gives it, Skip, and Take unless it became the limit (then it stays too: it is cheap and exact).
        var result = source;
        foreach (var op in operators)
        {
            var kind = KindOf(op.Method.GetGenericMethodDefinition());
            if (kind is ChainOperator.OrderBy or ChainOperator.ThenBy && orderingSatisfied)
            {
                continue;
            }

            var arguments = op.Arguments.Skip(1).Select(Visit).ToArray();
            result = Expression.Call(op.Method, [result, .. arguments!]);
        }

        return result;
    }

    private Expression Source(LsmTableExpression table, List<LambdaExpression> predicates, List<LsmOrdering> orderings, Expression? skip, Expression? take) =>
        Source(table, predicates, orderings, skip, take, out _, out _);

    private Expression Source(
        LsmTableExpression table,
        List<LambdaExpression> predicates,
        List<LsmOrdering> orderings,
        Expression? skip,
        Expression? take,
        out bool orderingSatisfied,
        out bool limited)
    {
        var neededSlots = LsmAccessPlanner.NeededSlots(table.Root, _readProperties);
        var candidates = LsmAccessPlanner.Plan(table.EntityType, predicates, orderings, neededSlots, out var allTerms);

        // Candidates that do not give the ordering are dropped when one does (a sort costs more than a longer range, usually).
        orderingSatisfied = orderings.Count > 0 && candidates.Any(c => c.SatisfiesOrdering);
        if (orderingSatisfied)
        {
            candidates = [.. candidates.Where(c => c.SatisfiesOrdering)];
        }

        // A limit is safe when every filter term is enforced by the path and the order is the one asked for.
        limited = false;
        var plans = new List<LsmAccessPlan>();
        var values = new List<Expression>();
        foreach (var candidate in candidates)
        {
            var candidateValues = candidate.Values.ToList();
            var plan = candidate.Plan;
            if (take is not null && (orderings.Count == 0 || candidate.SatisfiesOrdering)
                && allTerms.All(candidate.EnforcedTerms.Contains) && plan.Kind != LsmAccessKind.PointGet)
            {
                candidateValues.Add(skip is null ? take : Expression.Call(AddLimitsMethod, skip, take));
                plan = plan with { HasLimit = true };
                limited = true;
            }

            plans.Add(plan);
            values.Add(Expression.NewArrayInit(typeof(object), candidateValues.Select(v => LsmTypes.Box(Visit(v)))));
        }

        return Expression.Call(
            LsmRowSource.RowsMethod,
            QueryCompilationContext.QueryContextParameter,
            Expression.Constant(new LsmSource(table.EntityType, [.. plans])),
            Expression.NewArrayInit(typeof(object[]), values));
    }

    /// <summary>
    /// An inner or left equi-join whose inner side is a table (with filters only) looked up by its key: when the inner key is
    /// the inner type's single-part primary key (a multi-get) or the leading column of one of its indexes (one index range per
    /// key), the join becomes a <see cref="LsmLookupJoin"/> that reads the inner rows of the outer rows' distinct keys instead
    /// of the whole keyspace. The inner source keeps its other access paths as fallbacks (an index not ready yet), and the
    /// inner filters still run on what it reads. Null when the join is not of that shape.
    /// </summary>
    private Expression? TryRewriteLookupJoin(MethodCallExpression node)
    {
        if (!node.Method.IsGenericMethod)
        {
            return null;
        }

        var definition = node.Method.GetGenericMethodDefinition();
        var leftOuter = definition == LsmQueryExpression.LeftJoinMethod;
        if (!leftOuter && definition != LsmEnumerable.Join && definition != LsmEnumerable.JoinComparer)
        {
            return null;
        }

        LsmTableExpression table;
        List<MethodCallExpression> operators;
        if (node.Arguments[1] is LsmTableExpression bare)
        {
            (table, operators) = (bare, []);
        }
        else if (node.Arguments[1] is not MethodCallExpression innerCall || !TryParseChain(innerCall, out table, out operators)
            || operators.Any(op => KindOf(op.Method.GetGenericMethodDefinition()) != ChainOperator.Where))
        {
            return null;
        }

        var outerKey = (LambdaExpression)node.Arguments[2];
        var innerKey = (LambdaExpression)node.Arguments[3];
        // EF boxes join keys (object); the row read under the box is what the access path looks up by.
        if (LsmConditions.RowProperty(LsmTypes.StripObjectAndNullableConvert(innerKey.Body), innerKey.Parameters[0]) is null)
        {
            return null;
        }

        // The outer rows' keys, as a list the inner source reads by: a synthetic filter keys.Contains(inner key).
        var keyType = innerKey.ReturnType;
        var keys = Expression.Parameter(typeof(IEnumerable<>).MakeGenericType(keyType), "keys");
        var lookupTerm = Expression.Call(LsmEnumerable.Contains.MakeGenericMethod(keyType), keys, innerKey.Body);
        var predicates = operators.Select(op => (LambdaExpression)op.Arguments[1]).ToList();
        predicates.Add(Expression.Lambda(lookupTerm, innerKey.Parameters[0]));
        var neededSlots = LsmAccessPlanner.NeededSlots(table.Root, _readProperties);
        var candidates = LsmAccessPlanner.Plan(table.EntityType, predicates, [], neededSlots, out _);
        var lookups = candidates.Where(c => c.EnforcedTerms.Contains(lookupTerm)
            && c.Plan.Kind is LsmAccessKind.MultiGet or LsmAccessKind.IndexRange && c.Plan.HasKeys).ToList();
        if (lookups.Count == 0)
        {
            return null;
        }

        var joinKey = (LsmRowReads.InferProperty(LsmTypes.StripObjectAndNullableConvert(outerKey.Body))
            ?? LsmRowReads.InferProperty(LsmTypes.StripObjectAndNullableConvert(innerKey.Body)))!.Name;
        var plans = new List<LsmAccessPlan>();
        var values = new List<Expression>();
        foreach (var candidate in candidates)
        {
            plans.Add(lookups.Contains(candidate) ? candidate.Plan with { JoinKey = joinKey } : candidate.Plan);
            values.Add(Expression.NewArrayInit(typeof(object), candidate.Values.Select(v => LsmTypes.Box(Visit(v)))));
        }

        Expression rows = Expression.Call(
            LsmRowSource.RowsMethod,
            QueryCompilationContext.QueryContextParameter,
            Expression.Constant(new LsmSource(table.EntityType, [.. plans])),
            Expression.NewArrayInit(typeof(object[]), values));
        foreach (var op in operators)
        {
            rows = Expression.Call(op.Method, [rows, .. op.Arguments.Skip(1).Select(Visit)!]);
        }

        var resultType = node.Method.GetGenericArguments()[3];
        var comparerType = typeof(IEqualityComparer<>).MakeGenericType(keyType);
        return Expression.Call(
            LsmLookupJoin.JoinMethod.MakeGenericMethod(keyType, resultType),
            Visit(node.Arguments[0]),
            Expression.Lambda(rows, keys),
            Visit(outerKey),
            Visit(innerKey),
            Visit(node.Arguments[4]),
            Expression.Constant(leftOuter),
            leftOuter ? node.Arguments[5] : Expression.Constant(default(ValueBuffer)),
            leftOuter ? node.Arguments[6] : definition == LsmEnumerable.JoinComparer ? node.Arguments[5] : Expression.Constant(null, comparerType));
    }

    private static readonly MethodInfo AddLimitsMethod = typeof(LsmAccessPathRewriter).GetMethod(
        nameof(AddLimits), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static int AddLimits(int skip, int take) => (int)Math.Min(int.MaxValue, (long)Math.Max(0, skip) + Math.Max(0, take));

    private static bool IsAscending(string name) => name is nameof(Enumerable.OrderBy) or nameof(Enumerable.ThenBy);

    private enum ChainOperator
    {
        None,
        Where,
        OrderBy,
        ThenBy,
        Skip,
        Take,
    }

    private static ChainOperator KindOf(MethodInfo definition)
    {
        if (definition == LsmEnumerable.Where)
        {
            return ChainOperator.Where;
        }

        if (definition == LsmEnumerable.OrderBy || definition == LsmEnumerable.OrderByDescending
            || definition == LsmEnumerable.OrderByComparer || definition == LsmEnumerable.OrderByDescendingComparer)
        {
            return ChainOperator.OrderBy;
        }

        if (definition == LsmEnumerable.ThenBy || definition == LsmEnumerable.ThenByDescending
            || definition == LsmEnumerable.ThenByComparer || definition == LsmEnumerable.ThenByDescendingComparer)
        {
            return ChainOperator.ThenBy;
        }

        return definition == LsmEnumerable.Skip ? ChainOperator.Skip
            : definition == LsmEnumerable.Take ? ChainOperator.Take
            : ChainOperator.None;
    }

    /// <summary>Every property some row read of the query is tagged with: what the sources must decode.</summary>
    private sealed class ReadPropertyCollector : ExpressionVisitor
    {
        public HashSet<IPropertyBase> Properties { get; } = [];

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (LsmRowReads.IsRead(node, out var read) && ((ConstantExpression)read.Arguments[2]).Value is IPropertyBase property)
            {
                Properties.Add(property);
            }

            return base.VisitMethodCall(node);
        }

        protected override Expression VisitExtension(Expression node) => node is LsmTableExpression ? node : base.VisitExtension(node);
    }
}

/// <summary>One source of a compiled query: the entity type it reads and its candidate access plans (the first is the default).</summary>
internal sealed class LsmSource(IEntityType entityType, LsmAccessPlan[] candidates)
{
    public IEntityType EntityType { get; } = entityType;

    public LsmAccessPlan[] Candidates { get; } = candidates;
}
