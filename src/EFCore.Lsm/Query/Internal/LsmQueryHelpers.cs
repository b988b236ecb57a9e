using System.Linq.Expressions;
using System.Reflection;

namespace EFCore.Lsm.Query.Internal;

/// <summary>Type tests and conversions the query translators share (nullable forms, sequence element types).</summary>
internal static class LsmTypes
{
    public static bool IsNullableType(this Type type) => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;

    public static bool IsNullableValueType(this Type type) => Nullable.GetUnderlyingType(type) is not null;

    public static Type MakeNullable(this Type type) =>
        type.IsNullableType() ? type : typeof(Nullable<>).MakeGenericType(type);

    public static Type UnwrapNullableType(this Type type) => Nullable.GetUnderlyingType(type) ?? type;

    /// <summary>The element type of an <c>IEnumerable&lt;T&gt;</c> (or of a type implementing it), or null.</summary>
    public static Type? TryGetSequenceType(this Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            return type.GetGenericArguments()[0];
        }

        foreach (var candidate in type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return candidate.GetGenericArguments()[0];
            }
        }

        return null;
    }

    public static Type GetSequenceType(this Type type) =>
        type.TryGetSequenceType() ?? throw new ArgumentException($"'{type}' is not a sequence type.", nameof(type));

    /// <summary>Whether <paramref name="result"/> is <paramref name="original"/>'s type made nullable.</summary>
    public static bool IsConvertedToNullable(Expression result, Expression original) =>
        result.Type.IsNullableValueType() && !original.Type.IsNullableType() && result.Type.UnwrapNullableType() == original.Type;

    public static Expression ConvertToNullable(Expression expression) =>
        expression.Type.IsNullableType() ? expression : Expression.Convert(expression, expression.Type.MakeNullable());

    public static Expression ConvertToNonNullable(Expression expression) =>
        expression.Type.IsNullableValueType() ? Expression.Convert(expression, expression.Type.UnwrapNullableType()) : expression;

    /// <summary>Boxes value types, so a value can go into a row (<c>object?[]</c>).</summary>
    public static Expression Box(Expression expression) =>
        expression.Type.IsValueType ? Expression.Convert(expression, typeof(object)) : expression;

    /// <summary>Strips conversions to <see cref="object"/> and between a type and its nullable form.</summary>
    public static Expression StripObjectAndNullableConvert(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert
            && (convert.Type == typeof(object) || convert.Type.UnwrapNullableType() == convert.Operand.Type.UnwrapNullableType()))
        {
            expression = convert.Operand;
        }

        return expression;
    }
}

/// <summary>The generic method definitions of <see cref="Enumerable"/> the server queries are built from.</summary>
internal static class LsmEnumerable
{
    private static readonly MethodInfo[] Methods = typeof(Enumerable).GetMethods(BindingFlags.Public | BindingFlags.Static);

    public static readonly MethodInfo Select = Find(nameof(Enumerable.Select), 2, (p, _) => IsFunc(p[1], 2));
    public static readonly MethodInfo Where = Find(nameof(Enumerable.Where), 2, (p, _) => IsFunc(p[1], 2));
    public static readonly MethodInfo OrderBy = Find(nameof(Enumerable.OrderBy), 2);
    public static readonly MethodInfo OrderByDescending = Find(nameof(Enumerable.OrderByDescending), 2);
    public static readonly MethodInfo OrderByComparer = Find(nameof(Enumerable.OrderBy), 3);
    public static readonly MethodInfo OrderByDescendingComparer = Find(nameof(Enumerable.OrderByDescending), 3);
    public static readonly MethodInfo ThenBy = Find(nameof(Enumerable.ThenBy), 2);
    public static readonly MethodInfo ThenByDescending = Find(nameof(Enumerable.ThenByDescending), 2);
    public static readonly MethodInfo ThenByComparer = Find(nameof(Enumerable.ThenBy), 3);
    public static readonly MethodInfo ThenByDescendingComparer = Find(nameof(Enumerable.ThenByDescending), 3);
    public static readonly MethodInfo Skip = Find(nameof(Enumerable.Skip), 2, (p, _) => p[1].ParameterType == typeof(int));
    public static readonly MethodInfo Take = Find(nameof(Enumerable.Take), 2, (p, _) => p[1].ParameterType == typeof(int));
    public static readonly MethodInfo Distinct = Find(nameof(Enumerable.Distinct), 1);
    public static readonly MethodInfo Reverse = Find(nameof(Enumerable.Reverse), 1, (p, _) => p[0].ParameterType.IsGenericType);
    public static readonly MethodInfo Concat = Find(nameof(Enumerable.Concat), 2);
    public static readonly MethodInfo Union = Find(nameof(Enumerable.Union), 2);
    public static readonly MethodInfo Intersect = Find(nameof(Enumerable.Intersect), 2);
    public static readonly MethodInfo Except = Find(nameof(Enumerable.Except), 2);
    public static readonly MethodInfo Any = Find(nameof(Enumerable.Any), 1);
    public static readonly MethodInfo Count = Find(nameof(Enumerable.Count), 1);
    public static readonly MethodInfo LongCount = Find(nameof(Enumerable.LongCount), 1);
    public static readonly MethodInfo First = Find(nameof(Enumerable.First), 1);
    public static readonly MethodInfo FirstOrDefault = Find(nameof(Enumerable.FirstOrDefault), 1);
    public static readonly MethodInfo Single = Find(nameof(Enumerable.Single), 1);
    public static readonly MethodInfo SingleOrDefault = Find(nameof(Enumerable.SingleOrDefault), 1);
    public static readonly MethodInfo Last = Find(nameof(Enumerable.Last), 1);
    public static readonly MethodInfo LastOrDefault = Find(nameof(Enumerable.LastOrDefault), 1);
    public static readonly MethodInfo ElementAt = Find(nameof(Enumerable.ElementAt), 2, (p, _) => p[1].ParameterType == typeof(int));
    public static readonly MethodInfo ElementAtOrDefault =
        Find(nameof(Enumerable.ElementAtOrDefault), 2, (p, _) => p[1].ParameterType == typeof(int));
    public static readonly MethodInfo DefaultIfEmptyWithValue = Find(nameof(Enumerable.DefaultIfEmpty), 2);
    public static readonly MethodInfo Contains = Find(nameof(Enumerable.Contains), 2);
    public static readonly MethodInfo Join = Find(nameof(Enumerable.Join), 5);
    public static readonly MethodInfo JoinComparer = Find(nameof(Enumerable.Join), 6);
    public static readonly MethodInfo SelectManyCollection =
        Find(nameof(Enumerable.SelectMany), 3, (p, _) => IsFunc(p[1], 2));
    public static readonly MethodInfo GroupByKeyElement = Find(nameof(Enumerable.GroupBy), 3, (p, m) =>
        IsFunc(p[1], 2) && IsFunc(p[2], 2) && m.GetGenericArguments().Length == 3);
    public static readonly MethodInfo ToList = Find(nameof(Enumerable.ToList), 1);
    public static readonly MethodInfo MinComparer = Find(nameof(Enumerable.Min), 2, (p, _) => p[1].ParameterType.IsGenericType
        && p[1].ParameterType.GetGenericTypeDefinition() == typeof(IComparer<>));
    public static readonly MethodInfo MaxComparer = Find(nameof(Enumerable.Max), 2, (p, _) => p[1].ParameterType.IsGenericType
        && p[1].ParameterType.GetGenericTypeDefinition() == typeof(IComparer<>));

    /// <summary>Enumerable.Sum/Average/Min/Max(source, selector) for a selector returning <paramref name="resultType"/>.</summary>
    public static MethodInfo AggregateWithSelector(string name, Type sourceType, Type resultType)
    {
        foreach (var method in Methods)
        {
            if (method.Name != name || !method.IsGenericMethodDefinition)
            {
                continue;
            }

            var parameters = method.GetParameters();
            if (parameters.Length != 2 || !IsFunc(parameters[1], 2))
            {
                continue;
            }

            var genericArguments = method.GetGenericArguments();
            var selectorResult = parameters[1].ParameterType.GetGenericArguments()[1];
            if (genericArguments.Length == 1 && selectorResult == resultType)
            {
                return method.MakeGenericMethod(sourceType);
            }
        }

        // Min and Max of any other comparable type: the generic (TSource, TResult) overload.
        foreach (var method in Methods)
        {
            if (method.Name == name && method.IsGenericMethodDefinition && method.GetGenericArguments().Length == 2
                && method.GetParameters() is { Length: 2 } parameters && IsFunc(parameters[1], 2))
            {
                return method.MakeGenericMethod(sourceType, resultType);
            }
        }

        throw new InvalidOperationException($"Enumerable.{name} has no overload for values of type '{resultType}'.");
    }

    private static bool IsFunc(ParameterInfo parameter, int arity) =>
        parameter.ParameterType.IsGenericType && parameter.ParameterType.GetGenericArguments().Length == arity
        && parameter.ParameterType.GetGenericTypeDefinition() == (arity == 2 ? typeof(Func<,>) : typeof(Func<,,>));

    private static MethodInfo Find(string name, int parameterCount, Func<ParameterInfo[], MethodInfo, bool>? filter = null)
    {
        foreach (var method in Methods)
        {
            if (method.Name == name && method.IsGenericMethodDefinition)
            {
                var parameters = method.GetParameters();
                if (parameters.Length == parameterCount && (filter is null || filter(parameters, method)))
                {
                    return method;
                }
            }
        }

        throw new InvalidOperationException($"Enumerable.{name} with {parameterCount} parameters was not found.");
    }
}
