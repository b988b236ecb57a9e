using System.Text;
using EFCore.Lsm.KeyEncoding.Internal;

namespace EFCore.Lsm.Tests.KeyEncoding;

internal delegate void WriteParts(ref KeyWriter writer);

/// <summary>Encoding shortcuts, reference comparers and seeded value generators for the key encoding tests.</summary>
internal static class KeyTestSupport
{
    public static byte[] Encode(WriteParts write)
    {
        var writer = new KeyWriter(16);
        try
        {
            write(ref writer);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    public static int Memcmp(byte[] a, byte[] b) => Math.Sign(a.AsSpan().SequenceCompareTo(b));

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    /// <summary>Unicode code-point order, the order UTF-8 bytes have (unlike <see cref="string.CompareOrdinal(string, string)"/>).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            Rune.DecodeFromUtf16(a.AsSpan(i), out var ra, out var na);
            Rune.DecodeFromUtf16(b.AsSpan(j), out var rb, out var nb);
            if (ra != rb)
            {
                return Math.Sign(ra.Value - rb.Value);
            }

            i += na;
            j += nb;
        }

        return (i < a.Length ? 1 : 0) - (j < b.Length ? 1 : 0);
    }

    private static readonly string[] Pieces =
    [
        "a", "b", "a", "z", "\0", "\u0001", "\u007F", "\u0080", "\u00FF", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFFFD",
        "\uFFFF", "\U00010000", "\U0001F600", "\U0010FFFF", "\0\0", "\u00E9",
    ];

    /// <summary>Short strings over a small alphabet with the characters the encoding must get right, so ties and prefixes are common.</summary>
    public static string RandomString(Random random)
    {
        var length = random.Next(0, 7);
        var builder = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            if (random.Next(8) == 0)
            {
                // Any scalar value outside the surrogate range.
                var scalar = random.Next(0, 0x10FFFF - 0x800);
                builder.Append(char.ConvertFromUtf32(scalar >= 0xD800 ? scalar + 0x800 : scalar));
            }
            else
            {
                builder.Append(Pieces[random.Next(Pieces.Length)]);
            }
        }

        return builder.ToString();
    }

    public static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 7)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = random.Next(4) switch
            {
                0 => 0x00,
                1 => 0xFF,
                2 => (byte)random.Next(0, 3),
                _ => (byte)random.Next(256),
            };
        }

        return bytes;
    }

    /// <summary>An integer in [long.MinValue, ulong.MaxValue] with a random bit length, biased to byte-length boundaries.</summary>
    public static Int128 RandomInteger(Random random)
    {
        var bits = random.Next(0, 65);
        var magnitude = bits == 0 ? 0UL : (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1);
        magnitude = bits == 64 ? magnitude : magnitude & ((1UL << bits) - 1);
        if (random.Next(6) == 0)
        {
            magnitude = bits == 64 ? ulong.MaxValue : (1UL << bits) - (ulong)random.Next(0, 2); // 2^k - 1, 2^k
        }

        if (random.Next(2) == 0)
        {
            return magnitude;
        }

        Int128 negative = -(Int128)magnitude;
        return negative < long.MinValue ? long.MinValue : negative;
    }

    public static void WriteInteger(ref KeyWriter writer, Int128 value, bool descending = false)
    {
        if (value >= 0)
        {
            writer.Write((ulong)value, descending);
        }
        else
        {
            writer.Write((long)value, descending);
        }
    }

    private static readonly ulong[] SpecialDoubleBits =
    [
        0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF0_0000_0000_0001, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF,
        0x0000_0000_0000_0000, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
        0x0000_0000_0000_0001, 0x8000_0000_0000_0001, 0x7FEF_FFFF_FFFF_FFFF, 0xFFEF_FFFF_FFFF_FFFF,
        0x0010_0000_0000_0000, 0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000,
    ];

    /// <summary>Random bit patterns (all NaN payloads, subnormals, infinities included), special values, small integers.</summary>
    public static double RandomDouble(Random random) => random.Next(4) switch
    {
        0 => BitConverter.UInt64BitsToDouble(SpecialDoubleBits[random.Next(SpecialDoubleBits.Length)]),
        1 => random.Next(-3, 4) * 0.5,
        _ => BitConverter.Int64BitsToDouble(random.NextInt64() ^ (random.NextInt64() << 1)),
    };

    public static float RandomSingle(Random random) => random.Next(4) switch
    {
        0 => BitConverter.UInt32BitsToSingle((uint)(SpecialDoubleBits[random.Next(SpecialDoubleBits.Length)] >> 32)),
        1 => random.Next(-3, 4) * 0.5f,
        _ => BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1)),
    };

    /// <summary>A decimal with a random mantissa width (0..96 bits), scale (0..28) and sign.</summary>
    public static decimal RandomDecimal(Random random)
    {
        var bits = random.Next(0, 97);
        var mantissa = new UInt128((ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1), (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1));
        mantissa = bits == 0 ? 0 : mantissa & ((UInt128.One << bits) - 1);
        if (random.Next(5) == 0)
        {
            mantissa = (ulong)random.Next(0, 1000);
        }

        return Decimal(mantissa, random.Next(2) == 0, (byte)random.Next(0, 29));
    }

    public static decimal Decimal(UInt128 mantissa, bool negative, byte scale)
        => new((int)(uint)mantissa, (int)(uint)(mantissa >> 32), (int)(uint)(mantissa >> 64), negative, scale);

    public static UInt128 Mantissa(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        return new UInt128((uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
    }

    /// <summary>The same value with more trailing zeros (a larger scale), when the mantissa and scale allow it.</summary>
    public static decimal Rescaled(decimal value, int extraZeros)
    {
        var mantissa = Mantissa(value);
        var scale = value.Scale;
        for (var i = 0; i < extraZeros && scale < 28 && mantissa * 10 <= (UInt128.One << 96) - 1; i++)
        {
            mantissa *= 10;
            scale++;
        }

        return Decimal(mantissa, value < 0 || (value == 0 && decimal.IsNegative(value)), (byte)scale);
    }

    /// <summary>Runs <paramref name="action"/> and fails unless it succeeds or throws <see cref="LsmKeyFormatException"/>.</summary>
    public static bool SucceedsOrThrowsFormat(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (LsmKeyFormatException)
        {
            return false;
        }
    }
}
