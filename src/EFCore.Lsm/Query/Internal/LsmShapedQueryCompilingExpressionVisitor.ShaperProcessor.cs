using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

namespace EFCore.Lsm.Query.Internal;

internal sealed partial class LsmShapedQueryCompilingExpressionVisitor
{
    /// <summary>
    /// Turns a shaper into a lambda <c>(QueryContext, ValueBuffer row) → result</c> over the projected row: each entity is
    /// materialized once (reading its properties at the indexes the projection gave them), values are read from their
    /// indexes, and includes, collections and single results of subqueries are filled by the helpers below from their
    /// subqueries' rows, each with its own compiled shaper.
    /// </summary>
    private sealed class ShaperProcessor : ExpressionVisitor
    {
        private static readonly MethodInfo IncludeReferenceMethod = Method(nameof(IncludeReference));
        private static readonly MethodInfo IncludeCollectionMethod = Method(nameof(IncludeCollection));
        private static readonly MethodInfo MaterializeCollectionMethod = Method(nameof(MaterializeCollection));
        private static readonly MethodInfo MaterializeSingleResultMethod = Method(nameof(MaterializeSingleResult));
        private static readonly MethodInfo CollectionAccessorAddMethod = typeof(IClrCollectionAccessor).GetMethod(nameof(IClrCollectionAccessor.Add))!;

        private readonly LsmShapedQueryCompilingExpressionVisitor _compiler;
        private readonly bool _tracking;
        private readonly Dictionary<Expression, ParameterExpression> _mapping = [];
        private readonly List<ParameterExpression> _variables = [];
        private readonly List<Expression> _expressions = [];
        private readonly Dictionary<ParameterExpression, Dictionary<IPropertyBase, int>> _materializationIndexes = [];
        private ParameterExpression? _row;

        public ShaperProcessor(LsmShapedQueryCompilingExpressionVisitor compiler, LsmQueryExpression query, bool tracking)
            : this(compiler, tracking) => _row = query.CurrentParameter;

        private ShaperProcessor(LsmShapedQueryCompilingExpressionVisitor compiler, bool tracking)
        {
            _compiler = compiler;
            _tracking = tracking;
        }

        public LambdaExpression ProcessShaper(Expression shaper)
        {
            var result = Visit(shaper);
            _expressions.Add(result);
            var body = Block(_variables, _expressions);

            // A shaper that reads nothing of the row (a constant) still takes one.
            _row ??= Parameter(typeof(ValueBuffer), "row");
            return Lambda(body, QueryCompilationContext.QueryContextParameter, _row);
        }

        protected override Expression VisitExtension(Expression node)
        {
            switch (node)
            {
                case StructuralTypeShaperExpression shaper:
                {
                    // One materialization per entity, however often the shaper mentions it; a complex value shares its entity's
                    // values, so it is keyed by its own shaper.
                    var key = shaper.StructuralType is IComplexType ? shaper : shaper.ValueBufferExpression;
                    if (!_mapping.TryGetValue(key, out var variable))
                    {
                        variable = Parameter(shaper.Type);
                        _variables.Add(variable);
                        var materializer = Visit(_compiler.InjectStructuralTypeMaterializers(shaper));
                        _expressions.Add(Assign(variable, materializer));
                        _mapping[key] = variable;
                    }

                    return variable;
                }

                case ProjectionBindingExpression binding:
                {
                    if (!_mapping.TryGetValue(binding, out var variable))
                    {
                        variable = Parameter(binding.Type);
                        _variables.Add(variable);
                        var query = (LsmQueryExpression)binding.QueryExpression;
                        _row ??= query.CurrentParameter;
                        var index = (int)((ConstantExpression)query.GetProjection(binding)).Value!;
                        _expressions.Add(Assign(variable, LsmRowReads.Read(query.CurrentParameter, binding.Type, index, null)));
                        _mapping[binding] = variable;
                    }

                    return variable;
                }

                case IncludeExpression include:
                    return VisitInclude(include);

                case LsmCollectionResultShaperExpression collection:
                {
                    var navigation = collection.Navigation;
                    var accessor = navigation?.GetCollectionAccessor();
                    var collectionType = accessor?.CollectionType ?? collection.Type;
                    var innerShaper = new ShaperProcessor(_compiler, _tracking).ProcessShaper(collection.InnerShaper);
                    return Call(
                        MaterializeCollectionMethod.MakeGenericMethod(collection.ElementType, collectionType),
                        QueryCompilationContext.QueryContextParameter,
                        Visit(collection.Projection),
                        Constant(innerShaper.Compile()),
                        Constant(accessor, typeof(IClrCollectionAccessor)));
                }

                case LsmSingleResultShaperExpression single:
                {
                    var innerShaper = new ShaperProcessor(_compiler, _tracking).ProcessShaper(single.InnerShaper);
                    return Call(
                        MaterializeSingleResultMethod.MakeGenericMethod(single.Type),
                        QueryCompilationContext.QueryContextParameter,
                        Visit(single.Projection),
                        Constant(innerShaper.Compile()));
                }
            }

            return base.VisitExtension(node);
        }

        private Expression VisitInclude(IncludeExpression include)
        {
            var entity = Visit(include.EntityExpression);
            var entityClrType = include.EntityExpression.Type;
            var includingClrType = include.Navigation.DeclaringEntityType.ClrType;
            var relatedClrType = include.Navigation.TargetEntityType.ClrType;
            var inverse = include.Navigation.Inverse;
            if (includingClrType != entityClrType && includingClrType.IsAssignableFrom(entityClrType))
            {
                includingClrType = entityClrType;
            }

            var fixup = Constant(Fixup(includingClrType, relatedClrType, include.Navigation, inverse).Compile());
            if (include.Navigation.IsCollection)
            {
                var collection = (LsmCollectionResultShaperExpression)include.NavigationExpression;
                var innerShaper = new ShaperProcessor(_compiler, _tracking).ProcessShaper(collection.InnerShaper);
                _expressions.Add(Call(
                    IncludeCollectionMethod.MakeGenericMethod(entityClrType, includingClrType, relatedClrType),
                    QueryCompilationContext.QueryContextParameter,
                    Visit(collection.Projection),
                    Constant(innerShaper.Compile()),
                    entity,
                    Constant(include.Navigation),
                    Constant(inverse, typeof(INavigationBase)),
                    fixup,
                    Constant(_tracking),
#pragma warning disable EF1001 // SetLoaded says whether the include loads the whole collection (not a filtered one).
                    Constant(include.SetLoaded)));
#pragma warning restore EF1001
            }
            else
            {
                _expressions.Add(Call(
                    IncludeReferenceMethod.MakeGenericMethod(entityClrType, includingClrType, relatedClrType),
                    QueryCompilationContext.QueryContextParameter,
                    entity,
                    Visit(include.NavigationExpression),
                    Constant(include.Navigation),
                    Constant(inverse, typeof(INavigationBase)),
                    fixup,
                    Constant(_tracking)));
            }

            return entity;
        }

        protected override Expression VisitBinary(BinaryExpression node)
        {
            // The materializer reads its entity from MaterializationContext.ValueBuffer by EF property index; the values are
            // in the projected row at the indexes the projection chose. Give it an empty buffer, and remap its reads below.
            if (node is { NodeType: ExpressionType.Assign, Left: ParameterExpression context } && context.Type == typeof(MaterializationContext))
            {
                var construct = (NewExpression)node.Right;
                var binding = (ProjectionBindingExpression)construct.Arguments[0];
                var query = (LsmQueryExpression)binding.QueryExpression;
                _row ??= query.CurrentParameter;
                _materializationIndexes[context] = (Dictionary<IPropertyBase, int>)((ConstantExpression)query.GetProjection(binding)).Value!;
                return MakeBinary(
                    ExpressionType.Assign, node.Left, construct.Update([Constant(ValueBuffer.Empty), construct.Arguments[1]]));
            }

            if (node is { NodeType: ExpressionType.Assign, Left: MemberExpression { Member: FieldInfo { IsInitOnly: true } } member })
            {
                return member.Assign(Visit(node.Right));
            }

            return base.VisitBinary(node);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (LsmRowReads.IsRead(node, out var read)
                && read.Arguments[0] is MethodCallExpression { Object: ParameterExpression context }
                && _materializationIndexes.TryGetValue(context, out var indexes))
            {
                var property = (IPropertyBase)((ConstantExpression)read.Arguments[2]).Value!;
                return Call(read.Method, _row!, Constant(indexes[property]), read.Arguments[2]);
            }

            return base.VisitMethodCall(node);
        }

        private static void IncludeReference<TEntity, TIncludingEntity, TIncludedEntity>(
            QueryContext queryContext,
            TEntity entity,
            TIncludedEntity? relatedEntity,
            INavigationBase navigation,
            INavigationBase? inverseNavigation,
            Action<TIncludingEntity, TIncludedEntity> fixup,
            bool trackingQuery)
            where TIncludingEntity : class, TEntity
            where TEntity : class
            where TIncludedEntity : class
        {
            if (entity is not TIncludingEntity including)
            {
                return;
            }

            if (trackingQuery && navigation.DeclaringEntityType.FindPrimaryKey() is not null)
            {
                // The state manager fixes tracked entities up; a missing one still makes the navigation loaded.
                if (relatedEntity is null)
                {
                    queryContext.SetNavigationIsLoaded(including, navigation);
                }
            }
            else
            {
                navigation.SetIsLoadedWhenNoTracking(including);
                if (relatedEntity is not null)
                {
                    fixup(including, relatedEntity);
                    if (inverseNavigation is { IsCollection: false })
                    {
                        inverseNavigation.SetIsLoadedWhenNoTracking(relatedEntity);
                    }
                }
            }
        }

        private static void IncludeCollection<TEntity, TIncludingEntity, TIncludedEntity>(
            QueryContext queryContext,
            IEnumerable<ValueBuffer> innerRows,
            Func<QueryContext, ValueBuffer, TIncludedEntity> innerShaper,
            TEntity entity,
            INavigationBase navigation,
            INavigationBase? inverseNavigation,
            Action<TIncludingEntity, TIncludedEntity> fixup,
            bool trackingQuery,
            bool setLoaded)
            where TIncludingEntity : class, TEntity
            where TEntity : class
            where TIncludedEntity : class
        {
            if (entity is not TIncludingEntity including)
            {
                return;
            }

            if (!navigation.IsShadowProperty())
            {
                navigation.GetCollectionAccessor()!.GetOrCreate(including, forMaterialization: true);
            }

            if (setLoaded)
            {
                if (trackingQuery)
                {
                    queryContext.SetNavigationIsLoaded(entity, navigation);
                }
                else
                {
                    navigation.SetIsLoadedWhenNoTracking(entity);
                }
            }

            foreach (var row in innerRows)
            {
                var related = innerShaper(queryContext, row);
                if (!trackingQuery)
                {
                    fixup(including, related);
                    inverseNavigation?.SetIsLoadedWhenNoTracking(related);
                }
            }
        }

        private static TCollection MaterializeCollection<TElement, TCollection>(
            QueryContext queryContext,
            IEnumerable<ValueBuffer> innerRows,
            Func<QueryContext, ValueBuffer, TElement> innerShaper,
            IClrCollectionAccessor? collectionAccessor)
            where TCollection : class, ICollection<TElement>
        {
            var collection = (TCollection)(collectionAccessor?.Create() ?? new List<TElement>());
            foreach (var row in innerRows)
            {
                collection.Add(innerShaper(queryContext, row));
            }

            return collection;
        }

        private static TResult? MaterializeSingleResult<TResult>(
            QueryContext queryContext, ValueBuffer row, Func<QueryContext, ValueBuffer, TResult> innerShaper) =>
            row.IsEmpty ? default : innerShaper(queryContext, row);

        /// <summary>Sets the navigation (and its inverse) between an entity and a related one, for no-tracking queries.</summary>
        private static LambdaExpression Fixup(Type entityType, Type relatedType, INavigationBase navigation, INavigationBase? inverse)
        {
            var entity = Parameter(entityType);
            var related = Parameter(relatedType);
            var expressions = new List<Expression>();
            if (!navigation.IsShadowProperty())
            {
                expressions.Add(navigation.IsCollection ? AddToCollection(entity, related, navigation) : AssignReference(entity, related, navigation));
            }

            if (inverse is not null && !inverse.IsShadowProperty())
            {
                expressions.Add(inverse.IsCollection ? AddToCollection(related, entity, inverse) : AssignReference(related, entity, inverse));
            }

            return Lambda(Block(typeof(void), expressions.Count == 0 ? [Empty()] : expressions), entity, related);
        }

        private static Expression AssignReference(ParameterExpression entity, ParameterExpression related, INavigationBase navigation) =>
            entity.MakeMemberAccess(navigation.GetMemberInfo(forMaterialization: true, forSet: true)).Assign(related);

        private static Expression AddToCollection(ParameterExpression entity, ParameterExpression related, INavigationBase navigation) =>
            Call(Constant(navigation.GetCollectionAccessor()), CollectionAccessorAddMethod, entity, related, Constant(true));

        private static MethodInfo Method(string name) =>
            typeof(ShaperProcessor).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!;
    }
}
