using System.Buffers;
using MessagePack;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Raised when bytes are not valid MessagePack (truncated, the unused code 0xc1, invalid UTF-8, a bad extension payload)
/// or hold a value of another type or range than the one asked for. <see cref="Offset"/> is the position of the value
/// in the buffer the reader was given.
/// </summary>
/// <remarks>
/// The MessagePack package reports the same problems with its own exception types (<see cref="EndOfStreamException"/>,
/// <see cref="MessagePackSerializationException"/>, <see cref="OverflowException"/>, and
/// <see cref="ArgumentOutOfRangeException"/> for a 32-bit length above 2^31); <see cref="IsPackageError"/> and
/// <see cref="FromPackage"/> turn those into this one, so stored data is only ever refused with one typed error.
/// </remarks>
public sealed class MessagePackFormatException : LsmStoredDataException
{
    public MessagePackFormatException(long offset, string reason)
        : base($"Invalid MessagePack at offset {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    private MessagePackFormatException(long offset, string reason, Exception inner)
        : this($"Invalid MessagePack at offset {offset}: {reason}", offset, reason, inner)
    {
    }

    private MessagePackFormatException(string message, long offset, string reason, Exception inner)
        : base(message, inner)
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Byte offset of the offending value within the reader's buffer.</summary>
    public long Offset { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }

    /// <summary>
    /// This error placed where it was found: in the stored value of <paramref name="member"/> (its catalog name) of a row of
    /// <paramref name="entityType"/>. <see cref="Offset"/> stays the offset in the bytes the failing reader was given (the
    /// row, or the member's nested value).
    /// </summary>
    internal MessagePackFormatException InStoredValue(string entityType, string member) =>
        new($"Invalid MessagePack in the stored value of '{member}' of a row of entity type '{entityType}' (offset {Offset}): {Reason}",
            Offset, Reason, this);

    /// <summary>Whether <paramref name="exception"/> is how the MessagePack package refuses malformed or mistyped input.</summary>
    public static bool IsPackageError(Exception exception) =>
        exception is EndOfStreamException or MessagePackSerializationException or OverflowException or ArgumentOutOfRangeException;

    /// <summary>
    /// The typed error for a package exception raised while reading <paramref name="expected"/> (a type name, or a phrase
    /// such as "a property id") from the value at <paramref name="offset"/> of <paramref name="buffer"/>.
    /// </summary>
    public static MessagePackFormatException FromPackage(Exception exception, in ReadOnlySequence<byte> buffer, long offset, string expected)
    {
        var code = offset >= 0 && offset < buffer.Length ? buffer.Slice(offset, 1).FirstSpan[0] : (byte?)null;
        var reason = (exception, code) switch
        {
            (OverflowException, _) => $"the integer does not fit in {expected}",
            (EndOfStreamException or ArgumentOutOfRangeException, null) => "the buffer ends before the value",
            (EndOfStreamException or ArgumentOutOfRangeException, { } first) =>
                $"the {Describe(first)} value is truncated or announces more bytes or items than the buffer holds",
            (_, MessagePackCode.NeverUsed) => "0xc1 is never used by MessagePack and starts no value",
            (_, { } first) => $"expected {expected} but found {Describe(first)}",
            _ => $"{expected} cannot be read: {exception.Message}",
        };
        return new MessagePackFormatException(offset, reason, exception);
    }

    /// <summary>"fixstr (0xa1)": the format family of a first byte, as the specification names it.</summary>
    public static string Describe(byte code) => $"{MessagePackCode.ToFormatName(code)} (0x{code:x2})";
}
