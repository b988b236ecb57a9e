using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Writes MessagePack values to an <see cref="IBufferWriter{T}"/>, always in the shortest form the specification allows
/// for the value: non-negative integers use positive fixint/uint8..64 (as the reference implementations do), negative
/// ones negative fixint/int8..64; a double that a float32 holds bit for bit is written as float32; lengths and counts
/// use the smallest header. Nothing is buffered inside the struct, so there is nothing to flush.
/// </summary>
public readonly partial struct MessagePackWriter
{
    private const int MaxIntegerSize = 9;

    private readonly IBufferWriter<byte> _output;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void WriteBoolean(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
            return;
        }

        var span = _output.GetSpan(MaxIntegerSize);
        int length;
        if (value >= MessagePackCode.MinNegativeFixIntValue)
        {
            span[0] = unchecked((byte)value);
            length = 1;
        }
        else if (value >= sbyte.MinValue)
        {
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)value);
            length = 2;
        }
        else if (value >= short.MinValue)
        {
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            length = 3;
        }
        else if (value >= int.MinValue)
        {
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            length = 5;
        }
        else
        {
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            length = 9;
        }

        _output.Advance(length);
    }

    public void WriteUInt64(ulong value)
    {
        var span = _output.GetSpan(MaxIntegerSize);
        int length;
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            span[0] = (byte)value;
            length = 1;
        }
        else if (value <= byte.MaxValue)
        {
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            length = 2;
        }
        else if (value <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            length = 3;
        }
        else if (value <= uint.MaxValue)
        {
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            length = 5;
        }
        else
        {
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            length = 9;
        }

        _output.Advance(length);
    }

    /// <summary>Writes float32 (a float needs nothing wider, and widening would not make it more exact).</summary>
    public void WriteSingle(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>Writes float32 when it holds the value bit for bit (0.5, -0.0, ±infinity, the default NaN), else float64.</summary>
    public void WriteDouble(double value)
    {
        var narrowed = (float)value;
        if (BitConverter.DoubleToInt64Bits(narrowed) == BitConverter.DoubleToInt64Bits(value))
        {
            WriteSingle(narrowed);
            return;
        }

        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a string as UTF-8; <see langword="null"/> is written as nil. A lone surrogate is an error, not a '?'.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        WriteString(value.AsSpan());
    }

    public void WriteString(ReadOnlySpan<char> value)
    {
        // The header size depends on the UTF-8 length; when every possible length (chars .. 3 x chars) needs the same
        // header, encode straight after it in one pass instead of counting first.
        var maxBytes = (long)value.Length * 3;
        var headerSize = StringHeaderSize(value.Length);
        if (maxBytes > int.MaxValue - 5 || StringHeaderSize(maxBytes) != headerSize)
        {
            var exactBytes = Encoding.UTF8.GetByteCount(value);
            maxBytes = exactBytes;
            headerSize = StringHeaderSize(exactBytes);
        }

        var span = _output.GetSpan(headerSize + (int)maxBytes);
        var status = Utf8.FromUtf16(value, span[headerSize..], out var charsRead, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            throw new ArgumentException(
                $"The string holds a lone UTF-16 surrogate at index {charsRead}; it has no UTF-8 form and cannot be stored.",
                nameof(value));
        }

        WriteStringHeader(span, written, headerSize);
        _output.Advance(headerSize + written);
    }

    /// <summary>Writes already-encoded UTF-8 text; it is validated so that no reader ever meets an invalid str.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new ArgumentException("The bytes are not valid UTF-8.", nameof(utf8));
        }

        var headerSize = StringHeaderSize(utf8.Length);
        var span = _output.GetSpan(headerSize + utf8.Length);
        WriteStringHeader(span, utf8.Length, headerSize);
        utf8.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + utf8.Length);
    }

    /// <summary>Writes bin8/16/32; a <see langword="null"/> array is written as nil.</summary>
    public void WriteBinary(byte[]? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        WriteBinary(value.AsSpan());
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        var length = value.Length;
        var headerSize = length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5;
        var span = _output.GetSpan(headerSize + length);
        switch (headerSize)
        {
            case 2:
                span[0] = MessagePackCode.Bin8;
                span[1] = (byte)length;
                break;
            case 3:
                span[0] = MessagePackCode.Bin16;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
                break;
            default:
                span[0] = MessagePackCode.Bin32;
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
                break;
        }

        value.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + length);
    }

    public void WriteArrayHeader(uint count) =>
        WriteCollectionHeader(count, MessagePackCode.MinFixArray, MessagePackCode.Array16, MessagePackCode.Array32);

    public void WriteMapHeader(uint count) =>
        WriteCollectionHeader(count, MessagePackCode.MinFixMap, MessagePackCode.Map16, MessagePackCode.Map32);

    /// <summary>Writes the header of an extension value; the caller writes exactly <paramref name="length"/> bytes next.</summary>
    public void WriteExtensionHeader(sbyte typeCode, uint length)
    {
        var span = _output.GetSpan(6);
        var written = WriteExtensionHeader(span, typeCode, length);
        _output.Advance(written);
    }

    public void WriteExtension(sbyte typeCode, ReadOnlySpan<byte> data)
    {
        var span = _output.GetSpan(6 + data.Length);
        var headerSize = WriteExtensionHeader(span, typeCode, (uint)data.Length);
        data.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + data.Length);
    }

    /// <summary>Writes the timestamp extension in its shortest form: 32-bit, 64-bit or 96-bit, as the specification prescribes.</summary>
    public void WriteTimestamp(MessagePackTimestamp value)
    {
        var seconds = value.Seconds;
        var nanoseconds = value.Nanoseconds;
        var span = _output.GetSpan(15);
        int length;
        if ((ulong)seconds >> 34 == 0)
        {
            if (nanoseconds == 0 && seconds <= uint.MaxValue)
            {
                span[0] = MessagePackCode.FixExt4;
                span[1] = unchecked((byte)MessagePackExtensionTypeCodes.Timestamp);
                BinaryPrimitives.WriteUInt32BigEndian(span[2..], (uint)seconds);
                length = 6;
            }
            else
            {
                span[0] = MessagePackCode.FixExt8;
                span[1] = unchecked((byte)MessagePackExtensionTypeCodes.Timestamp);
                BinaryPrimitives.WriteUInt64BigEndian(span[2..], ((ulong)nanoseconds << 34) | (ulong)seconds);
                length = 10;
            }
        }
        else
        {
            span[0] = MessagePackCode.Ext8;
            span[1] = 12;
            span[2] = unchecked((byte)MessagePackExtensionTypeCodes.Timestamp);
            BinaryPrimitives.WriteUInt32BigEndian(span[3..], nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(span[7..], seconds);
            length = 15;
        }

        _output.Advance(length);
    }

    public void WriteTimestamp(DateTime value) => WriteTimestamp(MessagePackTimestamp.FromDateTime(value));

    /// <summary>Copies bytes that already are MessagePack (for example a value read with <c>ReadRaw</c>).</summary>
    public void WriteRaw(ReadOnlySpan<byte> messagePack) => _output.Write(messagePack);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void WriteCollectionHeader(uint count, byte fixCode, byte code16, byte code32)
    {
        var span = _output.GetSpan(5);
        int length;
        if (count <= MessagePackCode.MaxFixCollectionCount)
        {
            span[0] = (byte)(fixCode | count);
            length = 1;
        }
        else if (count <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            length = 3;
        }
        else
        {
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], count);
            length = 5;
        }

        _output.Advance(length);
    }

    private static int StringHeaderSize(long utf8Length) =>
        utf8Length <= MessagePackCode.MaxFixStrLength ? 1 : utf8Length <= byte.MaxValue ? 2 : utf8Length <= ushort.MaxValue ? 3 : 5;

    private static void WriteStringHeader(Span<byte> span, int utf8Length, int headerSize)
    {
        switch (headerSize)
        {
            case 1:
                span[0] = (byte)(MessagePackCode.MinFixStr | utf8Length);
                break;
            case 2:
                span[0] = MessagePackCode.Str8;
                span[1] = (byte)utf8Length;
                break;
            case 3:
                span[0] = MessagePackCode.Str16;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)utf8Length);
                break;
            default:
                span[0] = MessagePackCode.Str32;
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)utf8Length);
                break;
        }
    }

    private static int WriteExtensionHeader(Span<byte> span, sbyte typeCode, uint length)
    {
        var type = unchecked((byte)typeCode);
        var fixCode = length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => (byte)0,
        };
        if (fixCode != 0)
        {
            span[0] = fixCode;
            span[1] = type;
            return 2;
        }

        if (length <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Ext8;
            span[1] = (byte)length;
            span[2] = type;
            return 3;
        }

        if (length <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            span[3] = type;
            return 4;
        }

        span[0] = MessagePackCode.Ext32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], length);
        span[5] = type;
        return 6;
    }
}
