namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// The order-preserving encoding of <see cref="decimal"/> (docs/key_encoding.md, "Decimal"): a sign class in the type
/// code, then for a non-zero value written as 0.d1 d2 … dn × 100^E (base-100 digits, d1 and dn not zero) the byte
/// E + 128 and one byte per digit, 2d + 1 for every digit but the last and 2d for the last. Negative values have the
/// exponent and digit bytes complemented.
/// </summary>
internal static class DecimalKey
{
    /// <summary>A decimal has at most 29 significant digits, which span at most 15 base-100 digits.</summary>
    public const int MaxDigits = 15;

    /// <summary>Type code, exponent byte, digits.</summary>
    public const int MaxEncodedLength = 2 + MaxDigits;

    /// <summary>decimal.MaxValue (29 digits) is 0.07… × 100^15.</summary>
    public const int MaxExponent = 15;

    /// <summary>1e-28, the smallest positive decimal, is 0.01 × 100^-13.</summary>
    public const int MinExponent = -13;

    private const int ExponentBias = 128;
    private const int MaxScale = 28;
    private static readonly UInt128 MaxMantissa = (UInt128.One << 96) - 1;

    /// <summary>Writes the ascending encoding, type code included, and returns its length.</summary>
    public static int Encode(decimal value, Span<byte> destination)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        if (mantissa == UInt128.Zero)
        {
            // 0m, 0.00m and the negative zeros are all equal to 0m.
            destination[0] = KeyTypeCode.DecimalZero;
            return 1;
        }

        var negative = bits[3] < 0;
        var scale = (bits[3] >> 16) & 0xFF;

        // Decimal digits of the mantissa, least significant first.
        Span<byte> reversed = stackalloc byte[29];
        var count = 0;
        while (mantissa > ulong.MaxValue)
        {
            (mantissa, var digit) = UInt128.DivRem(mantissa, 10);
            reversed[count++] = (byte)digit;
        }

        // Most decimals fit in 64 bits, where division is a hardware instruction rather than a 128-bit routine.
        for (var rest = (ulong)mantissa; rest != 0; rest /= 10)
        {
            reversed[count++] = (byte)(rest % 10);
        }

        // value = 0.D1 D2 … Dcount × 10^decimalExponent; trailing zero digits do not change it.
        var decimalExponent = count - scale;
        var trailingZeros = reversed.IndexOfAnyExcept((byte)0);
        var first = count - 1;
        var last = trailingZeros;

        // Base-100 digits pair decimal digits from the decimal point: with an odd decimal exponent the first pair is
        // (0, D1) and the value is 0.0D1… × 10^(decimalExponent + 1).
        var exponent = (decimalExponent + 1) >> 1;
        var position = (decimalExponent & 1) != 0 ? first + 1 : first;
        var mask = negative ? (byte)0xFF : (byte)0;
        destination[0] = negative ? KeyTypeCode.DecimalNegative : KeyTypeCode.DecimalPositive;
        destination[1] = (byte)((exponent + ExponentBias) ^ mask);
        var length = 2;
        while (position >= last)
        {
            var high = position <= first ? reversed[position] : 0;
            var low = position - 1 >= last ? reversed[position - 1] : 0;
            position -= 2;
            var digit = (high * 10) + low;
            var isLast = position < last;
            destination[length++] = (byte)(((digit << 1) | (isLast ? 0 : 1)) ^ mask);
        }

        return length;
    }

    /// <summary>
    /// Decodes the decimal whose type code is at <paramref name="start"/> and returns it with the offset after it.
    /// Throws <see cref="LsmKeyFormatException"/> for truncated, non-canonical or out-of-range encodings.
    /// </summary>
    public static decimal Decode(ReadOnlySpan<byte> key, int start, out int next)
    {
        var code = key[start];
        var ascending = KeyTypeCode.ToAscending(code);
        if (ascending == KeyTypeCode.DecimalZero)
        {
            next = start + 1;
            return 0m;
        }

        var negative = ascending == KeyTypeCode.DecimalNegative;
        var mask = negative != KeyTypeCode.IsDescending(code) ? 0xFF : 0;
        var position = start + 1;
        if (position >= key.Length)
        {
            throw new LsmKeyFormatException(start, "the decimal ends before its exponent byte.");
        }

        var exponent = (key[position] ^ mask) - ExponentBias;
        if (exponent is < MinExponent or > MaxExponent)
        {
            throw new LsmKeyFormatException(start, $"decimal exponent {exponent} is outside {MinExponent}..{MaxExponent}.");
        }

        var mantissa = UInt128.Zero;
        var digitCount = 0;
        while (true)
        {
            if (++position >= key.Length)
            {
                throw new LsmKeyFormatException(start, "the decimal ends before its last digit.");
            }

            var b = key[position] ^ mask;
            if (b is 0 or >= 200)
            {
                throw new LsmKeyFormatException(start, $"byte 0x{b:X2} at offset {position} is not a decimal digit byte.");
            }

            var digit = b >> 1;
            if (digitCount == 0 && digit == 0)
            {
                throw new LsmKeyFormatException(start, "the decimal's first base-100 digit is zero (not normalised).");
            }

            if (digitCount == MaxDigits)
            {
                throw new LsmKeyFormatException(start, $"the decimal has more than {MaxDigits} base-100 digits.");
            }

            mantissa = (mantissa * 100) + (uint)digit;
            digitCount++;
            if ((b & 1) == 0)
            {
                break;
            }
        }

        next = position + 1;

        // value = mantissa × 100^(exponent - digitCount) = mantissa × 10^-scale.
        var scale = 2 * (digitCount - exponent);
        for (; scale < 0; scale++)
        {
            mantissa *= 10;
        }

        if (scale > 0 && mantissa % 10 == UInt128.Zero)
        {
            // The last base-100 digit is a multiple of ten: one decimal trailing zero to drop.
            mantissa /= 10;
            scale--;
        }

        if (scale > MaxScale || mantissa > MaxMantissa)
        {
            throw new LsmKeyFormatException(start, "the encoded number is outside the range or precision of System.Decimal.");
        }

        return new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), (int)(uint)(mantissa >> 64), negative, (byte)scale);
    }
}
