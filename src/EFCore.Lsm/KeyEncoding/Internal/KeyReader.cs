using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// Decodes the parts of a key written by <see cref="KeyWriter"/>, in order. Each read accepts the part in either
/// direction (the type code says which). Bytes that are not a well-formed part of the requested type, or a value out
/// of the requested type's range, raise <see cref="LsmKeyFormatException"/> naming the offset; a read that throws
/// leaves <see cref="Position"/> at the part. The byte format is specified in docs/key_encoding.md.
/// </summary>
public ref struct KeyReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _key;
    private int _position;

    public KeyReader(ReadOnlySpan<byte> key)
    {
        _key = key;
    }

    /// <summary>The offset of the next part.</summary>
    public readonly int Position => _position;

    /// <summary>Whether every part has been read.</summary>
    public readonly bool End => _position >= _key.Length;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> Remaining => _key[_position..];

    /// <summary>The type code of the next part (see <see cref="KeyTypeCode"/>).</summary>
    public readonly byte PeekTypeCode()
    {
        if (End)
        {
            throw new LsmKeyFormatException(_position, "expected another key part, found the end of the key.");
        }

        return _key[_position];
    }

    /// <summary>What the next part holds and whether it was written descending.</summary>
    public readonly KeyPartKind PeekKind(out bool descending)
    {
        var code = PeekTypeCode();
        descending = KeyTypeCode.IsDescending(code);
        return KindOf(KeyTypeCode.ToAscending(code));
    }

    /// <summary>Reads the next part if it is null (in either direction) and returns whether it was.</summary>
    public bool TryReadNull()
    {
        if (KeyTypeCode.ToAscending(PeekTypeCode()) != KeyTypeCode.Null)
        {
            return false;
        }

        _position++;
        return true;
    }

    /// <summary>Moves past the next part, whatever it holds. Strings are not checked for valid UTF-8.</summary>
    public void SkipPart()
    {
        var code = PeekTypeCode();
        var ascending = KeyTypeCode.ToAscending(code);
        switch (KindOf(ascending))
        {
            case KeyPartKind.Null:
            case KeyPartKind.Boolean:
                _position++;
                break;
            case KeyPartKind.Integer:
                ReadInteger(out _, out _);
                break;
            case KeyPartKind.Double:
                ReadDouble();
                break;
            case KeyPartKind.Decimal:
                DecimalKey.Decode(_key, _position, out _position);
                break;
            case KeyPartKind.Guid:
                ReadGuid();
                break;
            case KeyPartKind.String:
            case KeyPartKind.Bytes:
                FindContent(_position + 1, KeyTypeCode.IsDescending(code), out _, out _position);
                break;
            default:
                throw UnknownCode(code);
        }
    }

    public bool ReadBoolean()
    {
        var code = PeekTypeCode();
        var ascending = KeyTypeCode.ToAscending(code);
        if (ascending is not (KeyTypeCode.False or KeyTypeCode.True))
        {
            throw WrongType(code, "Boolean");
        }

        _position++;
        return ascending == KeyTypeCode.True;
    }

    public long ReadInt64() => ReadSigned(long.MinValue, long.MaxValue, "Int64");

    public ulong ReadUInt64() => ReadUnsigned(ulong.MaxValue, "UInt64");

    public int ReadInt32() => (int)ReadSigned(int.MinValue, int.MaxValue, "Int32");

    public uint ReadUInt32() => (uint)ReadUnsigned(uint.MaxValue, "UInt32");

    public short ReadInt16() => (short)ReadSigned(short.MinValue, short.MaxValue, "Int16");

    public ushort ReadUInt16() => (ushort)ReadUnsigned(ushort.MaxValue, "UInt16");

    public sbyte ReadSByte() => (sbyte)ReadSigned(sbyte.MinValue, sbyte.MaxValue, "SByte");

    public byte ReadByte() => (byte)ReadUnsigned(byte.MaxValue, "Byte");

    public char ReadChar() => (char)ReadUnsigned(char.MaxValue, "Char");

    public TEnum ReadEnum<TEnum>()
        where TEnum : struct, Enum
        => EnumKeyValue<TEnum>.IsSigned
            ? EnumKeyValue<TEnum>.FromBits(
                (ulong)ReadSigned(EnumKeyValue<TEnum>.MinSigned, EnumKeyValue<TEnum>.MaxSigned, typeof(TEnum).Name))
            : EnumKeyValue<TEnum>.FromBits(ReadUnsigned(EnumKeyValue<TEnum>.MaxUnsigned, typeof(TEnum).Name));

    /// <summary>A DateTime of <see cref="DateTimeKind.Unspecified"/> kind (the key does not hold the Kind).</summary>
    public DateTime ReadDateTime() => new(ReadSigned(0, DateTime.MaxValue.Ticks, "DateTime"));

    /// <summary>A DateTimeOffset at offset zero (the key holds the UTC instant, not the offset).</summary>
    public DateTimeOffset ReadDateTimeOffset() => new(ReadSigned(0, DateTimeOffset.MaxValue.UtcTicks, "DateTimeOffset"), TimeSpan.Zero);

    public DateOnly ReadDateOnly() => DateOnly.FromDayNumber((int)ReadSigned(0, DateOnly.MaxValue.DayNumber, "DateOnly"));

    public TimeOnly ReadTimeOnly() => new(ReadSigned(0, TimeOnly.MaxValue.Ticks, "TimeOnly"));

    public TimeSpan ReadTimeSpan() => new(ReadSigned(long.MinValue, long.MaxValue, "TimeSpan"));

    public double ReadDouble()
    {
        var code = PeekTypeCode();
        if (KeyTypeCode.ToAscending(code) != KeyTypeCode.Double)
        {
            throw WrongType(code, "Double");
        }

        var payload = Payload(8, "Double");
        var ordered = BinaryPrimitives.ReadUInt64BigEndian(payload);
        if (KeyTypeCode.IsDescending(code))
        {
            ordered = ~ordered;
        }

        if (!FloatingPointKey.TryFromOrderedBits(ordered, out var value))
        {
            throw new LsmKeyFormatException(_position, "the double is a negative zero or a non-canonical NaN, which keys never hold.");
        }

        _position += 9;
        return value;
    }

    /// <summary>A float, which keys hold as the double it widens to; a double with no exact float value is refused.</summary>
    public float ReadSingle()
    {
        var start = _position;
        var value = ReadDouble();
        var single = (float)value;
        if (!double.IsNaN(value) && single != value)
        {
            _position = start;
            throw new LsmKeyFormatException(start, $"the double {value:R} has no exact Single value.");
        }

        return single;
    }

    /// <summary>A decimal with the smallest scale that holds its value (the key does not hold the scale).</summary>
    public decimal ReadDecimal()
    {
        var code = PeekTypeCode();
        if (KeyTypeCode.ToAscending(code) is not (KeyTypeCode.DecimalNegative or KeyTypeCode.DecimalZero or KeyTypeCode.DecimalPositive))
        {
            throw WrongType(code, "Decimal");
        }

        return DecimalKey.Decode(_key, _position, out _position);
    }

    public Guid ReadGuid()
    {
        var code = PeekTypeCode();
        if (KeyTypeCode.ToAscending(code) != KeyTypeCode.Guid)
        {
            throw WrongType(code, "Guid");
        }

        var payload = Payload(16, "Guid");
        Guid value;
        if (KeyTypeCode.IsDescending(code))
        {
            Span<byte> bytes = stackalloc byte[16];
            payload.CopyTo(bytes);
            KeyWriter.Complement(bytes);
            value = new Guid(bytes, bigEndian: true);
        }
        else
        {
            value = new Guid(payload, bigEndian: true);
        }

        _position += 17;
        return value;
    }

    public string ReadString()
    {
        var code = PeekTypeCode();
        if (KeyTypeCode.ToAscending(code) != KeyTypeCode.String)
        {
            throw WrongType(code, "String");
        }

        var start = _position;
        var descending = KeyTypeCode.IsDescending(code);
        var content = FindContent(start + 1, descending, out var escapes, out var next);
        if (!descending && escapes == 0)
        {
            var text = DecodeUtf8(content, start);
            _position = next;
            return text;
        }

        var length = content.Length - escapes;
        byte[]? rented = null;
        var buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Unescape(content, descending, buffer[..length]);
            var text = DecodeUtf8(buffer[..length], start);
            _position = next;
            return text;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public byte[] ReadBytes()
    {
        var code = PeekTypeCode();
        if (KeyTypeCode.ToAscending(code) != KeyTypeCode.Bytes)
        {
            throw WrongType(code, "byte string");
        }

        var descending = KeyTypeCode.IsDescending(code);
        var content = FindContent(_position + 1, descending, out var escapes, out var next);
        var value = new byte[content.Length - escapes];
        Unescape(content, descending, value);
        _position = next;
        return value;
    }

    private static KeyPartKind KindOf(byte ascending) => ascending switch
    {
        KeyTypeCode.Null => KeyPartKind.Null,
        KeyTypeCode.Bytes => KeyPartKind.Bytes,
        KeyTypeCode.String => KeyPartKind.String,
        >= KeyTypeCode.IntegerNegative8 and <= KeyTypeCode.IntegerPositive8 => KeyPartKind.Integer,
        KeyTypeCode.Double => KeyPartKind.Double,
        KeyTypeCode.DecimalNegative or KeyTypeCode.DecimalZero or KeyTypeCode.DecimalPositive => KeyPartKind.Decimal,
        KeyTypeCode.False or KeyTypeCode.True => KeyPartKind.Boolean,
        KeyTypeCode.Guid => KeyPartKind.Guid,
        _ => KeyPartKind.Unknown,
    };

    private long ReadSigned(long min, long max, string typeName)
    {
        var start = _position;
        ReadInteger(out var negative, out var magnitude);
        if (negative ? magnitude <= 0UL - (ulong)min : magnitude <= (ulong)max)
        {
            return negative ? (long)(0UL - magnitude) : (long)magnitude;
        }

        _position = start;
        throw OutOfRange(start, negative, magnitude, typeName);
    }

    private ulong ReadUnsigned(ulong max, string typeName)
    {
        var start = _position;
        ReadInteger(out var negative, out var magnitude);
        if (!negative && magnitude <= max)
        {
            return magnitude;
        }

        _position = start;
        throw OutOfRange(start, negative, magnitude, typeName);
    }

    private void ReadInteger(out bool negative, out ulong magnitude)
    {
        var code = PeekTypeCode();
        var ascending = KeyTypeCode.ToAscending(code);
        if (ascending is < KeyTypeCode.IntegerNegative8 or > KeyTypeCode.IntegerPositive8)
        {
            throw WrongType(code, "integer");
        }

        var byteCount = ascending - KeyTypeCode.IntegerZero;
        negative = byteCount < 0;
        byteCount = Math.Abs(byteCount);
        var payload = Payload(byteCount, "integer");
        var value = 0UL;
        foreach (var b in payload)
        {
            value = (value << 8) | b;
        }

        var lowBytes = byteCount == 8 ? ulong.MaxValue : (1UL << (8 * byteCount)) - 1;
        if (KeyTypeCode.IsDescending(code) != negative)
        {
            value = ~value & lowBytes;
        }

        if (byteCount > 0 && (value >> (8 * (byteCount - 1))) == 0)
        {
            throw new LsmKeyFormatException(_position, $"the {byteCount}-byte integer has a leading zero byte (not minimal).");
        }

        magnitude = value;
        _position += 1 + byteCount;
    }

    /// <summary>The <paramref name="length"/> bytes after the type code, or a truncation error.</summary>
    private readonly ReadOnlySpan<byte> Payload(int length, string typeName)
    {
        if (_key.Length - _position - 1 < length)
        {
            throw new LsmKeyFormatException(
                _position, $"the {typeName} part needs {length} bytes after its type code; the key has {_key.Length - _position - 1}.");
        }

        return _key.Slice(_position + 1, length);
    }

    /// <summary>
    /// The escaped content of a string or byte string starting at <paramref name="start"/>, the number of escape
    /// sequences in it, and the offset after its terminator. Ascending: 0x00 0xFF is an escaped zero, any other 0x00
    /// (or 0x00 at the end of the key) the terminator. Descending: 0xFF 0x00 is an escaped zero, 0xFF 0xFE the terminator.
    /// </summary>
    private readonly ReadOnlySpan<byte> FindContent(int start, bool descending, out int escapes, out int next)
    {
        var marker = descending ? (byte)0xFF : (byte)0x00;
        var escape = descending ? (byte)0x00 : (byte)0xFF;
        escapes = 0;
        var position = start;
        while (true)
        {
            var found = _key[position..].IndexOf(marker);
            if (found < 0)
            {
                throw new LsmKeyFormatException(start - 1, "the string or byte string has no terminator.");
            }

            position += found;
            var hasFollower = position + 1 < _key.Length;
            if (hasFollower && _key[position + 1] == escape)
            {
                escapes++;
                position += 2;
                continue;
            }

            if (!descending)
            {
                next = position + 1;
                return _key[start..position];
            }

            if (!hasFollower)
            {
                throw new LsmKeyFormatException(start - 1, "the descending string or byte string ends inside its terminator.");
            }

            if (_key[position + 1] != 0xFE)
            {
                throw new LsmKeyFormatException(
                    start - 1, $"0xFF at offset {position} is followed by 0x{_key[position + 1]:X2}, neither an escape nor the terminator.");
            }

            next = position + 2;
            return _key[start..position];
        }
    }

    private static void Unescape(ReadOnlySpan<byte> content, bool descending, Span<byte> destination)
    {
        var mask = descending ? (byte)0xFF : (byte)0;
        var written = 0;
        for (var i = 0; i < content.Length; i++)
        {
            var b = (byte)(content[i] ^ mask);
            destination[written++] = b;
            if (b == 0)
            {
                i++; // the escape byte FindContent already checked
            }
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> utf8, int start)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new LsmKeyFormatException(start, $"the string is not well-formed UTF-8 ({e.Message})");
        }
    }

    private readonly LsmKeyFormatException WrongType(byte code, string expected)
    {
        var kind = KindOf(KeyTypeCode.ToAscending(code));
        return kind == KeyPartKind.Unknown
            ? UnknownCode(code)
            : new LsmKeyFormatException(_position, $"expected a {expected} part, found a {kind} part (type code 0x{code:X2}).");
    }

    private readonly LsmKeyFormatException UnknownCode(byte code)
        => new(_position, $"0x{code:X2} is not a key part type code.");

    private static LsmKeyFormatException OutOfRange(int start, bool negative, ulong magnitude, string typeName)
        => new(start, $"the integer {(negative ? "-" : "")}{magnitude} does not fit in {typeName}.");
}
