using System.Linq.Expressions;
using System.Reflection;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// A query as the provider runs it (the shape of EF InMemory's query expression): <see cref="ServerQueryExpression"/> is a
/// LINQ-to-objects expression over rows — <see cref="ValueBuffer"/>s, starting from the decoded rows of one or more
/// sources (<see cref="LsmTableExpression"/>, an owned collection of an outer row) and combined by joins, groupings and
/// set operations — and the projection mapping says where in the current row each part of the shaper finds its value:
/// an entity's properties (<see cref="LsmEntityProjectionExpression"/>) or a computed value. Client projections (an
/// index-based mapping) are used once the shaper needs what the rows cannot carry by member (a subquery, a client method).
/// When the query is compiled, <see cref="ApplyProjection"/> makes the last row hold exactly what the shaper reads.
/// </summary>
internal sealed partial class LsmQueryExpression : Expression, IPrintableExpression
{
    private static readonly ConstructorInfo ValueBufferConstructor =
        typeof(ValueBuffer).GetConstructors().Single(c => c.GetParameters().Length == 1);

    private static readonly ConstructorInfo ResultEnumerableConstructor = typeof(ResultEnumerable).GetConstructors().Single();

    private readonly ParameterExpression _row;
    private ParameterExpression? _grouping;
    private MethodInfo? _singleResultMethod;
    private bool _scalarServerQuery;
    private Dictionary<ProjectionMember, Expression> _projectionMapping = [];
    private readonly List<Expression> _clientProjections = [];

    // The reads of every value the current row carries, in row order: what Distinct compares and what a default row of a
    // DefaultIfEmpty must have room for.
    private readonly List<Expression> _rowReads = [];

    private LsmQueryExpression(Expression serverQueryExpression, ParameterExpression row)
    {
        ServerQueryExpression = serverQueryExpression;
        _row = row;
    }

    /// <summary>A query over the rows of <paramref name="entityType"/> (for a derived type of a hierarchy, its root's rows of that type).</summary>
    public LsmQueryExpression(IEntityType entityType)
        : this(new LsmTableExpression(entityType), Parameter(typeof(ValueBuffer), "row"))
    {
        var layout = LsmRowLayout.For(entityType);
        var projection = CreateEntityProjection(entityType, layout, _row);
        AddRowReads(projection, layout);

        if (entityType.BaseType is not null || entityType.GetDirectlyDerivedTypes().Any())
        {
            // Rows of the whole hierarchy share the root's keyspace; a query of a derived type keeps the rows of its types.
            if (LsmTypeFilter.Create(entityType, layout, _row) is { } typeFilter)
            {
                ServerQueryExpression = Call(
                    LsmEnumerable.Where.MakeGenericMethod(typeof(ValueBuffer)), ServerQueryExpression, Lambda(typeFilter, _row));
            }
        }

        _projectionMapping[new ProjectionMember()] = projection;
    }

    /// <summary>
    /// A query over rows produced by <paramref name="source"/> (an <c>IEnumerable&lt;ValueBuffer&gt;</c> in the layout of
    /// <paramref name="entityType"/>'s owner), projecting <paramref name="entityType"/>: the rows of an owned collection.
    /// </summary>
    public static LsmQueryExpression ForNestedRows(IEntityType entityType, Expression source, LsmRowLayout layout)
    {
        var query = new LsmQueryExpression(source, Parameter(typeof(ValueBuffer), "row"));
        var projection = CreateEntityProjection(entityType, layout, query._row);
        query.AddRowReads(projection, layout);

        query._projectionMapping[new ProjectionMember()] = projection;
        return query;
    }

    /// <summary>
    /// The reads of the rows a source starts with: the projection's; with owned values, every slot of the layout in order
    /// (owned values are read from their slots, so a row rebuilt from these reads, as a grouping's elements are, keeps them).
    /// </summary>
    private void AddRowReads(LsmEntityProjectionExpression projection, LsmRowLayout layout)
    {
        if (!layout.HasOwnedValues)
        {
            foreach (var (_, read) in projection.Reads)
            {
                _rowReads.Add(read);
            }

            return;
        }

        foreach (var slot in layout.Slots)
        {
            _rowReads.Add(LsmRowReads.Read(_row, typeof(object), slot.Index, slot.Property));
        }
    }

    /// <summary>The LINQ-to-objects query over rows (of type <c>IEnumerable&lt;ValueBuffer&gt;</c>, or one row for a scalar).</summary>
    public Expression ServerQueryExpression { get; private set; }

    /// <summary>The parameter a lambda over the current element uses: the row, or the group after a GroupBy.</summary>
    public ParameterExpression CurrentParameter => _grouping ?? _row;

    public override Type Type => typeof(IEnumerable<ValueBuffer>);

    public override ExpressionType NodeType => ExpressionType.Extension;

    /// <summary>Whether the query ends in one value (an aggregate) rather than a sequence.</summary>
    public bool IsScalar => _scalarServerQuery;

    public static LsmEntityProjectionExpression CreateEntityProjection(IEntityType entityType, LsmRowLayout layout, Expression row)
    {
        var reads = new Dictionary<IPropertyBase, Expression>();
        foreach (var property in PropertiesInHierarchy(entityType))
        {
            // A property of a derived type is absent from rows of other types, and a member of a complex value that may be null
            // is null with it: read them as nullable.
            var declaring = LsmRowLayout.DeclaringEntityType(property);
            var type = (entityType.IsAssignableFrom(declaring) && declaring != entityType) || LsmRowLayout.IsInOptionalComplexValue(property)
                ? property.ClrType.MakeNullable()
                : property.ClrType;
            reads[property] = LsmRowReads.Read(row, type, layout.SlotOf(property), property);
        }

        // Owned values are in the same row (docs/row_encoding.md, "Owned values"): a reference is a nullable shaper over its
        // slots, a collection a slot of element rows.
        var owned = new Dictionary<INavigation, StructuralTypeShaperExpression>();
        var relevant = layout.OwnedNodes.Where(n =>
            n.Navigation.DeclaringEntityType.IsAssignableFrom(entityType) || entityType.IsAssignableFrom(n.Navigation.DeclaringEntityType));
        AddOwnedValues(relevant, layout, row, reads, owned);

        // A complex collection's slot holds its decoded elements (docs/row_encoding.md, "Complex collections").
        foreach (var collection in layout.ComplexCollections)
        {
            var declaring = (IEntityType)collection.Property.DeclaringType;
            if (declaring.IsAssignableFrom(entityType) || entityType.IsAssignableFrom(declaring))
            {
                reads[collection.Property] = LsmRowReads.Read(row, typeof(IEnumerable<ValueBuffer>), collection.Slot, collection.Property);
            }
        }

        return new LsmEntityProjectionExpression(entityType, reads, owned);
    }

    private static void AddOwnedValues(
        IEnumerable<LsmOwnedNode> nodes,
        LsmRowLayout layout,
        Expression row,
        Dictionary<IPropertyBase, Expression> reads,
        Dictionary<INavigation, StructuralTypeShaperExpression> owned)
    {
        foreach (var node in nodes)
        {
            if (node.IsCollection)
            {
                reads[node.Navigation] = LsmRowReads.Read(row, typeof(IEnumerable<ValueBuffer>), node.Slot, node.Navigation);
                continue;
            }

            // An owned reference may be absent (null): every value of it reads as nullable.
            var target = node.Navigation.TargetEntityType;
            var ownedReads = new Dictionary<IPropertyBase, Expression>();
            foreach (var property in target.GetFlattenedProperties())
            {
                ownedReads[property] = LsmRowReads.Read(row, property.ClrType.MakeNullable(), layout.SlotOf(property), property);
            }

            var nested = new Dictionary<INavigation, StructuralTypeShaperExpression>();
            AddOwnedValues(node.Nested, layout, row, ownedReads, nested);
            owned[node.Navigation] = new StructuralTypeShaperExpression(
                target, new LsmEntityProjectionExpression(target, ownedReads, nested), nullable: true);
        }
    }

    /// <summary>
    /// The properties a projection of <paramref name="entityType"/> carries: its base types', its own, its derived types', each
    /// with the members of its complex properties (stored in the same row).
    /// </summary>
    public static IEnumerable<IProperty> PropertiesInHierarchy(IEntityType entityType) =>
        entityType.GetAllBaseTypesInclusive().Concat(entityType.GetDerivedTypes()).SelectMany(t => t.GetFlattenedDeclaredProperties());

    public void UpdateServerQueryExpression(Expression serverQueryExpression) => ServerQueryExpression = serverQueryExpression;

    /// <summary>What a projection binding of this query stands for: a read, an entity projection, or (client) a subquery.</summary>
    public Expression GetProjection(ProjectionBindingExpression binding) =>
        binding.ProjectionMember is { } member ? _projectionMapping[member] : _clientProjections[binding.Index!.Value];

    /// <summary>
    /// Makes the projection <paramref name="projectionMapping"/>: a Select into a new row carrying each mapped value (each
    /// property of a mapped entity), after which the mapping reads from that row.
    /// </summary>
    public void ReplaceProjection(IReadOnlyDictionary<ProjectionMember, Expression> projectionMapping)
    {
        var selectors = new List<Expression>();
        var newMapping = new Dictionary<ProjectionMember, Expression>();
        _rowReads.Clear();
        foreach (var (member, expression) in projectionMapping)
        {
            newMapping[member] = expression is LsmEntityProjectionExpression entity
                ? CopyEntityProjection(entity, selectors, _rowReads, makeNullable: false)
                : CopyValue(expression, selectors, _rowReads, makeNullable: false);
        }

        _clientProjections.Clear();
        _projectionMapping = newMapping;
        SelectIntoNewRow(selectors);
    }

    /// <summary>Makes the projection an index-based list of client projections (values, entity projections, subqueries).</summary>
    public void ReplaceProjection(IReadOnlyList<Expression> clientProjections)
    {
        _projectionMapping.Clear();
        _rowReads.Clear();
        _clientProjections.Clear();
        _clientProjections.AddRange(clientProjections);
    }

    /// <summary>
    /// Ends translation: a Select makes the row hold exactly what the shaper reads, and the mapping becomes indexes into it
    /// (for an entity, a map from property to index). A single-result operator is applied last.
    /// </summary>
    public void ApplyProjection()
    {
        if (_scalarServerQuery)
        {
            _projectionMapping[new ProjectionMember()] = Constant(0);
            return;
        }

        var selectors = new List<Expression>();
        if (_clientProjections.Count > 0)
        {
            for (var i = 0; i < _clientProjections.Count; i++)
            {
                switch (_clientProjections[i])
                {
                    case LsmEntityProjectionExpression entity:
                        _clientProjections[i] = Constant(AddEntityIndexMap(entity, selectors));
                        break;
                    case LsmQueryExpression subquery:
                        var singleResult = subquery._scalarServerQuery || subquery._singleResultMethod is not null;
                        subquery.ApplyProjection();
                        var server = subquery.ServerQueryExpression;
                        if (singleResult)
                        {
                            // The one row itself, not an enumerable of it.
                            server = ((LambdaExpression)((NewExpression)server).Arguments[0]).Body;
                        }

                        selectors.Add(server);
                        _clientProjections[i] = Constant(selectors.Count - 1);
                        break;
                    case var value:
                        selectors.Add(value);
                        _clientProjections[i] = Constant(selectors.Count - 1);
                        break;
                }
            }
        }
        else
        {
            var mapping = new Dictionary<ProjectionMember, Expression>();
            foreach (var (member, expression) in _projectionMapping)
            {
                if (expression is LsmEntityProjectionExpression entity)
                {
                    mapping[member] = Constant(AddEntityIndexMap(entity, selectors));
                }
                else
                {
                    selectors.Add(expression);
                    mapping[member] = Constant(selectors.Count - 1);
                }
            }

            _projectionMapping = mapping;
        }

        _rowReads.Clear();
        SelectIntoNewRow(selectors);
        if (_singleResultMethod is { } single)
        {
            ServerQueryExpression = Call(single.MakeGenericMethod(typeof(ValueBuffer)), ServerQueryExpression);
            ConvertToEnumerable();
            _singleResultMethod = null;
        }
    }

    /// <summary>
    /// Ends the query in one value computed by the server query so far (an aggregate): the shaper reads it through the
    /// returned binding (nullable: an empty group yields no value).
    /// </summary>
    public ProjectionBindingExpression GetSingleScalarProjection()
    {
        var read = LsmRowReads.Read(_row, ServerQueryExpression.Type, 0, null);
        _projectionMapping.Clear();
        _clientProjections.Clear();
        _rowReads.Clear();
        _projectionMapping[new ProjectionMember()] = read;
        _rowReads.Add(read);
        _grouping = null;
        _scalarServerQuery = true;
        ConvertToEnumerable();
        return new ProjectionBindingExpression(this, new ProjectionMember(), read.Type.MakeNullable());
    }

    /// <summary>Ends the query with First/Single/Last(OrDefault), applied after the projection.</summary>
    public void ConvertToSingleResult(MethodInfo method) => _singleResultMethod = method;

    /// <summary>A copy of this query with <paramref name="shaper"/> rebound to the copy.</summary>
    public ShapedQueryExpression Clone(Expression shaper)
    {
        var clone = Clone();
        return new ShapedQueryExpression(clone, new QueryExpressionReplacingExpressionVisitor(this, clone).Visit(shaper));
    }

    private LsmQueryExpression Clone()
    {
        var clone = new LsmQueryExpression(ServerQueryExpression, _row)
        {
            _grouping = _grouping,
            _singleResultMethod = _singleResultMethod,
            _scalarServerQuery = _scalarServerQuery,
        };
        var cloner = new CloningExpressionVisitor();
        foreach (var (member, expression) in _projectionMapping)
        {
            clone._projectionMapping[member] = cloner.Visit(expression);
        }

        clone._clientProjections.AddRange(_clientProjections.Select(p => cloner.Visit(p)));
        clone._rowReads.AddRange(_rowReads);
        return clone;
    }

    private void SelectIntoNewRow(List<Expression> selectors)
    {
        if (selectors.Count == 0)
        {
            // Nothing of the row is read (a constant projection): a placeholder keeps one row per element.
            selectors.Add(Constant(1));
        }

        var selector = Lambda(NewRow(selectors), CurrentParameter);
        ServerQueryExpression = Call(
            LsmEnumerable.Select.MakeGenericMethod(CurrentParameter.Type, typeof(ValueBuffer)), ServerQueryExpression, selector);
        _grouping = null;
    }

    /// <summary>Adds every property of <paramref name="entity"/> to <paramref name="selectors"/>; returns property → index.</summary>
    private static Dictionary<IPropertyBase, int> AddEntityIndexMap(LsmEntityProjectionExpression entity, List<Expression> selectors)
    {
        var indexes = new Dictionary<IPropertyBase, int>();
        entity.Remap((property, read) =>
        {
            selectors.Add(read);
            indexes[property] = selectors.Count - 1;
            return read;
        });
        return indexes;
    }

    /// <summary>
    /// Copies <paramref name="entity"/>'s values into a row being built (<paramref name="selectors"/>) and returns the
    /// projection that reads them from it (through <see cref="_row"/>).
    /// </summary>
    private LsmEntityProjectionExpression CopyEntityProjection(
        LsmEntityProjectionExpression entity, List<Expression> selectors, List<Expression> rowReads, bool makeNullable) =>
        entity.Remap((property, read) =>
        {
            selectors.Add(makeNullable ? LsmRowReads.MakeNullable(read) : read);
            var copy = LsmRowReads.Read(_row, makeNullable ? read.Type.MakeNullable() : read.Type, selectors.Count - 1, property);
            rowReads.Add(copy);
            return copy;
        });

    private Expression CopyValue(Expression value, List<Expression> selectors, List<Expression> rowReads, bool makeNullable)
    {
        if (makeNullable)
        {
            value = LsmRowReads.MakeNullable(value);
        }

        selectors.Add(value);
        var copy = LsmRowReads.Read(_row, value.Type, selectors.Count - 1, LsmRowReads.InferProperty(value));
        rowReads.Add(copy);
        return copy;
    }

    private static NewExpression NewRow(IEnumerable<Expression> values) =>
        New(ValueBufferConstructor, NewArrayInit(typeof(object), values.Select(LsmTypes.Box)));

    /// <summary>Wraps a single-valued server query (a scalar or one row) as a one-row enumerable.</summary>
    private void ConvertToEnumerable()
    {
        if (!_scalarServerQuery && _singleResultMethod is null)
        {
            return;
        }

        var row = ServerQueryExpression.Type == typeof(ValueBuffer) ? ServerQueryExpression : NewRow([ServerQueryExpression]);
        ServerQueryExpression = New(ResultEnumerableConstructor, Lambda<Func<ValueBuffer>>(row));
    }

    protected override Expression VisitChildren(ExpressionVisitor visitor) => this;

    void IPrintableExpression.Print(ExpressionPrinter expressionPrinter)
    {
        expressionPrinter.AppendLine("LsmQueryExpression:");
        using (expressionPrinter.Indent())
        {
            expressionPrinter.AppendLine("Server:");
            using (expressionPrinter.Indent())
            {
                expressionPrinter.Visit(ServerQueryExpression);
            }

            expressionPrinter.AppendLine();
            if (_clientProjections.Count > 0)
            {
                expressionPrinter.AppendLine("ClientProjections:");
                for (var i = 0; i < _clientProjections.Count; i++)
                {
                    expressionPrinter.Append(i + " -> ");
                    expressionPrinter.Visit(_clientProjections[i]);
                    expressionPrinter.AppendLine();
                }
            }
            else
            {
                expressionPrinter.AppendLine("ProjectionMapping:");
                foreach (var (member, expression) in _projectionMapping)
                {
                    expressionPrinter.Append(member + " -> ");
                    expressionPrinter.Visit(expression);
                    expressionPrinter.AppendLine();
                }
            }
        }
    }
}

/// <summary>Builds and inspects reads of row slots (<c>ValueBufferTryReadValue&lt;T&gt;(row, index, property)</c>).</summary>
internal static class LsmRowReads
{
    /// <summary>A read of slot <paramref name="index"/> of <paramref name="row"/> as <paramref name="type"/>, tagged with <paramref name="property"/>.</summary>
    public static MethodCallExpression Read(Expression row, Type type, int index, IPropertyBase? property) =>
        // EF's CreateValueBufferReadValueExpression refuses navigations; an owned collection's slot is tagged with its navigation.
        Call(
            Microsoft.EntityFrameworkCore.Infrastructure.ExpressionExtensions.ValueBufferTryReadValueMethod.MakeGenericMethod(type),
            row,
            Constant(index),
            Constant(property, typeof(IPropertyBase)));

    public static bool IsRead(Expression expression, out MethodCallExpression read)
    {
        read = null!;
        if (expression is MethodCallExpression { Method.IsGenericMethod: true } call
            && call.Method.GetGenericMethodDefinition()
            == Microsoft.EntityFrameworkCore.Infrastructure.ExpressionExtensions.ValueBufferTryReadValueMethod)
        {
            read = call;
            return true;
        }

        return false;
    }

    /// <summary>The property a read is tagged with (also through a nullable conversion), or null.</summary>
    public static IPropertyBase? InferProperty(Expression expression) =>
        IsRead(LsmTypes.StripObjectAndNullableConvert(expression), out var read)
            ? (IPropertyBase?)((ConstantExpression)read.Arguments[2]).Value
            : null;

    /// <summary>The same read as a nullable value (for the inner side of an outer join, an empty DefaultIfEmpty...).</summary>
    public static Expression MakeNullable(Expression expression)
    {
        if (expression.Type.IsNullableType())
        {
            return expression;
        }

        return IsRead(expression, out var read)
            ? Call(
                Microsoft.EntityFrameworkCore.Infrastructure.ExpressionExtensions.ValueBufferTryReadValueMethod.MakeGenericMethod(
                    read.Type.MakeNullable()),
                read.Arguments)
            : Convert(expression, expression.Type.MakeNullable());
    }
}
