using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Unicode;

namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// Appends order-preserving key parts to a buffer: the byte order of two keys written part by part with the same
/// types and directions is the order of their value tuples, and equal values (by .NET <c>Equals</c>) give equal bytes.
/// The byte format is specified in docs/key_encoding.md.
/// </summary>
/// <remarks>
/// Starts on a caller's buffer (stack memory or a reused array) and moves to <see cref="ArrayPool{T}"/> arrays when that
/// is too small; <see cref="Dispose"/> returns them. Every part is self-delimiting, so the bytes of the first parts of a
/// key are a byte prefix of the whole key. A key longer than <see cref="KeyEncodingLimits.MaxKeySize"/> is refused
/// with <see cref="LsmKeyTooLargeException"/>; a write that throws leaves the key as it was before that part.
/// </remarks>
public ref struct KeyWriter
{
    private Span<byte> _buffer;
    private byte[]? _rented;
    private int _length;

    /// <summary>Starts writing into <paramref name="initialBuffer"/>, which may be stack memory or a reused array.</summary>
    public KeyWriter(Span<byte> initialBuffer)
    {
        _buffer = initialBuffer;
    }

    /// <summary>Starts writing into a pooled array of at least <paramref name="initialCapacity"/> bytes.</summary>
    public KeyWriter(int initialCapacity)
    {
        _rented = ArrayPool<byte>.Shared.Rent(Math.Clamp(initialCapacity, 16, KeyEncodingLimits.MaxKeySize));
        _buffer = _rented;
    }

    /// <summary>The number of bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The key written so far. Valid until the next write or <see cref="Dispose"/>.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._length];

    /// <summary>A copy of the key written so far.</summary>
    public readonly byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets the key written so far and keeps the buffer, to write the next key.</summary>
    public void Reset() => _length = 0;

    /// <summary>Shortens the key to its first <paramref name="length"/> bytes, for example back to a shared prefix.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    /// <summary>Returns the pooled array, if one was rented.</summary>
    public void Dispose()
    {
        var rented = _rented;
        this = default;
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends bytes that are already encoded, such as a keyspace prefix or parts copied from another key.</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded) => encoded.CopyTo(Append(encoded.Length));

    /// <summary>A null part: 0x00, sorting before every value ascending and after every value descending.</summary>
    public void WriteNull(bool descending = false) => Append(1)[0] = Code(KeyTypeCode.Null, descending);

    public void Write(bool value, bool descending = false)
        => Append(1)[0] = Code(value ? KeyTypeCode.True : KeyTypeCode.False, descending);

    public void Write(sbyte value, bool descending = false) => Write((long)value, descending);

    public void Write(byte value, bool descending = false) => WriteMagnitude(value, negative: false, descending);

    public void Write(short value, bool descending = false) => Write((long)value, descending);

    public void Write(ushort value, bool descending = false) => WriteMagnitude(value, negative: false, descending);

    /// <summary>A <see cref="char"/> as the integer of its UTF-16 code unit.</summary>
    public void Write(char value, bool descending = false) => WriteMagnitude(value, negative: false, descending);

    public void Write(int value, bool descending = false) => Write((long)value, descending);

    public void Write(uint value, bool descending = false) => WriteMagnitude(value, negative: false, descending);

    /// <summary>An integer; every .NET integer width of the same value gives the same bytes.</summary>
    public void Write(long value, bool descending = false)
    {
        if (value >= 0)
        {
            WriteMagnitude((ulong)value, negative: false, descending);
        }
        else
        {
            WriteMagnitude(0UL - (ulong)value, negative: true, descending);
        }
    }

    public void Write(ulong value, bool descending = false) => WriteMagnitude(value, negative: false, descending);

    /// <summary>An enum as the integer of its underlying type.</summary>
    public void WriteEnum<TEnum>(TEnum value, bool descending = false)
        where TEnum : struct, Enum
    {
        if (EnumKeyValue<TEnum>.IsSigned)
        {
            Write(EnumKeyValue<TEnum>.ToInt64(value), descending);
        }
        else
        {
            WriteMagnitude(EnumKeyValue<TEnum>.ToUInt64(value), negative: false, descending);
        }
    }

    /// <summary>
    /// A double: -0 is written as +0 and every NaN as one NaN (which sorts first, as <see cref="double.CompareTo(double)"/>
    /// orders it), so equal bytes mean <see cref="double.Equals(double)"/>.
    /// </summary>
    public void Write(double value, bool descending = false)
    {
        var bits = FloatingPointKey.ToOrderedBits(value);
        var span = Append(9);
        span[0] = Code(KeyTypeCode.Double, descending);
        BinaryPrimitives.WriteUInt64BigEndian(span[1..], descending ? ~bits : bits);
    }

    /// <summary>A float, widened exactly to <see cref="double"/>: a float and a double of the same value encode identically.</summary>
    public void Write(float value, bool descending = false) => Write((double)value, descending);

    /// <summary>A decimal, normalised: 1.0m and 1.00m give the same bytes (the scale is not part of the key).</summary>
    public void Write(decimal value, bool descending = false)
    {
        Span<byte> encoded = stackalloc byte[DecimalKey.MaxEncodedLength];
        var length = DecimalKey.Encode(value, encoded);
        var span = Append(length);
        encoded[..length].CopyTo(span);
        if (descending)
        {
            span[0] = KeyTypeCode.Descending(span[0]);
            Complement(span[1..]);
        }
    }

    /// <summary>A Guid as its 16 bytes in big-endian (RFC 9562) order, so version 7 Guids sort by time.</summary>
    public void Write(Guid value, bool descending = false)
    {
        var span = Append(17);
        span[0] = Code(KeyTypeCode.Guid, descending);
        value.TryWriteBytes(span[1..], bigEndian: true, out _);
        if (descending)
        {
            Complement(span[1..]);
        }
    }

    /// <summary>A DateTime as its <see cref="DateTime.Ticks"/>; the Kind is ignored, as <see cref="DateTime.Equals(DateTime)"/> ignores it.</summary>
    public void Write(DateTime value, bool descending = false) => Write(value.Ticks, descending);

    /// <summary>A DateTimeOffset as its <see cref="DateTimeOffset.UtcTicks"/>: the offset is not part of the key, as in <c>Equals</c>.</summary>
    public void Write(DateTimeOffset value, bool descending = false) => Write(value.UtcTicks, descending);

    /// <summary>A DateOnly as its <see cref="DateOnly.DayNumber"/>.</summary>
    public void Write(DateOnly value, bool descending = false) => Write((long)value.DayNumber, descending);

    /// <summary>A TimeOnly as its <see cref="TimeOnly.Ticks"/>.</summary>
    public void Write(TimeOnly value, bool descending = false) => Write(value.Ticks, descending);

    /// <summary>A TimeSpan as its <see cref="TimeSpan.Ticks"/>.</summary>
    public void Write(TimeSpan value, bool descending = false) => Write(value.Ticks, descending);

    /// <summary>A string (or a null part for null). See <see cref="Write(ReadOnlySpan{char}, bool)"/>.</summary>
    public void Write(string? value, bool descending = false)
    {
        if (value is null)
        {
            WriteNull(descending);
        }
        else
        {
            WriteString(value.AsSpan(), descending, terminated: true);
        }
    }

    /// <summary>
    /// A string as UTF-8, so keys sort in Unicode code-point order (not <see cref="string.CompareOrdinal(string, string)"/>
    /// order, which differs for surrogate pairs against U+E000..U+FFFF). A lone surrogate has no UTF-8 form and is
    /// refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public void Write(ReadOnlySpan<char> value, bool descending = false) => WriteString(value, descending, terminated: true);

    /// <summary>
    /// The start of a string part without its terminator, as the lower bound of a <c>StartsWith(prefix)</c> range: a key
    /// whose string part starts with <paramref name="prefix"/> (in the same direction) has these bytes as a prefix, and
    /// <see cref="KeyRange.PrefixSuccessor(ReadOnlySpan{byte})"/> of them is the exclusive upper bound. Write nothing after it.
    /// </summary>
    public void WriteStringPrefix(ReadOnlySpan<char> prefix, bool descending = false) => WriteString(prefix, descending, terminated: false);

    /// <summary>A byte array (or a null part for null).</summary>
    public void Write(byte[]? value, bool descending = false)
    {
        if (value is null)
        {
            WriteNull(descending);
        }
        else
        {
            WriteBytes(value, descending, terminated: true);
        }
    }

    /// <summary>A byte string; shorter sorts first when one is a prefix of the other.</summary>
    public void Write(ReadOnlySpan<byte> value, bool descending = false) => WriteBytes(value, descending, terminated: true);

    /// <summary>The start of a byte-string part without its terminator; see <see cref="WriteStringPrefix"/>.</summary>
    public void WriteBytesPrefix(ReadOnlySpan<byte> prefix, bool descending = false) => WriteBytes(prefix, descending, terminated: false);

    private void WriteString(ReadOnlySpan<char> value, bool descending, bool terminated)
    {
        // For well-formed UTF-16 this count is exact; a lone surrogate is counted as a replacement character and then
        // refused by the strict transcoding below.
        var utf8Length = Encoding.UTF8.GetByteCount(value);
        var zeros = value.Count('\0');
        var start = _length;
        var span = Append(1 + utf8Length + zeros + TerminatorLength(descending, terminated));
        span[0] = Code(KeyTypeCode.String, descending);
        var status = Utf8.FromUtf16(value, span.Slice(1, utf8Length), out var charsRead, out _, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            _length = start;
            throw LoneSurrogate(value, charsRead);
        }

        EscapeAndTerminate(span[1..], utf8Length, zeros, descending, terminated);
    }

    private void WriteBytes(ReadOnlySpan<byte> value, bool descending, bool terminated)
    {
        var zeros = value.Count((byte)0);
        var span = Append(1 + value.Length + zeros + TerminatorLength(descending, terminated));
        span[0] = Code(KeyTypeCode.Bytes, descending);
        value.CopyTo(span[1..]);
        EscapeAndTerminate(span[1..], value.Length, zeros, descending, terminated);
    }

    private static int TerminatorLength(bool descending, bool terminated) => !terminated ? 0 : descending ? 2 : 1;

    /// <summary>
    /// <paramref name="body"/> (the part after its type code) starts with <paramref name="length"/> raw bytes, has room
    /// for one escape byte per zero byte, then room for the terminator if any. Ascending: 0x00 → 0x00 0xFF, terminator
    /// 0x00. Descending: the escaped bytes complemented (so 0x00 → 0xFF 0x00), terminator 0xFF 0xFE (two bytes, see
    /// docs/key_encoding.md).
    /// </summary>
    private static void EscapeAndTerminate(Span<byte> body, int length, int zeros, bool descending, bool terminated)
    {
        var content = body[..(length + zeros)];
        if (zeros != 0)
        {
            ExpandZeros(content, length, zeros);
        }

        if (descending)
        {
            Complement(content);
        }

        if (terminated)
        {
            var terminator = body[content.Length..];
            if (descending)
            {
                terminator[0] = 0xFF;
                terminator[1] = 0xFE;
            }
            else
            {
                terminator[0] = 0x00;
            }
        }
    }

    /// <summary>Moves bytes right, from the end, so each zero byte is followed by 0xFF.</summary>
    private static void ExpandZeros(Span<byte> content, int length, int zeros)
    {
        var source = length - 1;
        var destination = length + zeros - 1;
        while (zeros > 0)
        {
            var zero = content[..(source + 1)].LastIndexOf((byte)0);
            var run = source - zero;
            content.Slice(zero + 1, run).CopyTo(content.Slice(destination - run + 1, run));
            destination -= run;
            content[destination--] = 0xFF;
            content[destination--] = 0x00;
            source = zero - 1;
            zeros--;
        }
    }

    private void WriteMagnitude(ulong magnitude, bool negative, bool descending)
    {
        if (magnitude == 0)
        {
            Append(1)[0] = Code(KeyTypeCode.IntegerZero, descending);
            return;
        }

        var byteCount = (71 - BitOperations.LeadingZeroCount(magnitude)) >> 3;
        var code = negative ? KeyTypeCode.IntegerZero - byteCount : KeyTypeCode.IntegerZero + byteCount;

        // A negative value is the one's complement of its magnitude in byteCount bytes (the low bytes of ~magnitude).
        var payload = negative ? ~magnitude : magnitude;
        if (descending)
        {
            payload = ~payload;
        }

        var span = Append(1 + byteCount);
        span[0] = Code((byte)code, descending);
        for (var i = byteCount; i >= 1; i--)
        {
            span[i] = (byte)payload;
            payload >>= 8;
        }
    }

    private static byte Code(byte ascending, bool descending) => descending ? KeyTypeCode.Descending(ascending) : ascending;

    internal static void Complement(Span<byte> span)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= span.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var slice = span.Slice(i, Vector<byte>.Count);
                Vector.OnesComplement(new Vector<byte>(slice)).CopyTo(slice);
            }
        }

        for (; i < span.Length; i++)
        {
            span[i] = (byte)~span[i];
        }
    }

    /// <summary>Reserves <paramref name="count"/> bytes at the end of the key and returns them.</summary>
    private Span<byte> Append(int count)
    {
        var end = (long)_length + count;
        if (end > KeyEncodingLimits.MaxKeySize)
        {
            throw new LsmKeyTooLargeException(end);
        }

        if (end > _buffer.Length)
        {
            Grow((int)end);
        }

        var span = _buffer.Slice(_length, count);
        _length = (int)end;
        return span;
    }

    private void Grow(int required)
    {
        var size = Math.Min(Math.Max(required, Math.Max(64, _buffer.Length * 2)), KeyEncodingLimits.MaxKeySize);
        var next = ArrayPool<byte>.Shared.Rent(size);
        _buffer[.._length].CopyTo(next);
        var old = _rented;
        _rented = next;
        _buffer = next;
        if (old is not null)
        {
            ArrayPool<byte>.Shared.Return(old);
        }
    }

    private static ArgumentException LoneSurrogate(ReadOnlySpan<char> value, int index)
        => new(
            $"A string key part has a lone surrogate U+{(int)value[index]:X4} at index {index}. Key strings are stored as UTF-8 "
            + "and must be well-formed UTF-16 (every surrogate in a high/low pair).",
            nameof(value));
}
