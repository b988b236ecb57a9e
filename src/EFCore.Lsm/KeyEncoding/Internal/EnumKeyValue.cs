using System.Runtime.CompilerServices;

namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>Converts an enum to and from the integer of its underlying type without boxing.</summary>
internal static class EnumKeyValue<TEnum>
    where TEnum : struct, Enum
{
    /// <summary>Whether the underlying type is signed (sbyte, short, int, long, nint); decides which integer range applies.</summary>
    public static readonly bool IsSigned = Type.GetTypeCode(Enum.GetUnderlyingType(typeof(TEnum))) switch
    {
        TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 => true,
        TypeCode.Byte or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 or TypeCode.Char or TypeCode.Boolean => false,
        _ => Enum.GetUnderlyingType(typeof(TEnum)) == typeof(nint),
    };

    /// <summary>The smallest underlying value, as a signed or unsigned 64-bit integer per <see cref="IsSigned"/>.</summary>
    public static long MinSigned => Unsafe.SizeOf<TEnum>() switch
    {
        1 => sbyte.MinValue,
        2 => short.MinValue,
        4 => int.MinValue,
        _ => long.MinValue,
    };

    public static long MaxSigned => Unsafe.SizeOf<TEnum>() switch
    {
        1 => sbyte.MaxValue,
        2 => short.MaxValue,
        4 => int.MaxValue,
        _ => long.MaxValue,
    };

    public static ulong MaxUnsigned => Unsafe.SizeOf<TEnum>() switch
    {
        1 => byte.MaxValue,
        2 => ushort.MaxValue,
        4 => uint.MaxValue,
        _ => ulong.MaxValue,
    };

    public static long ToInt64(TEnum value) => Unsafe.SizeOf<TEnum>() switch
    {
        1 => Unsafe.As<TEnum, sbyte>(ref value),
        2 => Unsafe.As<TEnum, short>(ref value),
        4 => Unsafe.As<TEnum, int>(ref value),
        _ => Unsafe.As<TEnum, long>(ref value),
    };

    public static ulong ToUInt64(TEnum value) => Unsafe.SizeOf<TEnum>() switch
    {
        1 => Unsafe.As<TEnum, byte>(ref value),
        2 => Unsafe.As<TEnum, ushort>(ref value),
        4 => Unsafe.As<TEnum, uint>(ref value),
        _ => Unsafe.As<TEnum, ulong>(ref value),
    };

    /// <summary>The enum whose underlying value has the low bytes of <paramref name="bits"/> (already range-checked).</summary>
    public static TEnum FromBits(ulong bits)
    {
        switch (Unsafe.SizeOf<TEnum>())
        {
            case 1:
                var b = (byte)bits;
                return Unsafe.As<byte, TEnum>(ref b);
            case 2:
                var s = (ushort)bits;
                return Unsafe.As<ushort, TEnum>(ref s);
            case 4:
                var i = (uint)bits;
                return Unsafe.As<uint, TEnum>(ref i);
            default:
                return Unsafe.As<ulong, TEnum>(ref bits);
        }
    }
}
