namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>The order-preserving 64-bit image of a <see cref="double"/> (docs/key_encoding.md, "Floating point").</summary>
internal static class FloatingPointKey
{
    private const ulong SignBit = 0x8000_0000_0000_0000;

    /// <summary>The one NaN every NaN is written as: <see cref="double.NaN"/>'s bits, whose image sorts below -Infinity.</summary>
    public const ulong CanonicalNaNBits = 0xFFF8_0000_0000_0000;

    /// <summary>
    /// -0 becomes +0 and every NaN the canonical NaN (both as <see cref="double.Equals(double)"/> sees them), then
    /// negative values have all bits flipped and non-negative ones only the sign bit, so unsigned order is value order.
    /// </summary>
    public static ulong ToOrderedBits(double value)
    {
        ulong bits;
        if (double.IsNaN(value))
        {
            bits = CanonicalNaNBits;
        }
        else if (value == 0)
        {
            bits = 0;
        }
        else
        {
            bits = BitConverter.DoubleToUInt64Bits(value);
        }

        return (bits & SignBit) != 0 ? ~bits : bits | SignBit;
    }

    /// <summary>Reverses <see cref="ToOrderedBits"/>; false for images no double is written as (-0, other NaNs).</summary>
    public static bool TryFromOrderedBits(ulong ordered, out double value)
    {
        var bits = (ordered & SignBit) != 0 ? ordered ^ SignBit : ~ordered;
        value = BitConverter.UInt64BitsToDouble(bits);
        return double.IsNaN(value) ? bits == CanonicalNaNBits : bits != SignBit;
    }
}
