using System.Globalization;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// Converts between the provider type a property's values are stored as (the catalog's record) and the provider type the
/// model now gives it, when every stored value has exactly one equal value of the model's type: integer widening (int →
/// long, ushort → uint…), integers to double (up to 32 bits) or float (up to 16 bits), float → double, any integer →
/// decimal, char → string, and an enum to or from its underlying integer. Rows keep the stored type until a migration
/// rewrites them (docs/migrations.md); until then a written value must fit the stored type, and one that does not is
/// refused naming the property, never narrowed.
/// </summary>
internal sealed class StoredTypeConversion
{
    private StoredTypeConversion(Type stored, Type model)
    {
        StoredType = stored;
        ModelType = model;
    }

    /// <summary>The provider type the rows hold (nullable unwrapped).</summary>
    public Type StoredType { get; }

    /// <summary>The model's provider type (nullable unwrapped).</summary>
    public Type ModelType { get; }

    /// <summary>
    /// The conversion from <paramref name="stored"/> to <paramref name="model"/> (nullable unwrapped), or null when some
    /// stored value would change or has no counterpart. Also null for equal types: no conversion is needed.
    /// </summary>
    public static StoredTypeConversion? Find(Type stored, Type model)
    {
        stored = Nullable.GetUnderlyingType(stored) ?? stored;
        model = Nullable.GetUnderlyingType(model) ?? model;
        return stored != model && IsLossless(stored, model) ? new StoredTypeConversion(stored, model) : null;
    }

    /// <summary>Whether every value of <paramref name="stored"/> converts to an equal value of <paramref name="model"/>.</summary>
    public static bool IsLossless(Type stored, Type model)
    {
        stored = Nullable.GetUnderlyingType(stored) ?? stored;
        model = Nullable.GetUnderlyingType(model) ?? model;
        if (stored == model)
        {
            return true;
        }

        if (stored == typeof(char))
        {
            return model == typeof(string) || (Range(model) is { } r && r.Min <= 0 && r.Max >= char.MaxValue);
        }

        if (stored == typeof(float))
        {
            return model == typeof(double);
        }

        if (Range(stored) is not { } from)
        {
            return false;
        }

        if (Range(model) is { } to)
        {
            return to.Min <= from.Min && to.Max >= from.Max;
        }

        return Type.GetTypeCode(model) switch
        {
            TypeCode.Decimal => true,
            TypeCode.Double => from.Bits <= 32,
            TypeCode.Single => from.Bits <= 16,
            _ => false,
        };
    }

    /// <summary>A stored value (non-null, of <see cref="StoredType"/>) as the model's provider type.</summary>
    public object ToModel(object stored) => Convert(stored, ModelType);

    /// <summary>
    /// A model provider value (non-null) as the stored type. Throws <see cref="OverflowException"/> when it has no equal
    /// stored value (a long past the range of the stored int).
    /// </summary>
    public object ToStored(object model)
    {
        object stored;
        try
        {
            stored = Convert(model, StoredType);
        }
        catch (Exception e) when (e is OverflowException or FormatException or InvalidCastException or ArgumentException)
        {
            throw new OverflowException($"{Format(model)} has no equal value of type {StoredType.Name}.", e);
        }

        if (!Equals(Convert(stored, ModelType), model))
        {
            throw new OverflowException($"{Format(model)} has no equal value of type {StoredType.Name}.");
        }

        return stored;
    }

    private static object Convert(object value, Type to)
    {
        if (to.IsEnum)
        {
            return Enum.ToObject(to, value is Enum ? System.Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture) : value);
        }

        if (value is Enum)
        {
            value = System.Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture);
        }

        if (to == typeof(string))
        {
            return value is char c ? c.ToString() : System.Convert.ToString(value, CultureInfo.InvariantCulture)!;
        }

        if (to == typeof(char) && value is string s)
        {
            return s.Length == 1 ? s[0] : throw new OverflowException($"'{s}' is not one character.");
        }

        return System.Convert.ChangeType(value, to, CultureInfo.InvariantCulture);
    }

    private static string Format(object value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? "";

    private readonly record struct IntegerRange(decimal Min, decimal Max, int Bits);

    // The values an integer type (or an enum, by its underlying type) holds.
    private static IntegerRange? Range(Type type) =>
        Type.GetTypeCode(type.IsEnum ? Enum.GetUnderlyingType(type) : type) switch
        {
            TypeCode.SByte => new IntegerRange(sbyte.MinValue, sbyte.MaxValue, 8),
            TypeCode.Byte => new IntegerRange(byte.MinValue, byte.MaxValue, 8),
            TypeCode.Int16 => new IntegerRange(short.MinValue, short.MaxValue, 16),
            TypeCode.UInt16 => new IntegerRange(ushort.MinValue, ushort.MaxValue, 16),
            TypeCode.Int32 => new IntegerRange(int.MinValue, int.MaxValue, 32),
            TypeCode.UInt32 => new IntegerRange(uint.MinValue, uint.MaxValue, 32),
            TypeCode.Int64 => new IntegerRange(long.MinValue, long.MaxValue, 64),
            TypeCode.UInt64 => new IntegerRange(ulong.MinValue, ulong.MaxValue, 64),
            _ => null,
        };
}
