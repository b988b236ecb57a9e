using EFCore.Lsm.Storage;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Raised when bytes are not valid MessagePack (truncated, the unused code 0xc1, invalid UTF-8, a bad extension payload)
/// or hold a value of another type or range than the one asked for. <see cref="Offset"/> is the position of the value
/// in the buffer the reader was given.
/// </summary>
public sealed class MessagePackFormatException : LsmStoredDataException
{
    public MessagePackFormatException(long offset, string reason)
        : base($"Invalid MessagePack at offset {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Byte offset of the offending value within the reader's buffer.</summary>
    public long Offset { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }
}
