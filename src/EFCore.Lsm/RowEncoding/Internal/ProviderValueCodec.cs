using System.Reflection;
using EFCore.Lsm.KeyEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Encodes values of one provider CLR type (the type after any value converter) as a key part and as a row value, and
/// decodes row values back. One instance per type, bound once when an entity mapping is built, so saving a row does no
/// type tests or reflection per value; values arrive boxed because EF's update entries hand them out as objects.
/// </summary>
internal abstract class ProviderValueCodec
{
    private static readonly Dictionary<Type, ProviderValueCodec> Cache = [];
    private static readonly Lock CacheLock = new();

    protected ProviderValueCodec(Type providerType) => ProviderType = providerType;

    /// <summary>The provider CLR type, nullable unwrapped.</summary>
    public Type ProviderType { get; }

    /// <summary>Whether a primary key part can have this type (docs/key_encoding.md lists the encodings).</summary>
    public static bool IsKeyEncodable(Type providerType)
    {
        var type = Nullable.GetUnderlyingType(providerType) ?? providerType;
        return type.IsEnum || KeyWriterFor(type) is not null;
    }

    /// <summary>The codec for <paramref name="providerType"/>, or null when rows cannot store the type.</summary>
    public static ProviderValueCodec? Find(Type providerType)
    {
        var type = Nullable.GetUnderlyingType(providerType) ?? providerType;
        if (!RowValueCodec.IsSupported(type))
        {
            return null;
        }

        lock (CacheLock)
        {
            if (!Cache.TryGetValue(type, out var codec))
            {
                codec = (ProviderValueCodec)Activator.CreateInstance(typeof(ProviderValueCodec<>).MakeGenericType(type))!;
                Cache[type] = codec;
            }

            return codec;
        }
    }

    /// <summary>
    /// Appends <paramref name="value"/> (non-null, of <see cref="ProviderType"/>) as one key part, complemented when
    /// <paramref name="descending"/> (docs/key_encoding.md, "Descending parts").
    /// </summary>
    public abstract void WriteKeyPart(ref KeyWriter writer, object value, bool descending = false);

    /// <summary>
    /// Reads one stored MessagePack value of <see cref="ProviderType"/> from <paramref name="value"/> and appends it as one key
    /// part, without boxing it (a migration re-keys every row this way); false, with nothing written, when the value is nil.
    /// </summary>
    public abstract bool TryWriteKeyPart(ref MessagePackReader value, ref KeyWriter writer, bool descending = false);

    /// <summary>Writes <paramref name="value"/> (of <see cref="ProviderType"/>, or null) as one MessagePack value.</summary>
    public abstract void WriteValue(ref MessagePackWriter writer, object? value);

    /// <summary>Reads one MessagePack value (nil reads as null); malformed input raises <see cref="MessagePackFormatException"/>.</summary>
    public abstract object? ReadValue(ref MessagePackReader reader);

    internal delegate void KeyPartWriter<in T>(ref KeyWriter writer, T value, bool descending);

    /// <summary>The key writer overload for a non-enum type, or null when keys cannot hold the type.</summary>
    internal static Delegate? KeyWriterFor(Type type)
    {
        if (type.IsEnum)
        {
            return typeof(ProviderValueCodec).GetMethod(nameof(WriteEnum), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type).CreateDelegate(typeof(KeyPartWriter<>).MakeGenericType(type));
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => (KeyPartWriter<bool>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.SByte => (KeyPartWriter<sbyte>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Byte => (KeyPartWriter<byte>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Int16 => (KeyPartWriter<short>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.UInt16 => (KeyPartWriter<ushort>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Char => (KeyPartWriter<char>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Int32 => (KeyPartWriter<int>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.UInt32 => (KeyPartWriter<uint>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Int64 => (KeyPartWriter<long>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.UInt64 => (KeyPartWriter<ulong>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Single => (KeyPartWriter<float>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Double => (KeyPartWriter<double>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.Decimal => (KeyPartWriter<decimal>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.DateTime => (KeyPartWriter<DateTime>)((ref w, v, d) => w.Write(v, d)),
            TypeCode.String => (KeyPartWriter<string>)((ref w, v, d) => w.Write(v.AsSpan(), d)),
            _ when type == typeof(Guid) => (KeyPartWriter<Guid>)((ref w, v, d) => w.Write(v, d)),
            _ when type == typeof(byte[]) => (KeyPartWriter<byte[]>)((ref w, v, d) => w.Write(v.AsSpan(), d)),
            _ when type == typeof(DateTimeOffset) => (KeyPartWriter<DateTimeOffset>)((ref w, v, d) => w.Write(v, d)),
            _ when type == typeof(DateOnly) => (KeyPartWriter<DateOnly>)((ref w, v, d) => w.Write(v, d)),
            _ when type == typeof(TimeOnly) => (KeyPartWriter<TimeOnly>)((ref w, v, d) => w.Write(v, d)),
            _ when type == typeof(TimeSpan) => (KeyPartWriter<TimeSpan>)((ref w, v, d) => w.Write(v, d)),
            _ => null,
        };
    }

    private static void WriteEnum<TEnum>(ref KeyWriter writer, TEnum value, bool descending)
        where TEnum : struct, Enum => writer.WriteEnum(value, descending);
}

/// <summary>The codec for one provider type; see <see cref="ProviderValueCodec"/>.</summary>
internal sealed class ProviderValueCodec<T> : ProviderValueCodec
{
    private readonly KeyPartWriter<T>? _keyWriter = (KeyPartWriter<T>?)KeyWriterFor(typeof(T));

    public ProviderValueCodec()
        : base(typeof(T))
    {
    }

    public override void WriteKeyPart(ref KeyWriter writer, object value, bool descending = false)
    {
        if (_keyWriter is null)
        {
            throw new NotSupportedException($"Values of type '{typeof(T)}' have no order-preserving key encoding.");
        }

        _keyWriter(ref writer, (T)value, descending);
    }

    public override bool TryWriteKeyPart(ref MessagePackReader value, ref KeyWriter writer, bool descending = false)
    {
        if (_keyWriter is null)
        {
            throw new NotSupportedException($"Values of type '{typeof(T)}' have no order-preserving key encoding.");
        }

        if (value.TryReadNil())
        {
            return false;
        }

        _keyWriter(ref writer, RowValueCodec.Read<T>(ref value), descending);
        return true;
    }

    public override void WriteValue(ref MessagePackWriter writer, object? value)
    {
        if (value is null)
        {
            writer.WriteNil();
        }
        else
        {
            RowValueCodec.Write(ref writer, (T)value);
        }
    }

    public override object? ReadValue(ref MessagePackReader reader) => RowValueCodec.ReadBoxed<T>(ref reader);
}
