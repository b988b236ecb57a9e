using System.Buffers.Binary;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Reads the provider's extension types back into CLR values (layouts in docs/row_encoding.md). Every payload is
/// validated, so a damaged value raises <see cref="MessagePackFormatException"/> rather than an ArgumentOutOfRangeException
/// from a CLR constructor.
/// </summary>
public ref partial struct MessagePackReader
{
    private const int DecimalMaxScale = 28;

    public decimal ReadDecimal()
    {
        var start = _position;
        var payload = ReadOwnExtension(MessagePackExtensionTypeCodes.Decimal, expectedLength: -1, "Decimal");
        if (payload.Length is < 1 or > 1 + MessagePackWriter.DecimalMagnitudeSize)
        {
            throw BadPayload(start, $"a decimal payload is 1 to 13 bytes, not {payload.Length}");
        }

        var signAndScale = payload[0];
        var scale = signAndScale & ~MessagePackWriter.DecimalSignBit;
        if (scale > DecimalMaxScale)
        {
            throw BadPayload(start, $"the decimal scale byte 0x{signAndScale:x2} is not a sign bit and a scale of 0..28");
        }

        Span<byte> magnitude = stackalloc byte[MessagePackWriter.DecimalMagnitudeSize];
        magnitude.Clear();
        payload[1..].CopyTo(magnitude[(MessagePackWriter.DecimalMagnitudeSize - (payload.Length - 1))..]);
        return new decimal(
            BinaryPrimitives.ReadInt32BigEndian(magnitude[8..]),
            BinaryPrimitives.ReadInt32BigEndian(magnitude[4..]),
            BinaryPrimitives.ReadInt32BigEndian(magnitude),
            (signAndScale & MessagePackWriter.DecimalSignBit) != 0,
            (byte)scale);
    }

    /// <summary>Reads the provider's DateTime extension; a spec timestamp (type -1) is also accepted, as a UTC DateTime.</summary>
    public DateTime ReadDateTime()
    {
        var start = _position;
        if (PeekExtensionType() == MessagePackExtensionTypeCodes.Timestamp)
        {
            var timestamp = ReadTimestamp();
            if (!timestamp.TryToDateTime(out var utc))
            {
                _position = start;
                throw BadPayload(start, $"the timestamp {timestamp} is outside the range of DateTime");
            }

            return utc;
        }

        var payload = ReadOwnExtension(MessagePackExtensionTypeCodes.DateTime, 8, "DateTime");
        var data = BinaryPrimitives.ReadUInt64BigEndian(payload);
        var ticks = (long)(data & ((1UL << MessagePackWriter.DateTimeKindShift) - 1));
        var kind = (int)(data >> MessagePackWriter.DateTimeKindShift);
        if (kind > (int)DateTimeKind.Local || ticks > DateTime.MaxValue.Ticks)
        {
            throw BadPayload(start, $"0x{data:x16} is not DateTime ticks (at most {DateTime.MaxValue.Ticks}) with a kind of 0..2");
        }

        return new DateTime(ticks, (DateTimeKind)kind);
    }

    public DateTimeOffset ReadDateTimeOffset()
    {
        var start = _position;
        var payload = ReadOwnExtension(MessagePackExtensionTypeCodes.DateTimeOffset, 10, "DateTimeOffset");
        var utcTicks = BinaryPrimitives.ReadInt64BigEndian(payload);
        var offsetMinutes = BinaryPrimitives.ReadInt16BigEndian(payload[8..]);
        const int maxOffsetMinutes = 14 * 60;
        var clockTicks = utcTicks + (offsetMinutes * TimeSpan.TicksPerMinute);
        if (utcTicks < 0 || utcTicks > DateTime.MaxValue.Ticks || offsetMinutes is < -maxOffsetMinutes or > maxOffsetMinutes
            || clockTicks < 0 || clockTicks > DateTime.MaxValue.Ticks)
        {
            throw BadPayload(start, $"UTC ticks {utcTicks} with an offset of {offsetMinutes} minutes is not a valid DateTimeOffset");
        }

        return new DateTimeOffset(clockTicks, TimeSpan.FromMinutes(offsetMinutes));
    }

    public DateOnly ReadDateOnly()
    {
        var start = _position;
        var dayNumber = BinaryPrimitives.ReadInt32BigEndian(ReadOwnExtension(MessagePackExtensionTypeCodes.DateOnly, 4, "DateOnly"));
        if (dayNumber < 0 || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw BadPayload(start, $"day number {dayNumber} is outside the range of DateOnly");
        }

        return DateOnly.FromDayNumber(dayNumber);
    }

    public TimeOnly ReadTimeOnly()
    {
        var start = _position;
        var ticks = BinaryPrimitives.ReadInt64BigEndian(ReadOwnExtension(MessagePackExtensionTypeCodes.TimeOnly, 8, "TimeOnly"));
        if (ticks < 0 || ticks > TimeOnly.MaxValue.Ticks)
        {
            throw BadPayload(start, $"{ticks} ticks is outside the range of TimeOnly");
        }

        return new TimeOnly(ticks);
    }

    public TimeSpan ReadTimeSpan() =>
        new(BinaryPrimitives.ReadInt64BigEndian(ReadOwnExtension(MessagePackExtensionTypeCodes.TimeSpan, 8, "TimeSpan")));

    public Guid ReadGuid() => new(ReadOwnExtension(MessagePackExtensionTypeCodes.Guid, 16, "Guid"), bigEndian: true);

    public char ReadChar() => (char)ReadUnsignedInteger(char.MaxValue, "Char");

    private readonly sbyte? PeekExtensionType()
    {
        var copy = this;
        return copy.PeekType() == MessagePackType.Extension ? copy.ReadExtensionHeader().TypeCode : null;
    }

    /// <summary>Reads an extension of the given type and, unless <paramref name="expectedLength"/> is -1, of that payload length.</summary>
    private ReadOnlySpan<byte> ReadOwnExtension(sbyte expectedType, int expectedLength, string clrType)
    {
        var start = _position;
        if (PeekType() != MessagePackType.Extension)
        {
            throw TypeMismatch(start, $"{clrType} (extension type {expectedType})");
        }

        var payload = ReadExtension(out var typeCode);
        if (typeCode != expectedType)
        {
            _position = start;
            throw new MessagePackFormatException(start, $"expected {clrType} (extension type {expectedType}) but found extension type {typeCode}");
        }

        if (expectedLength >= 0 && payload.Length != expectedLength)
        {
            _position = start;
            throw new MessagePackFormatException(start, $"a {clrType} payload is {expectedLength} bytes, not {payload.Length}");
        }

        return payload;
    }

    private MessagePackFormatException BadPayload(int start, string reason)
    {
        _position = start;
        return new MessagePackFormatException(start, reason);
    }
}
