using System.Linq.Expressions;
using System.Reflection;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The key of a join on several values (a composite foreign key): equal when every value is equal (null parts included, as
/// EF InMemory compares them), so LINQ-to-objects joins and groups compare it by value.
/// </summary>
internal readonly struct LsmCompositeKey : IEquatable<LsmCompositeKey>
{
    private static readonly ConstructorInfo Constructor = typeof(LsmCompositeKey).GetConstructor([typeof(object?[])])!;

    private readonly object?[] _values;

    public LsmCompositeKey(object?[] values) => _values = values;

    public static Expression Create(IEnumerable<Expression> values) =>
        Expression.New(Constructor, Expression.NewArrayInit(typeof(object), values.Select(v => Expression.Convert(v, typeof(object)))));

    public bool Equals(LsmCompositeKey other)
    {
        if (_values.Length != other._values.Length)
        {
            return false;
        }

        for (var i = 0; i < _values.Length; i++)
        {
            if (!Equals(_values[i], other._values[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is LsmCompositeKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var value in _values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(LsmCompositeKey left, LsmCompositeKey right) => left.Equals(right);

    public static bool operator !=(LsmCompositeKey left, LsmCompositeKey right) => !left.Equals(right);
}
