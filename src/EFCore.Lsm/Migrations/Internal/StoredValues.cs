using MessagePack;
using System.Globalization;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// Stored (provider) values of the columns a migration works on, at the catalog's level: codecs by recorded provider type,
/// values coerced to a column's type, rows read and written by property id. Migrations need no EF entity type: the
/// catalog says how rows are laid out.
/// </summary>
internal sealed class StoredValues(IReadOnlyList<IReadOnlyModel?> models)
{
    private readonly Dictionary<string, (Type Type, ProviderValueCodec Codec)> _types = new(StringComparer.Ordinal);

    public Type TypeOf(string providerTypeName) => Resolve(providerTypeName).Type;

    public ProviderValueCodec CodecOf(string providerTypeName) => Resolve(providerTypeName).Codec;

    /// <summary>
    /// <paramref name="value"/> (a value a migration was given, e.g. by <c>InsertData</c>) as <paramref name="type"/>: enums
    /// from their integers, numbers widened or narrowed when the value is unchanged. Throws <see cref="InvalidOperationException"/>
    /// naming <paramref name="what"/> otherwise.
    /// </summary>
    public static object? Coerce(object? value, Type type, string what)
    {
        if (value is null || value is DBNull)
        {
            return null;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsInstanceOfType(value))
        {
            return value;
        }

        try
        {
            object converted;
            if (type.IsEnum)
            {
                converted = Enum.ToObject(type, value is Enum ? Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture) : value);
            }
            else if (value is Enum)
            {
                converted = Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
            }
            else if (type == typeof(Guid) && value is string s)
            {
                converted = Guid.Parse(s, CultureInfo.InvariantCulture);
            }
            else
            {
                converted = Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
            }

            // A conversion that changes the value (2.5 → 2) is not a coercion.
            if (value is IConvertible && !(value is Enum) && !type.IsEnum && value.GetType() != typeof(string)
                && !Equals(Convert.ChangeType(converted, value.GetType(), CultureInfo.InvariantCulture), value))
            {
                throw new OverflowException();
            }

            // Nor is text read as a number that writes back as other text: "0150" → 150 loses the zero, " 7" the space,
            // "1e3" → 1000 the notation. Numbers are compared in their invariant form, which round-trips.
            if (value is string text && converted is IFormattable number && IsNumber(type)
                && !string.Equals(number.ToString(null, CultureInfo.InvariantCulture), text, StringComparison.Ordinal))
            {
                throw new FormatException();
            }

            return converted;
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"The value {Format(value)} ({value.GetType().Name}) given for {what} cannot be stored as {type.Name} without change.", e);
        }
    }

    private static bool IsNumber(Type type)
        => type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort) || type == typeof(int)
            || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) || type == typeof(float) || type == typeof(double)
            || type == typeof(decimal);

    /// <summary>The stored value of property <paramref name="id"/> in <paramref name="row"/>, else its stored default (when <paramref name="useDefault"/>), else null.</summary>
    public object? Read(ReadOnlySpan<byte> row, CatalogEntity entity, uint id, bool useDefault = true) =>
        Read(row, entity, id, CodecOf(PropertyType(entity, id)), useDefault);

    /// <summary>
    /// As <see cref="Read(ReadOnlySpan{byte}, CatalogEntity, uint, bool)"/> with the property's codec resolved by the caller,
    /// once per column rather than once per row (re-keying and index builds read every row).
    /// </summary>
    public static object? Read(ReadOnlySpan<byte> row, CatalogEntity entity, uint id, ProviderValueCodec codec, bool useDefault = true)
    {
        using var reader = new RowReader(row);
        if (reader.TryFind(id))
        {
            var value = reader.ValueReader;
            return codec.ReadValue(ref value);
        }

        if (useDefault && entity.FindDefault(id) is { } stored)
        {
            var value = new MessagePackReader(stored);
            return codec.ReadValue(ref value);
        }

        return null;
    }

    /// <summary>One MessagePack value of property type <paramref name="providerTypeName"/>.</summary>
    public byte[] EncodeValue(string providerTypeName, object? value)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        CodecOf(providerTypeName).WriteValue(ref writer, value);
        writer.Flush();
        return buffer.ToArray();
    }

    public static string PropertyType(CatalogEntity entity, uint id) =>
        entity.Properties.First(p => p.Id == id).ProviderType;

    public static string Format(object? value) =>
        value switch
        {
            null => "null",
            string s => "'" + s + "'",
            byte[] b => "0x" + Convert.ToHexString(b),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    private (Type Type, ProviderValueCodec Codec) Resolve(string name)
    {
        if (_types.TryGetValue(name, out var known))
        {
            return known;
        }

        Type? type = null;
        foreach (var model in models)
        {
            type = ProviderTypes.Resolve(name, model);
            if (type is not null)
            {
                break;
            }
        }

        type ??= ProviderTypes.Resolve(name, null) ?? throw new InvalidOperationException(
            $"The EFCore.Lsm database stores values of type '{name}', which no loaded assembly defines; the migration cannot read them.");
        var codec = ProviderValueCodec.Find(type) ?? throw new InvalidOperationException(
            $"The type '{name}' cannot be stored by EFCore.Lsm.");
        _types[name] = (type, codec);
        return (type, codec);
    }
}
