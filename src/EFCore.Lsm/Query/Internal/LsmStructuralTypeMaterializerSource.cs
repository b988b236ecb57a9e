using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using static System.Linq.Expressions.Expression;

#pragma warning disable EF1001 // EF's materializer source leaves complex collections to the provider to fill.
using Microsoft.EntityFrameworkCore.Query.Internal;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// EF's materializer source, which leaves a complex collection null for the provider to fill, with the provider filling it:
/// the row's slot of a complex collection holds its decoded elements (<see cref="ValueBuffer"/>s, or null for a null
/// collection, docs/row_encoding.md "Complex collections"), and each element is built by EF's own materializer of the element
/// type over its buffer, so constructor bindings, fields and nested complex values are EF's.
/// </summary>
internal sealed class LsmStructuralTypeMaterializerSource(StructuralTypeMaterializerSourceDependencies dependencies)
    : StructuralTypeMaterializerSource(dependencies)
{
    private static readonly MethodInfo MaterializeElementsMethod =
        typeof(LsmStructuralTypeMaterializerSource).GetMethod(nameof(MaterializeElements), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary><see cref="QueryValue{TElement}"/>: a complex collection read by a query's own code (a filter, a projection).</summary>
    public static readonly MethodInfo QueryValueMethod =
        typeof(LsmStructuralTypeMaterializerSource).GetMethod(nameof(QueryValue), BindingFlags.Public | BindingFlags.Static)!;

    private readonly ConcurrentDictionary<IComplexProperty, Delegate> _elementMaterializers = new();

    protected override void AddInitializeExpression(
        IPropertyBase property,
        ParameterBindingInfo bindingInfo,
        Expression instanceVariable,
        MethodCallExpression getValueBufferExpression,
        List<Expression> blockExpressions,
        bool nullable)
    {
        if (property is not IComplexProperty { IsCollection: true } collection)
        {
            base.AddInitializeExpression(property, bindingInfo, instanceVariable, getValueBufferExpression, blockExpressions, nullable);
            return;
        }

        var memberInfo = property.GetMemberInfo(forMaterialization: true, forSet: true);
        var elementType = collection.ComplexType.ClrType;
        var elements = LsmRowReads.Read(getValueBufferExpression, typeof(IEnumerable<ValueBuffer>), collection.GetIndex(), collection);
        var value = Call(
            MaterializeElementsMethod.MakeGenericMethod(elementType),
            elements,
            CreateElementMaterializer(collection),
            Property(bindingInfo.MaterializationContextExpression, nameof(MaterializationContext.Context)),
            Constant(collection, typeof(IComplexProperty)));
        blockExpressions.Add(Assign(MakeMemberAccess(instanceVariable, memberInfo), Convert(value, memberInfo is PropertyInfo p ? p.PropertyType : ((FieldInfo)memberInfo).FieldType)));
    }

    /// <summary>
    /// The compiled materializer of one element of <paramref name="collection"/> (a <c>Func&lt;MaterializationContext,
    /// TElement&gt;</c>), built once per collection: what a query's filters and projections use to read the collection's
    /// elements as objects (LINQ-to-objects over them runs in the query's row lambdas).
    /// </summary>
    public Delegate ElementMaterializer(IComplexProperty collection) =>
        _elementMaterializers.GetOrAdd(collection, c => CreateElementMaterializer(c).Compile());

    /// <summary>
    /// The elements of a complex collection as its CLR collection type, for a query's own code: built from the row's decoded
    /// elements as the entity's materializer builds them, untracked (complex values have no identity of their own).
    /// </summary>
    public static object? QueryValue<TElement>(
        IEnumerable<ValueBuffer>? elements,
        Func<MaterializationContext, TElement> materializeElement,
        QueryContext queryContext,
        IComplexProperty collection) =>
        MaterializeElements(elements, materializeElement, queryContext.Context, collection);

    /// <summary>The materializer of one element of <paramref name="collection"/>, from a context over the element's buffer.</summary>
    public LambdaExpression CreateElementMaterializer(IComplexProperty collection)
    {
        var elementContext = Parameter(typeof(MaterializationContext), "elementContext");
        var body = CreateMaterializeExpression(
            new StructuralTypeMaterializerSourceParameters(
                collection.ComplexType, "element", collection.ComplexType.ClrType, IsNullable: false, QueryTrackingBehavior: null),
            elementContext);
        return Lambda(typeof(Func<,>).MakeGenericType(typeof(MaterializationContext), collection.ComplexType.ClrType), body, elementContext);
    }

    /// <summary>
    /// The collection of <paramref name="collection"/>'s CLR type holding one element per buffer of <paramref name="elements"/>
    /// (null for a null collection; an empty buffer stands for a null element).
    /// </summary>
    private static object? MaterializeElements<TElement>(
        IEnumerable<ValueBuffer>? elements,
        Func<MaterializationContext, TElement> materializeElement,
        DbContext context,
        IComplexProperty collection)
    {
        if (elements is null)
        {
            return null;
        }

        var result = collection.GetCollectionAccessor()!.Create();
        var list = (ICollection<TElement?>)result;
        foreach (var element in elements)
        {
            list.Add(element.IsEmpty ? default : materializeElement(new MaterializationContext(element, context)));
        }

        return result;
    }
}
