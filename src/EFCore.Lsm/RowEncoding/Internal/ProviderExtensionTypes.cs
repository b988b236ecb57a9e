using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// The provider's extension types for CLR values MessagePack has no type for, written and read through the package's
/// writer and reader (static methods rather than extensions, so they are never confused with the package's own
/// <c>ReadDateTime</c>, which reads the spec's timestamp) (payload layouts in docs/row_encoding.md; type codes in <see cref="MessagePackExtensionTypeCodes"/>).
/// The package picks the extension header (fixext1/2/4/8/16 for those lengths, else the shortest ext8/16/32). Every payload
/// is validated on read, so a damaged value raises <see cref="MessagePackFormatException"/> rather than an exception from a
/// CLR constructor.
/// </summary>
public static class ProviderExtensionTypes
{
    private const int DecimalMagnitudeSize = 12;
    private const byte DecimalSignBit = 0x80;
    private const int DecimalMaxScale = 28;
    private const int DateTimeKindShift = 62;
    private const int MaxOffsetMinutes = 14 * 60;
    private const uint NanosecondsPerSecond = 1_000_000_000;

    /// <summary>
    /// Writes a decimal exactly, scale included (1.0m and 1.00m stay distinct, as does -0m): one byte
    /// <c>sign &lt;&lt; 7 | scale</c>, then the 96-bit magnitude big-endian with leading zero bytes dropped.
    /// </summary>
    public static void WriteDecimal(ref MessagePackWriter writer, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        Span<byte> payload = stackalloc byte[1 + DecimalMagnitudeSize];
        var flags = bits[3];
        payload[0] = (byte)((flags < 0 ? DecimalSignBit : 0) | ((flags >> 16) & 0xff));
        BinaryPrimitives.WriteInt32BigEndian(payload[1..], bits[2]);
        BinaryPrimitives.WriteInt32BigEndian(payload[5..], bits[1]);
        BinaryPrimitives.WriteInt32BigEndian(payload[9..], bits[0]);

        var leadingZeros = payload[1..].IndexOfAnyExcept((byte)0);
        if (leadingZeros < 0)
        {
            leadingZeros = DecimalMagnitudeSize;
        }

        // Move the sign/scale byte up to sit just before the first significant magnitude byte.
        payload[leadingZeros] = payload[0];
        WriteExtension(ref writer, MessagePackExtensionTypeCodes.Decimal, payload[leadingZeros..]);
    }

    /// <summary>Writes ticks and <see cref="DateTime.Kind"/> (the spec's timestamp would lose the kind).</summary>
    public static void WriteDateTime(ref MessagePackWriter writer, DateTime value) =>
        WriteUInt64Extension(ref writer, MessagePackExtensionTypeCodes.DateTime, (ulong)value.Ticks | ((ulong)value.Kind << DateTimeKindShift));

    /// <summary>Writes the UTC instant and the offset, so both the instant and the local clock time round-trip.</summary>
    public static void WriteDateTimeOffset(ref MessagePackWriter writer, DateTimeOffset value)
    {
        Span<byte> payload = stackalloc byte[10];
        BinaryPrimitives.WriteInt64BigEndian(payload, value.UtcTicks);
        BinaryPrimitives.WriteInt16BigEndian(payload[8..], (short)value.TotalOffsetMinutes);
        WriteExtension(ref writer, MessagePackExtensionTypeCodes.DateTimeOffset, payload);
    }

    public static void WriteDateOnly(ref MessagePackWriter writer, DateOnly value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, value.DayNumber);
        WriteExtension(ref writer, MessagePackExtensionTypeCodes.DateOnly, payload);
    }

    public static void WriteTimeOnly(ref MessagePackWriter writer, TimeOnly value) =>
        WriteUInt64Extension(ref writer, MessagePackExtensionTypeCodes.TimeOnly, (ulong)value.Ticks);

    public static void WriteTimeSpan(ref MessagePackWriter writer, TimeSpan value) =>
        WriteUInt64Extension(ref writer, MessagePackExtensionTypeCodes.TimeSpan, (ulong)value.Ticks);

    public static void WriteGuid(ref MessagePackWriter writer, Guid value)
    {
        Span<byte> payload = stackalloc byte[16];
        value.TryWriteBytes(payload, bigEndian: true, out _);
        WriteExtension(ref writer, MessagePackExtensionTypeCodes.Guid, payload);
    }

    public static decimal ReadDecimal(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        var offset = reader.Consumed;
        ReadOnlySpan<byte> payload = scratch[..ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.Decimal, -1, "Decimal", scratch)];
        if (payload.Length is < 1 or > 1 + DecimalMagnitudeSize)
        {
            throw new MessagePackFormatException(offset, $"a decimal payload is 1 to 13 bytes, not {payload.Length}");
        }

        var signAndScale = payload[0];
        var scale = signAndScale & ~DecimalSignBit;
        if (scale > DecimalMaxScale)
        {
            throw new MessagePackFormatException(offset, $"the decimal scale byte 0x{signAndScale:x2} is not a sign bit and a scale of 0..28");
        }

        Span<byte> magnitude = stackalloc byte[DecimalMagnitudeSize];
        magnitude.Clear();
        payload[1..].CopyTo(magnitude[(DecimalMagnitudeSize - (payload.Length - 1))..]);
        return new decimal(
            BinaryPrimitives.ReadInt32BigEndian(magnitude[8..]),
            BinaryPrimitives.ReadInt32BigEndian(magnitude[4..]),
            BinaryPrimitives.ReadInt32BigEndian(magnitude),
            (signAndScale & DecimalSignBit) != 0,
            (byte)scale);
    }

    /// <summary>
    /// Reads the provider's DateTime extension; the spec's timestamp (type -1) is also accepted, as a UTC DateTime
    /// truncated to 100 ns, when it lies in DateTime's range.
    /// </summary>
    public static DateTime ReadDateTime(ref MessagePackReader reader)
    {
        var offset = reader.Consumed;
        var header = ReadHeader(ref reader, MessagePackExtensionTypeCodes.DateTime, "DateTime");
        if (header.TypeCode == ReservedMessagePackExtensionTypeCode.DateTime)
        {
            return ReadTimestamp(ref reader, header, offset);
        }

        Span<byte> scratch = stackalloc byte[16];
        ReadPayload(ref reader, header, offset, MessagePackExtensionTypeCodes.DateTime, 8, "DateTime", scratch);
        var data = BinaryPrimitives.ReadUInt64BigEndian(scratch);
        var ticks = (long)(data & ((1UL << DateTimeKindShift) - 1));
        var kind = (int)(data >> DateTimeKindShift);
        if (kind > (int)DateTimeKind.Local || ticks > DateTime.MaxValue.Ticks)
        {
            throw new MessagePackFormatException(
                offset, $"0x{data:x16} is not DateTime ticks (at most {DateTime.MaxValue.Ticks}) with a kind of 0..2");
        }

        return new DateTime(ticks, (DateTimeKind)kind);
    }

    public static DateTimeOffset ReadDateTimeOffset(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        var offset = reader.Consumed;
        ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.DateTimeOffset, 10, "DateTimeOffset", scratch);
        ReadOnlySpan<byte> payload = scratch;
        var utcTicks = BinaryPrimitives.ReadInt64BigEndian(payload);
        var offsetMinutes = BinaryPrimitives.ReadInt16BigEndian(payload[8..]);
        var clockTicks = utcTicks + (offsetMinutes * TimeSpan.TicksPerMinute);
        if (utcTicks < 0 || utcTicks > DateTime.MaxValue.Ticks || offsetMinutes is < -MaxOffsetMinutes or > MaxOffsetMinutes
            || clockTicks < 0 || clockTicks > DateTime.MaxValue.Ticks)
        {
            throw new MessagePackFormatException(
                offset, $"UTC ticks {utcTicks} with an offset of {offsetMinutes} minutes is not a valid DateTimeOffset");
        }

        return new DateTimeOffset(clockTicks, TimeSpan.FromMinutes(offsetMinutes));
    }

    public static DateOnly ReadDateOnly(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        var offset = reader.Consumed;
        ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.DateOnly, 4, "DateOnly", scratch);
        var dayNumber = BinaryPrimitives.ReadInt32BigEndian(scratch);
        if (dayNumber < 0 || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw new MessagePackFormatException(offset, $"day number {dayNumber} is outside the range of DateOnly");
        }

        return DateOnly.FromDayNumber(dayNumber);
    }

    public static TimeOnly ReadTimeOnly(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        var offset = reader.Consumed;
        ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.TimeOnly, 8, "TimeOnly", scratch);
        var ticks = BinaryPrimitives.ReadInt64BigEndian(scratch);
        if (ticks < 0 || ticks > TimeOnly.MaxValue.Ticks)
        {
            throw new MessagePackFormatException(offset, $"{ticks} ticks is outside the range of TimeOnly");
        }

        return new TimeOnly(ticks);
    }

    public static TimeSpan ReadTimeSpan(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.TimeSpan, 8, "TimeSpan", scratch);
        return new TimeSpan(BinaryPrimitives.ReadInt64BigEndian(scratch));
    }

    public static Guid ReadGuid(ref MessagePackReader reader)
    {
        Span<byte> scratch = stackalloc byte[16];
        ReadOwnExtension(ref reader, MessagePackExtensionTypeCodes.Guid, 16, "Guid", scratch);
        return new Guid(scratch, bigEndian: true);
    }

    private static void WriteExtension(ref MessagePackWriter writer, sbyte typeCode, scoped ReadOnlySpan<byte> payload)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(typeCode, payload.Length));
        payload.CopyTo(writer.GetSpan(payload.Length));
        writer.Advance(payload.Length);
    }

    private static void WriteUInt64Extension(ref MessagePackWriter writer, sbyte typeCode, ulong payload)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(typeCode, sizeof(ulong)));
        BinaryPrimitives.WriteUInt64BigEndian(writer.GetSpan(sizeof(ulong)), payload);
        writer.Advance(sizeof(ulong));
    }

    /// <summary>
    /// Reads an extension of <paramref name="expectedType"/> and, unless <paramref name="expectedLength"/> is -1, of that
    /// payload length (at most 16 bytes); copies the payload to <paramref name="payload"/> and returns its length.
    /// </summary>
    private static int ReadOwnExtension(
        ref MessagePackReader reader, sbyte expectedType, int expectedLength, string clrType, scoped Span<byte> payload)
    {
        var offset = reader.Consumed;
        var header = ReadHeader(ref reader, expectedType, clrType);
        return ReadPayload(ref reader, header, offset, expectedType, expectedLength, clrType, payload);
    }

    /// <summary>Reads the header of an extension value (of any type: the caller checks it).</summary>
    private static ExtensionHeader ReadHeader(ref MessagePackReader reader, sbyte expectedType, string clrType)
    {
        if (reader.NextMessagePackType != MessagePackType.Extension)
        {
            throw new MessagePackFormatException(
                reader.Consumed,
                $"expected {clrType} (extension type {expectedType}) but found {MessagePackFormatException.Describe(reader.NextCode)}");
        }

        return reader.ReadExtensionFormatHeader();
    }

    private static int ReadPayload(
        ref MessagePackReader reader,
        ExtensionHeader header,
        long offset,
        sbyte expectedType,
        int expectedLength,
        string clrType,
        scoped Span<byte> payload)
    {
        if (header.TypeCode != expectedType)
        {
            throw new MessagePackFormatException(
                offset, $"expected {clrType} (extension type {expectedType}) but found extension type {header.TypeCode}");
        }

        if ((expectedLength >= 0 && header.Length != expectedLength) || header.Length > payload.Length)
        {
            throw new MessagePackFormatException(
                offset,
                expectedLength >= 0
                    ? $"a {clrType} payload is {expectedLength} bytes, not {header.Length}"
                    : $"a {clrType} payload is at most {payload.Length} bytes, not {header.Length}");
        }

        reader.ReadRaw(header.Length).CopyTo(payload);
        return (int)header.Length;
    }

    /// <summary>
    /// The spec's timestamp in its 32-, 64- or 96-bit form (its header already read), checked before the package converts
    /// it: the package takes any 30-bit nanoseconds field, and throws <see cref="ArgumentOutOfRangeException"/> outside
    /// DateTime's range.
    /// </summary>
    private static DateTime ReadTimestamp(ref MessagePackReader reader, ExtensionHeader header, long offset)
    {
        if (header.Length is not (4 or 8 or 12))
        {
            throw new MessagePackFormatException(offset, $"a timestamp payload is 4, 8 or 12 bytes, not {header.Length}");
        }

        Span<byte> payload = stackalloc byte[12];
        reader.CreatePeekReader().ReadRaw(header.Length).CopyTo(payload);
        var nanoseconds = header.Length switch
        {
            8 => (uint)(BinaryPrimitives.ReadUInt64BigEndian(payload) >> 34),
            12 => BinaryPrimitives.ReadUInt32BigEndian(payload),
            _ => 0u,
        };
        if (nanoseconds >= NanosecondsPerSecond)
        {
            throw new MessagePackFormatException(offset, $"the timestamp's nanoseconds field {nanoseconds} is not below 1,000,000,000");
        }

        try
        {
            return reader.ReadDateTime(header);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new MessagePackFormatException(offset, "the timestamp is outside the range of DateTime: " + e.Message);
        }
    }
}
