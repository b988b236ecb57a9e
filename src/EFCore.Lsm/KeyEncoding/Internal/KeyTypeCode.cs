namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// The first byte of every encoded key part. These values are stored in every row and index key:
/// <b>do not change any of them</b>; docs/key_encoding.md is the specification.
/// </summary>
/// <remarks>
/// Ascending codes are 0x00..0x30 (the FoundationDB tuple-layer codes where FoundationDB has one). The code of a
/// descending part is <c>0xFE - ascending code</c>: that reverses the order of the codes among themselves (so a
/// descending null sorts after every descending value) and never produces 0xFF, which must not follow the 0x00
/// terminator of an ascending string or byte string (0x00 0xFF is the escaped zero byte).
/// </remarks>
public static class KeyTypeCode
{
    /// <summary>A null part; sorts before every other ascending part.</summary>
    public const byte Null = 0x00;

    /// <summary>A byte string: escaped bytes, then 0x00.</summary>
    public const byte Bytes = 0x01;

    /// <summary>A Unicode string: escaped UTF-8, then 0x00.</summary>
    public const byte String = 0x02;

    /// <summary>A negative integer of 8 bytes (the most negative codes); <c>0x14 - n</c> for n bytes.</summary>
    public const byte IntegerNegative8 = 0x0C;

    /// <summary>The integer zero, no payload; <c>0x14 + n</c> is a positive integer of n bytes.</summary>
    public const byte IntegerZero = 0x14;

    /// <summary>A positive integer of 8 bytes (the largest codes).</summary>
    public const byte IntegerPositive8 = 0x1C;

    /// <summary>
    /// Reserved (FoundationDB's 32-bit float). <see cref="float"/> values are widened to <see cref="double"/> and
    /// written as <see cref="Double"/>, so the two widths encode identically.
    /// </summary>
    public const byte ReservedSingle = 0x20;

    /// <summary>An IEEE 754 binary64 value in 8 order-preserving bytes.</summary>
    public const byte Double = 0x21;

    /// <summary>A negative decimal: complemented exponent and base-100 digits.</summary>
    public const byte DecimalNegative = 0x22;

    /// <summary>The decimal zero, no payload.</summary>
    public const byte DecimalZero = 0x23;

    /// <summary>A positive decimal: exponent and base-100 digits.</summary>
    public const byte DecimalPositive = 0x24;

    /// <summary>The boolean false.</summary>
    public const byte False = 0x26;

    /// <summary>The boolean true.</summary>
    public const byte True = 0x27;

    /// <summary>A Guid: 16 bytes, big-endian (RFC 9562 byte order).</summary>
    public const byte Guid = 0x30;

    /// <summary>The largest ascending code; every larger code (0xCE..0xFE) is a descending one.</summary>
    public const byte LargestAscending = Guid;

    /// <summary><c>0xFE - code</c> for descending parts: order-reversing and never 0xFF.</summary>
    public const byte DescendingBase = 0xFE;

    /// <summary>The code a part of ascending type code <paramref name="ascending"/> has when written descending.</summary>
    public static byte Descending(byte ascending) => (byte)(DescendingBase - ascending);

    /// <summary>Whether <paramref name="code"/> is the type code of a descending part.</summary>
    public static bool IsDescending(byte code) => code > LargestAscending;

    /// <summary>The ascending code of the part that <paramref name="code"/> starts, whichever direction it has.</summary>
    public static byte ToAscending(byte code) => IsDescending(code) ? (byte)(DescendingBase - code) : code;
}
