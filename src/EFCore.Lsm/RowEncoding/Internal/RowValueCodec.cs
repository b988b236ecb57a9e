using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Writes and reads one property value by its CLR type, exactly, through the MessagePack package's writer and reader: the
/// MessagePack form chosen for each type is listed in docs/row_encoding.md. The type tests are on <c>typeof(T)</c>, which
/// the JIT folds per instantiation, so a call for <see cref="int"/> compiles to the integer write alone. Nullable value
/// types and enums are handled too. Reads refuse malformed or mistyped input with <see cref="MessagePackFormatException"/>
/// (the package's own exceptions are translated here); after a failed read the reader's position is unspecified.
/// </summary>
public static class RowValueCodec
{
    /// <summary>Whether <paramref name="type"/> (or, for <see cref="Nullable{T}"/>, its underlying type) can be stored.</summary>
    public static bool IsSupported(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return true;
        }

        return type == typeof(bool) || type == typeof(byte) || type == typeof(sbyte) || type == typeof(short)
            || type == typeof(ushort) || type == typeof(int) || type == typeof(uint) || type == typeof(long)
            || type == typeof(ulong) || type == typeof(char) || type == typeof(float) || type == typeof(double)
            || type == typeof(decimal) || type == typeof(string) || type == typeof(byte[]) || type == typeof(Guid)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly)
            || type == typeof(TimeOnly) || type == typeof(TimeSpan);
    }

    public static void Write<T>(ref MessagePackWriter writer, T value)
    {
        if (typeof(T) == typeof(int))
        {
            writer.Write((long)Unsafe.As<T, int>(ref value));
        }
        else if (typeof(T) == typeof(long))
        {
            writer.Write(Unsafe.As<T, long>(ref value));
        }
        else if (typeof(T) == typeof(double))
        {
            WriteDouble(ref writer, Unsafe.As<T, double>(ref value));
        }
        else if (typeof(T) == typeof(bool))
        {
            writer.Write(Unsafe.As<T, bool>(ref value));
        }
        else if (typeof(T) == typeof(byte))
        {
            writer.Write((ulong)Unsafe.As<T, byte>(ref value));
        }
        else if (typeof(T) == typeof(sbyte))
        {
            writer.Write((long)Unsafe.As<T, sbyte>(ref value));
        }
        else if (typeof(T) == typeof(short))
        {
            writer.Write((long)Unsafe.As<T, short>(ref value));
        }
        else if (typeof(T) == typeof(ushort))
        {
            writer.Write((ulong)Unsafe.As<T, ushort>(ref value));
        }
        else if (typeof(T) == typeof(uint))
        {
            writer.Write((ulong)Unsafe.As<T, uint>(ref value));
        }
        else if (typeof(T) == typeof(ulong))
        {
            writer.Write(Unsafe.As<T, ulong>(ref value));
        }
        else if (typeof(T) == typeof(char))
        {
            writer.Write((ulong)Unsafe.As<T, char>(ref value));
        }
        else if (typeof(T) == typeof(float))
        {
            writer.Write(Unsafe.As<T, float>(ref value));
        }
        else if (typeof(T) == typeof(decimal))
        {
            ProviderExtensionTypes.WriteDecimal(ref writer, Unsafe.As<T, decimal>(ref value));
        }
        else if (typeof(T) == typeof(Guid))
        {
            ProviderExtensionTypes.WriteGuid(ref writer, Unsafe.As<T, Guid>(ref value));
        }
        else if (typeof(T) == typeof(DateTime))
        {
            ProviderExtensionTypes.WriteDateTime(ref writer, Unsafe.As<T, DateTime>(ref value));
        }
        else if (typeof(T) == typeof(DateTimeOffset))
        {
            ProviderExtensionTypes.WriteDateTimeOffset(ref writer, Unsafe.As<T, DateTimeOffset>(ref value));
        }
        else if (typeof(T) == typeof(DateOnly))
        {
            ProviderExtensionTypes.WriteDateOnly(ref writer, Unsafe.As<T, DateOnly>(ref value));
        }
        else if (typeof(T) == typeof(TimeOnly))
        {
            ProviderExtensionTypes.WriteTimeOnly(ref writer, Unsafe.As<T, TimeOnly>(ref value));
        }
        else if (typeof(T) == typeof(TimeSpan))
        {
            ProviderExtensionTypes.WriteTimeSpan(ref writer, Unsafe.As<T, TimeSpan>(ref value));
        }
        else if (typeof(T) == typeof(string))
        {
            writer.WriteStrictString(Unsafe.As<T, string?>(ref value));
        }
        else if (typeof(T) == typeof(byte[]))
        {
            writer.Write(Unsafe.As<T, byte[]?>(ref value));
        }
        else if (typeof(T).IsEnum)
        {
            WriteEnum(ref writer, value);
        }
        else if (typeof(T).IsValueType && value is null)
        {
            // A null Nullable<T>; the JIT turns this test into HasValue without boxing.
            writer.WriteNil();
        }
        else
        {
            NullableCodec<T>.Write(ref writer, value);
        }
    }

    public static T Read<T>(ref MessagePackReader reader)
    {
        var offset = reader.Consumed;
        try
        {
            return ReadCore<T>(ref reader);
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, offset, TypeName<T>.Value);
        }
    }

    /// <summary>Reads a <typeparamref name="T"/>, or nil as null, boxed (EF's value buffers and update entries hold objects).</summary>
    public static object? ReadBoxed<T>(ref MessagePackReader reader)
    {
        var offset = reader.Consumed;
        try
        {
            return reader.TryReadNil() ? null : ReadCore<T>(ref reader);
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, offset, TypeName<T>.Value);
        }
    }

    private static T ReadCore<T>(ref MessagePackReader reader)
    {
        if (typeof(T) == typeof(int))
        {
            var value = reader.ReadInt32();
            return Unsafe.As<int, T>(ref value);
        }

        if (typeof(T) == typeof(long))
        {
            var value = reader.ReadInt64();
            return Unsafe.As<long, T>(ref value);
        }

        if (typeof(T) == typeof(double))
        {
            var value = reader.ReadDouble();
            return Unsafe.As<double, T>(ref value);
        }

        if (typeof(T) == typeof(bool))
        {
            var value = reader.ReadBoolean();
            return Unsafe.As<bool, T>(ref value);
        }

        if (typeof(T) == typeof(byte))
        {
            var value = reader.ReadByte();
            return Unsafe.As<byte, T>(ref value);
        }

        if (typeof(T) == typeof(sbyte))
        {
            var value = reader.ReadSByte();
            return Unsafe.As<sbyte, T>(ref value);
        }

        if (typeof(T) == typeof(short))
        {
            var value = reader.ReadInt16();
            return Unsafe.As<short, T>(ref value);
        }

        if (typeof(T) == typeof(ushort))
        {
            var value = reader.ReadUInt16();
            return Unsafe.As<ushort, T>(ref value);
        }

        if (typeof(T) == typeof(uint))
        {
            var value = reader.ReadUInt32();
            return Unsafe.As<uint, T>(ref value);
        }

        if (typeof(T) == typeof(ulong))
        {
            var value = reader.ReadUInt64();
            return Unsafe.As<ulong, T>(ref value);
        }

        if (typeof(T) == typeof(char))
        {
            var value = reader.ReadChar();
            return Unsafe.As<char, T>(ref value);
        }

        if (typeof(T) == typeof(float))
        {
            var value = reader.ReadSingle();
            return Unsafe.As<float, T>(ref value);
        }

        if (typeof(T) == typeof(decimal))
        {
            var value = ProviderExtensionTypes.ReadDecimal(ref reader);
            return Unsafe.As<decimal, T>(ref value);
        }

        if (typeof(T) == typeof(Guid))
        {
            var value = ProviderExtensionTypes.ReadGuid(ref reader);
            return Unsafe.As<Guid, T>(ref value);
        }

        if (typeof(T) == typeof(DateTime))
        {
            var value = ProviderExtensionTypes.ReadDateTime(ref reader);
            return Unsafe.As<DateTime, T>(ref value);
        }

        if (typeof(T) == typeof(DateTimeOffset))
        {
            var value = ProviderExtensionTypes.ReadDateTimeOffset(ref reader);
            return Unsafe.As<DateTimeOffset, T>(ref value);
        }

        if (typeof(T) == typeof(DateOnly))
        {
            var value = ProviderExtensionTypes.ReadDateOnly(ref reader);
            return Unsafe.As<DateOnly, T>(ref value);
        }

        if (typeof(T) == typeof(TimeOnly))
        {
            var value = ProviderExtensionTypes.ReadTimeOnly(ref reader);
            return Unsafe.As<TimeOnly, T>(ref value);
        }

        if (typeof(T) == typeof(TimeSpan))
        {
            var value = ProviderExtensionTypes.ReadTimeSpan(ref reader);
            return Unsafe.As<TimeSpan, T>(ref value);
        }

        if (typeof(T) == typeof(string))
        {
            var value = reader.TryReadNil() ? null : reader.ReadStrictString();
            return Unsafe.As<string?, T>(ref value);
        }

        if (typeof(T) == typeof(byte[]))
        {
            var value = reader.TryReadNil() ? null : reader.ReadStrictBytes();
            return Unsafe.As<byte[]?, T>(ref value);
        }

        if (typeof(T).IsEnum)
        {
            return ReadEnum<T>(ref reader);
        }

        return NullableCodec<T>.Read(ref reader);
    }

    private static void WriteEnum<T>(ref MessagePackWriter writer, T value)
    {
        switch (Type.GetTypeCode(typeof(T)))
        {
            case TypeCode.Int32:
                writer.Write((long)Unsafe.As<T, int>(ref value));
                break;
            case TypeCode.Int64:
                writer.Write(Unsafe.As<T, long>(ref value));
                break;
            case TypeCode.Int16:
                writer.Write((long)Unsafe.As<T, short>(ref value));
                break;
            case TypeCode.SByte:
                writer.Write((long)Unsafe.As<T, sbyte>(ref value));
                break;
            case TypeCode.Byte:
                writer.Write((ulong)Unsafe.As<T, byte>(ref value));
                break;
            case TypeCode.UInt16:
                writer.Write((ulong)Unsafe.As<T, ushort>(ref value));
                break;
            case TypeCode.UInt32:
                writer.Write((ulong)Unsafe.As<T, uint>(ref value));
                break;
            case TypeCode.UInt64:
                writer.Write(Unsafe.As<T, ulong>(ref value));
                break;
            default:
                throw Unsupported(typeof(T));
        }
    }

    private static T ReadEnum<T>(ref MessagePackReader reader)
    {
        switch (Type.GetTypeCode(typeof(T)))
        {
            case TypeCode.Int32:
                var int32 = reader.ReadInt32();
                return Unsafe.As<int, T>(ref int32);
            case TypeCode.Int64:
                var int64 = reader.ReadInt64();
                return Unsafe.As<long, T>(ref int64);
            case TypeCode.Int16:
                var int16 = reader.ReadInt16();
                return Unsafe.As<short, T>(ref int16);
            case TypeCode.SByte:
                var int8 = reader.ReadSByte();
                return Unsafe.As<sbyte, T>(ref int8);
            case TypeCode.Byte:
                var uint8 = reader.ReadByte();
                return Unsafe.As<byte, T>(ref uint8);
            case TypeCode.UInt16:
                var uint16 = reader.ReadUInt16();
                return Unsafe.As<ushort, T>(ref uint16);
            case TypeCode.UInt32:
                var uint32 = reader.ReadUInt32();
                return Unsafe.As<uint, T>(ref uint32);
            case TypeCode.UInt64:
                var uint64 = reader.ReadUInt64();
                return Unsafe.As<ulong, T>(ref uint64);
            default:
                throw Unsupported(typeof(T));
        }
    }

    private static void WriteNullable<TValue>(ref MessagePackWriter writer, TValue? value)
        where TValue : struct
    {
        if (value.HasValue)
        {
            Write(ref writer, value.GetValueOrDefault());
        }
        else
        {
            writer.WriteNil();
        }
    }

    private static TValue? ReadNullable<TValue>(ref MessagePackReader reader)
        where TValue : struct =>
        reader.TryReadNil() ? null : ReadCore<TValue>(ref reader);

    /// <summary>float32 when it holds the value bit for bit (0.5, -0.0, ±infinity, the default NaN), else float64.</summary>
    private static void WriteDouble(ref MessagePackWriter writer, double value)
    {
        var narrowed = (float)value;
        if (BitConverter.DoubleToInt64Bits(narrowed) == BitConverter.DoubleToInt64Bits(value))
        {
            writer.Write(narrowed);
        }
        else
        {
            writer.Write(value);
        }
    }

    private static NotSupportedException Unsupported(Type type) =>
        new($"Values of type '{type}' cannot be stored in a row; see docs/row_encoding.md for the supported CLR types.");

    private delegate void WriteAction<in T>(ref MessagePackWriter writer, T value);

    private delegate T ReadFunc<out T>(ref MessagePackReader reader);

    /// <summary>The name errors give a type, computed once per type (errors only).</summary>
    private static class TypeName<T>
    {
        public static readonly string Value = (Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)).Name;
    }

    /// <summary>
    /// Binds, once per type, the generic nullable path for <c>Nullable&lt;TValue&gt;</c>; any other unsupported type
    /// gets a path that throws <see cref="NotSupportedException"/>.
    /// </summary>
    private static class NullableCodec<T>
    {
        public static readonly WriteAction<T> Write;
        public static readonly ReadFunc<T> Read;

        static NullableCodec()
        {
            var underlying = Nullable.GetUnderlyingType(typeof(T));
            if (underlying is null || !IsSupported(underlying))
            {
                Write = (ref _, _) => throw Unsupported(typeof(T));
                Read = (ref _) => throw Unsupported(typeof(T));
                return;
            }

            const BindingFlags flags = BindingFlags.NonPublic | BindingFlags.Static;
            Write = typeof(RowValueCodec).GetMethod(nameof(WriteNullable), flags)!
                .MakeGenericMethod(underlying).CreateDelegate<WriteAction<T>>();
            Read = typeof(RowValueCodec).GetMethod(nameof(ReadNullable), flags)!
                .MakeGenericMethod(underlying).CreateDelegate<ReadFunc<T>>();
        }
    }
}
