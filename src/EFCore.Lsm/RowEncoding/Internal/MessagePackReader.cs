using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Reads MessagePack values from a span. Every valid form of a value is accepted (a small number written as int64, a
/// short string written as str32, a double written as float32). Anything malformed, truncated or of another type than
/// asked for raises <see cref="MessagePackFormatException"/> with the value's offset; the reader never indexes past its
/// buffer and every loop consumes input, so no input can make it hang.
/// </summary>
public ref partial struct MessagePackReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MessagePackReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>A reader over <paramref name="buffer"/> starting at <paramref name="position"/>, so offsets stay relative to it.</summary>
    internal MessagePackReader(ReadOnlySpan<byte> buffer, int position)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)position, (uint)buffer.Length, nameof(position));
        _buffer = buffer;
        _position = position;
    }

    /// <summary>Offset of the next value in the buffer.</summary>
    public readonly int Position => _position;

    public readonly bool End => _position >= _buffer.Length;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly MessagePackType PeekType()
    {
        var code = PeekCode();
        return code switch
        {
            <= MessagePackCode.MaxPositiveFixInt => MessagePackType.Integer,
            <= MessagePackCode.MaxFixMap => MessagePackType.Map,
            <= MessagePackCode.MaxFixArray => MessagePackType.Array,
            <= MessagePackCode.MaxFixStr => MessagePackType.String,
            MessagePackCode.Nil => MessagePackType.Nil,
            MessagePackCode.NeverUsed => throw NeverUsedCode(_position),
            MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
            <= MessagePackCode.Bin32 => MessagePackType.Binary,
            <= MessagePackCode.Ext32 => MessagePackType.Extension,
            <= MessagePackCode.Float64 => MessagePackType.Float,
            <= MessagePackCode.Int64 => MessagePackType.Integer,
            <= MessagePackCode.FixExt16 => MessagePackType.Extension,
            <= MessagePackCode.Str32 => MessagePackType.String,
            <= MessagePackCode.Array32 => MessagePackType.Array,
            <= MessagePackCode.Map32 => MessagePackType.Map,
            _ => MessagePackType.Integer,
        };
    }

    /// <summary>Consumes a nil and returns <see langword="true"/>; leaves any other value unread and returns <see langword="false"/>.</summary>
    public bool TryReadNil()
    {
        if (PeekCode() != MessagePackCode.Nil)
        {
            return false;
        }

        _position++;
        return true;
    }

    public void ReadNil()
    {
        if (!TryReadNil())
        {
            throw TypeMismatch(_position, "nil");
        }
    }

    public bool ReadBoolean()
    {
        var code = PeekCode();
        if (code is not (MessagePackCode.False or MessagePackCode.True))
        {
            throw TypeMismatch(_position, "Boolean");
        }

        _position++;
        return code == MessagePackCode.True;
    }

    public long ReadInt64() => ReadSignedInteger(long.MinValue, long.MaxValue, "Int64");

    public int ReadInt32() => (int)ReadSignedInteger(int.MinValue, int.MaxValue, "Int32");

    public short ReadInt16() => (short)ReadSignedInteger(short.MinValue, short.MaxValue, "Int16");

    public sbyte ReadSByte() => (sbyte)ReadSignedInteger(sbyte.MinValue, sbyte.MaxValue, "SByte");

    public ulong ReadUInt64() => ReadUnsignedInteger(ulong.MaxValue, "UInt64");

    public uint ReadUInt32() => (uint)ReadUnsignedInteger(uint.MaxValue, "UInt32");

    public ushort ReadUInt16() => (ushort)ReadUnsignedInteger(ushort.MaxValue, "UInt16");

    public byte ReadByte() => (byte)ReadUnsignedInteger(byte.MaxValue, "Byte");

    /// <summary>Reads float64 or float32 exactly; an integer is converted (rounding beyond 2^53).</summary>
    public double ReadDouble()
    {
        var start = _position;
        var code = PeekCode();
        switch (code)
        {
            case MessagePackCode.Float64:
                return BinaryPrimitives.ReadDoubleBigEndian(TakeBody(start, 1, 8));
            case MessagePackCode.Float32:
                return BinaryPrimitives.ReadSingleBigEndian(TakeBody(start, 1, 4));
            case MessagePackCode.UInt64:
                return ReadUInt64();
            default:
                if (!IsIntegerCode(code))
                {
                    throw TypeMismatch(start, "Double");
                }

                return ReadInt64();
        }
    }

    /// <summary>Reads float32 exactly; float64 and integers are converted to the nearest float.</summary>
    public float ReadSingle()
    {
        var start = _position;
        var code = PeekCode();
        if (code == MessagePackCode.Float32)
        {
            return BinaryPrimitives.ReadSingleBigEndian(TakeBody(start, 1, 4));
        }

        if (code != MessagePackCode.Float64 && !IsIntegerCode(code))
        {
            throw TypeMismatch(start, "Single");
        }

        return (float)ReadDouble();
    }

    /// <summary>Reads a str (fixstr, str8/16/32) and decodes it; invalid UTF-8 is an error, never replaced.</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadStringUtf8());

    /// <summary>Reads a str and returns its validated UTF-8 bytes without decoding them.</summary>
    public ReadOnlySpan<byte> ReadStringUtf8()
    {
        var start = _position;
        var code = PeekCode();
        ReadOnlySpan<byte> bytes;
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            bytes = TakeBody(start, 1, (uint)(code & 0x1f));
        }
        else if (code is >= MessagePackCode.Str8 and <= MessagePackCode.Str32)
        {
            var lengthSize = 1 << (code - MessagePackCode.Str8);
            bytes = TakeBody(start, 1 + lengthSize, ReadLength(start, lengthSize));
        }
        else
        {
            throw TypeMismatch(start, "String");
        }

        if (!Utf8.IsValid(bytes))
        {
            _position = start;
            throw new MessagePackFormatException(start, "the str value is not valid UTF-8");
        }

        return bytes;
    }

    /// <summary>Reads a bin (bin8/16/32) and returns a span over its bytes in the buffer.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var start = _position;
        var code = PeekCode();
        if (code is < MessagePackCode.Bin8 or > MessagePackCode.Bin32)
        {
            throw TypeMismatch(start, "Binary");
        }

        var lengthSize = 1 << (code - MessagePackCode.Bin8);
        return TakeBody(start, 1 + lengthSize, ReadLength(start, lengthSize));
    }

    /// <summary>
    /// Reads an array header. The count is checked against the bytes left (every element takes at least one), so a
    /// corrupt count cannot make a caller allocate or loop for billions of elements.
    /// </summary>
    public int ReadArrayHeader()
    {
        var start = _position;
        var count = ReadCollectionCount(MessagePackCode.MinFixArray, MessagePackCode.MaxFixArray, MessagePackCode.Array16,
            MessagePackCode.Array32, "Array");
        CheckCollectionFits(start, count, "array", "elements");
        return (int)count;
    }

    /// <summary>Reads a map header; the entry count is checked against the bytes left (each entry takes at least two).</summary>
    public int ReadMapHeader()
    {
        var start = _position;
        var count = ReadCollectionCount(MessagePackCode.MinFixMap, MessagePackCode.MaxFixMap, MessagePackCode.Map16,
            MessagePackCode.Map32, "Map");
        CheckCollectionFits(start, (ulong)count * 2, "map", "keys and values");
        return (int)count;
    }

    /// <summary>The count of an array or map header (fix form, or 16/32-bit big-endian length), moving past the header.</summary>
    private uint ReadCollectionCount(byte minFix, byte maxFix, byte code16, byte code32, string typeName)
    {
        var start = _position;
        var code = PeekCode();
        if (code >= minFix && code <= maxFix)
        {
            _position++;
            return (uint)(code & 0x0f);
        }

        if (code == code16 || code == code32)
        {
            var lengthSize = code == code16 ? 2 : 4;
            var count = ReadLength(start, lengthSize);
            _position = start + 1 + lengthSize;
            return count;
        }

        throw TypeMismatch(start, typeName);
    }

    /// <summary>Reads an extension header (fixext1..16, ext8/16/32); the payload, checked to be present, follows.</summary>
    public ExtensionHeader ReadExtensionHeader()
    {
        var start = _position;
        var code = PeekCode();
        int headerSize;
        uint length;
        if (code is >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16)
        {
            headerSize = 2;
            length = 1u << (code - MessagePackCode.FixExt1);
        }
        else if (code is >= MessagePackCode.Ext8 and <= MessagePackCode.Ext32)
        {
            var lengthSize = 1 << (code - MessagePackCode.Ext8);
            length = ReadLength(start, lengthSize);
            headerSize = 2 + lengthSize;
        }
        else
        {
            throw TypeMismatch(start, "Extension");
        }

        if ((ulong)start + (ulong)headerSize + length > (ulong)_buffer.Length)
        {
            throw Truncated(start);
        }

        var typeCode = unchecked((sbyte)_buffer[start + headerSize - 1]);
        _position = start + headerSize;
        return new ExtensionHeader(typeCode, length);
    }

    /// <summary>Reads a whole extension value and returns its payload.</summary>
    public ReadOnlySpan<byte> ReadExtension(out sbyte typeCode)
    {
        var header = ReadExtensionHeader();
        typeCode = header.TypeCode;
        var payload = _buffer.Slice(_position, (int)header.Length);
        _position += (int)header.Length;
        return payload;
    }

    /// <summary>Reads the timestamp extension (type -1) in any of its 32-, 64- or 96-bit forms.</summary>
    public MessagePackTimestamp ReadTimestamp()
    {
        var start = _position;
        var header = ReadExtensionHeader();
        if (header.TypeCode != MessagePackExtensionTypeCodes.Timestamp)
        {
            _position = start;
            throw new MessagePackFormatException(start, $"expected a timestamp (extension type -1) but found extension type {header.TypeCode}");
        }

        var payload = _buffer.Slice(_position, (int)header.Length);
        long seconds;
        uint nanoseconds;
        switch (header.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(payload);
                nanoseconds = 0;
                break;
            case 8:
                var data64 = BinaryPrimitives.ReadUInt64BigEndian(payload);
                seconds = (long)(data64 & 0x3_ffff_ffffUL);
                nanoseconds = (uint)(data64 >> 34);
                break;
            case 12:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(payload);
                seconds = BinaryPrimitives.ReadInt64BigEndian(payload[4..]);
                break;
            default:
                _position = start;
                throw new MessagePackFormatException(start, $"a timestamp payload is 4, 8 or 12 bytes, not {header.Length}");
        }

        if (nanoseconds >= MessagePackTimestamp.NanosecondsPerSecond)
        {
            _position = start;
            throw new MessagePackFormatException(start, $"the timestamp's nanoseconds field {nanoseconds} is not below 1,000,000,000");
        }

        _position += (int)header.Length;
        return new MessagePackTimestamp(seconds, nanoseconds);
    }

    /// <summary>
    /// Skips one whole value, however deeply nested, without recursion: a count of values still to skip grows by a
    /// collection's element count and is checked against the bytes left, so hostile input fails fast.
    /// </summary>
    public void Skip()
    {
        long pending = 1;
        while (pending > 0)
        {
            pending--;
            var start = _position;
            var code = PeekCode();
            switch (code)
            {
                case <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt:
                case MessagePackCode.Nil or MessagePackCode.False or MessagePackCode.True:
                    _position++;
                    break;
                case <= MessagePackCode.MaxFixMap:
                    _position++;
                    pending += 2 * (code & 0x0f);
                    break;
                case <= MessagePackCode.MaxFixArray:
                    _position++;
                    pending += code & 0x0f;
                    break;
                case <= MessagePackCode.MaxFixStr:
                    TakeBody(start, 1, (uint)(code & 0x1f));
                    break;
                case MessagePackCode.NeverUsed:
                    throw NeverUsedCode(start);
                case MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32:
                    ReadBytes();
                    break;
                case MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32:
                    var lengthSize = 1 << (code - MessagePackCode.Str8);
                    TakeBody(start, 1 + lengthSize, ReadLength(start, lengthSize));
                    break;
                case MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32:
                case >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16:
                    ReadExtension(out _);
                    break;
                case MessagePackCode.Float32:
                case MessagePackCode.Float64:
                case >= MessagePackCode.UInt8 and <= MessagePackCode.Int64:
                    TakeBody(start, 1, FixedBodySize(code));
                    break;
                case MessagePackCode.Array16 or MessagePackCode.Array32:
                    pending += ReadArrayHeader();
                    break;
                default:
                    pending += 2L * ReadMapHeader();
                    break;
            }

            if (pending > Remaining)
            {
                _position = start;
                throw new MessagePackFormatException(start, $"{pending} more values are announced but only {Remaining} bytes remain");
            }
        }
    }

    /// <summary>Skips one value and returns its bytes, header included.</summary>
    public ReadOnlySpan<byte> ReadRaw()
    {
        var start = _position;
        Skip();
        return _buffer[start.._position];
    }

    private readonly byte PeekCode()
    {
        if ((uint)_position >= (uint)_buffer.Length)
        {
            throw Truncated(_position);
        }

        return _buffer[_position];
    }

    private long ReadSignedInteger(long min, long max, string targetType)
    {
        var start = _position;
        var code = PeekCode();
        long value;
        if (code <= MessagePackCode.MaxPositiveFixInt || code >= MessagePackCode.MinNegativeFixInt)
        {
            value = code <= MessagePackCode.MaxPositiveFixInt ? code : unchecked((sbyte)code);
            _position++;
        }
        else
        {
            switch (code)
            {
                case MessagePackCode.UInt64:
                    var unsigned = BinaryPrimitives.ReadUInt64BigEndian(TakeBody(start, 1, 8));
                    if (unsigned > (ulong)max)
                    {
                        _position = start;
                        throw OutOfRange(start, unsigned.ToString(System.Globalization.CultureInfo.InvariantCulture), targetType);
                    }

                    return (long)unsigned;
                case MessagePackCode.UInt8:
                    value = TakeBody(start, 1, 1)[0];
                    break;
                case MessagePackCode.UInt16:
                    value = BinaryPrimitives.ReadUInt16BigEndian(TakeBody(start, 1, 2));
                    break;
                case MessagePackCode.UInt32:
                    value = BinaryPrimitives.ReadUInt32BigEndian(TakeBody(start, 1, 4));
                    break;
                case MessagePackCode.Int8:
                    value = unchecked((sbyte)TakeBody(start, 1, 1)[0]);
                    break;
                case MessagePackCode.Int16:
                    value = BinaryPrimitives.ReadInt16BigEndian(TakeBody(start, 1, 2));
                    break;
                case MessagePackCode.Int32:
                    value = BinaryPrimitives.ReadInt32BigEndian(TakeBody(start, 1, 4));
                    break;
                case MessagePackCode.Int64:
                    value = BinaryPrimitives.ReadInt64BigEndian(TakeBody(start, 1, 8));
                    break;
                default:
                    throw TypeMismatch(start, targetType);
            }
        }

        if (value < min || value > max)
        {
            _position = start;
            throw OutOfRange(start, value.ToString(System.Globalization.CultureInfo.InvariantCulture), targetType);
        }

        return value;
    }

    private ulong ReadUnsignedInteger(ulong max, string targetType)
    {
        var start = _position;
        var code = PeekCode();
        ulong value;
        if (code <= MessagePackCode.MaxPositiveFixInt)
        {
            _position++;
            value = code;
        }
        else
        {
            switch (code)
            {
                case MessagePackCode.UInt8:
                    value = TakeBody(start, 1, 1)[0];
                    break;
                case MessagePackCode.UInt16:
                    value = BinaryPrimitives.ReadUInt16BigEndian(TakeBody(start, 1, 2));
                    break;
                case MessagePackCode.UInt32:
                    value = BinaryPrimitives.ReadUInt32BigEndian(TakeBody(start, 1, 4));
                    break;
                case MessagePackCode.UInt64:
                    value = BinaryPrimitives.ReadUInt64BigEndian(TakeBody(start, 1, 8));
                    break;
                default:
                    if (!IsIntegerCode(code))
                    {
                        throw TypeMismatch(start, targetType);
                    }

                    // A signed form may carry a non-negative value (int64 0x01 is 1).
                    var signed = ReadSignedInteger(long.MinValue, long.MaxValue, targetType);
                    if (signed < 0)
                    {
                        _position = start;
                        throw OutOfRange(start, signed.ToString(System.Globalization.CultureInfo.InvariantCulture), targetType);
                    }

                    value = (ulong)signed;
                    break;
            }
        }

        if (value > max)
        {
            _position = start;
            throw OutOfRange(start, value.ToString(System.Globalization.CultureInfo.InvariantCulture), targetType);
        }

        return value;
    }

    private static bool IsIntegerCode(byte code) =>
        code <= MessagePackCode.MaxPositiveFixInt || code >= MessagePackCode.MinNegativeFixInt
        || code is >= MessagePackCode.UInt8 and <= MessagePackCode.Int64;

    private static uint FixedBodySize(byte code) => code switch
    {
        MessagePackCode.UInt8 or MessagePackCode.Int8 => 1,
        MessagePackCode.UInt16 or MessagePackCode.Int16 => 2,
        MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32 => 4,
        _ => 8,
    };

    /// <summary>Reads the big-endian length field of <paramref name="lengthSize"/> bytes that follows the code at <paramref name="start"/>.</summary>
    private readonly uint ReadLength(int start, int lengthSize)
    {
        if (_buffer.Length - start - 1 < lengthSize)
        {
            throw Truncated(start);
        }

        var field = _buffer.Slice(start + 1, lengthSize);
        return lengthSize switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(field),
            _ => BinaryPrimitives.ReadUInt32BigEndian(field),
        };
    }

    /// <summary>Returns the <paramref name="length"/> bytes after a header of <paramref name="headerSize"/> bytes at <paramref name="start"/> and moves past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> TakeBody(int start, int headerSize, uint length)
    {
        if ((ulong)(uint)start + (uint)headerSize + length > (ulong)(uint)_buffer.Length)
        {
            throw Truncated(start);
        }

        _position = start + headerSize + (int)length;
        return _buffer.Slice(start + headerSize, (int)length);
    }

    private void CheckCollectionFits(int start, ulong minimumBytes, string kind, string items)
    {
        if (minimumBytes > (ulong)Remaining)
        {
            _position = start;
            throw new MessagePackFormatException(
                start,
                $"the {kind} header announces {minimumBytes} {items} but only {Remaining} bytes remain");
        }
    }

    private static MessagePackFormatException Truncated(int start) =>
        new(start, "the value is truncated (the buffer ends inside it)");

    private static MessagePackFormatException NeverUsedCode(int start) =>
        new(start, "0xc1 is never used by MessagePack and starts no value");

    private static MessagePackFormatException OutOfRange(int start, string value, string targetType) =>
        new(start, $"the integer {value} does not fit in {targetType}");

    private readonly MessagePackFormatException TypeMismatch(int start, string expected)
    {
        var code = _buffer[start];
        return new MessagePackFormatException(start, $"expected {expected} but found {DescribeCode(code)} (0x{code:x2})");
    }

    internal static string DescribeCode(byte code) => code switch
    {
        <= MessagePackCode.MaxPositiveFixInt => "positive fixint",
        <= MessagePackCode.MaxFixMap => "fixmap",
        <= MessagePackCode.MaxFixArray => "fixarray",
        <= MessagePackCode.MaxFixStr => "fixstr",
        MessagePackCode.Nil => "nil",
        MessagePackCode.NeverUsed => "the never-used code",
        MessagePackCode.False or MessagePackCode.True => "bool",
        <= MessagePackCode.Bin32 => "bin",
        <= MessagePackCode.Ext32 => "ext",
        MessagePackCode.Float32 => "float32",
        MessagePackCode.Float64 => "float64",
        <= MessagePackCode.UInt64 => "uint",
        <= MessagePackCode.Int64 => "int",
        <= MessagePackCode.FixExt16 => "fixext",
        <= MessagePackCode.Str32 => "str",
        <= MessagePackCode.Array32 => "array",
        <= MessagePackCode.Map32 => "map",
        _ => "negative fixint",
    };
}
