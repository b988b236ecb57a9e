namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// The specification's timestamp (extension type -1): seconds since 1970-01-01T00:00:00Z (signed 64-bit) plus
/// nanoseconds (0..999,999,999). Its range is far wider than <see cref="DateTime"/>'s and it is always UTC.
/// </summary>
public readonly struct MessagePackTimestamp : IEquatable<MessagePackTimestamp>
{
    public const uint NanosecondsPerSecond = 1_000_000_000;

    private const long NanosecondsPerTick = 100;
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    public MessagePackTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nanoseconds, NanosecondsPerSecond);
        Seconds = seconds;
        Nanoseconds = nanoseconds;
    }

    public long Seconds { get; }

    public uint Nanoseconds { get; }

    /// <summary>Converts a <see cref="DateTime"/>; a Local time is converted to UTC, Unspecified is taken as UTC.</summary>
    public static MessagePackTimestamp FromDateTime(DateTime value)
    {
        if (value.Kind == DateTimeKind.Local)
        {
            value = value.ToUniversalTime();
        }

        var ticks = value.Ticks - UnixEpochTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new MessagePackTimestamp(seconds, (uint)(remainder * NanosecondsPerTick));
    }

    /// <summary>
    /// Converts to a UTC <see cref="DateTime"/>, truncating nanoseconds to 100 ns ticks.
    /// Throws <see cref="OverflowException"/> when the instant is outside <see cref="DateTime"/>'s range.
    /// </summary>
    public DateTime ToDateTime()
    {
        if (!TryToDateTime(out var value))
        {
            throw new OverflowException($"The timestamp {Seconds}s {Nanoseconds}ns is outside the range of DateTime.");
        }

        return value;
    }

    public bool TryToDateTime(out DateTime value)
    {
        const long minSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (Seconds < minSeconds || Seconds > maxSeconds)
        {
            value = default;
            return false;
        }

        value = new DateTime(UnixEpochTicks + (Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / NanosecondsPerTick), DateTimeKind.Utc);
        return true;
    }

    public bool Equals(MessagePackTimestamp other) => Seconds == other.Seconds && Nanoseconds == other.Nanoseconds;

    public override bool Equals(object? obj) => obj is MessagePackTimestamp other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Seconds, Nanoseconds);

    public override string ToString() => $"{Seconds}s {Nanoseconds}ns";

    public static bool operator ==(MessagePackTimestamp left, MessagePackTimestamp right) => left.Equals(right);

    public static bool operator !=(MessagePackTimestamp left, MessagePackTimestamp right) => !left.Equals(right);
}
