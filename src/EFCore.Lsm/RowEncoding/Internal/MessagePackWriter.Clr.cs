using System.Buffers.Binary;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// The provider's extension types for CLR values MessagePack has no type for. Payload layouts are specified in
/// docs/row_encoding.md; the type codes are in <see cref="MessagePackExtensionTypeCodes"/>.
/// </summary>
public readonly partial struct MessagePackWriter
{
    internal const int DecimalMagnitudeSize = 12;
    internal const byte DecimalSignBit = 0x80;
    internal const int DateTimeKindShift = 62;

    /// <summary>
    /// Writes a decimal exactly, scale included (1.0m and 1.00m stay distinct, as does -0m): one byte
    /// <c>sign &lt;&lt; 7 | scale</c>, then the 96-bit magnitude big-endian with leading zero bytes dropped.
    /// </summary>
    public void WriteDecimal(decimal value)
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
        WriteExtension(MessagePackExtensionTypeCodes.Decimal, payload[leadingZeros..]);
    }

    /// <summary>Writes ticks and <see cref="DateTime.Kind"/> (the timestamp extension would lose the kind).</summary>
    public void WriteDateTime(DateTime value)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(payload, (ulong)value.Ticks | ((ulong)value.Kind << DateTimeKindShift));
        WriteExtension(MessagePackExtensionTypeCodes.DateTime, payload);
    }

    /// <summary>Writes the UTC instant and the offset, so both the instant and the local clock time round-trip.</summary>
    public void WriteDateTimeOffset(DateTimeOffset value)
    {
        Span<byte> payload = stackalloc byte[10];
        BinaryPrimitives.WriteInt64BigEndian(payload, value.UtcTicks);
        BinaryPrimitives.WriteInt16BigEndian(payload[8..], (short)value.TotalOffsetMinutes);
        WriteExtension(MessagePackExtensionTypeCodes.DateTimeOffset, payload);
    }

    public void WriteDateOnly(DateOnly value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, value.DayNumber);
        WriteExtension(MessagePackExtensionTypeCodes.DateOnly, payload);
    }

    public void WriteTimeOnly(TimeOnly value)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, value.Ticks);
        WriteExtension(MessagePackExtensionTypeCodes.TimeOnly, payload);
    }

    public void WriteTimeSpan(TimeSpan value)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, value.Ticks);
        WriteExtension(MessagePackExtensionTypeCodes.TimeSpan, payload);
    }

    public void WriteGuid(Guid value)
    {
        Span<byte> payload = stackalloc byte[16];
        value.TryWriteBytes(payload, bigEndian: true, out _);
        WriteExtension(MessagePackExtensionTypeCodes.Guid, payload);
    }

    /// <summary>Writes a UTF-16 code unit as an unsigned integer (a lone surrogate is a valid char but not a valid str).</summary>
    public void WriteChar(char value) => WriteUInt64(value);
}
