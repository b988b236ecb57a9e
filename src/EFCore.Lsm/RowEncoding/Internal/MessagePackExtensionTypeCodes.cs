namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Extension type codes 1..7: this provider's own codes for CLR values the specification has no type for (payload layouts
/// in docs/row_encoding.md, read and written by <see cref="ProviderExtensionTypes"/>). Negative codes are the
/// specification's (-1, the timestamp, is the package's <c>ReservedMessagePackExtensionTypeCode.DateTime</c>).
/// Written to disk: do not change, never reuse.
/// </summary>
public static class MessagePackExtensionTypeCodes
{
    /// <summary><see cref="decimal"/>: one byte sign and scale, then the 96-bit magnitude big-endian without leading zeros.</summary>
    public const sbyte Decimal = 1;

    /// <summary><see cref="System.DateTimeOffset"/>: UTC ticks (int64 big-endian) then the offset in minutes (int16 big-endian).</summary>
    public const sbyte DateTimeOffset = 2;

    /// <summary><see cref="System.DateTime"/>: ticks in the low 62 bits and <see cref="DateTimeKind"/> in the top 2 bits, big-endian.</summary>
    public const sbyte DateTime = 3;

    /// <summary><see cref="System.DateOnly"/>: <see cref="DateOnly.DayNumber"/> as int32 big-endian.</summary>
    public const sbyte DateOnly = 4;

    /// <summary><see cref="System.TimeOnly"/>: ticks since midnight as int64 big-endian.</summary>
    public const sbyte TimeOnly = 5;

    /// <summary><see cref="System.TimeSpan"/>: ticks as int64 big-endian.</summary>
    public const sbyte TimeSpan = 6;

    /// <summary><see cref="System.Guid"/>: the 16 bytes in RFC 9562 (big-endian) order.</summary>
    public const sbyte Guid = 7;
}
