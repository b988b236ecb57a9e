namespace EFCore.Lsm.Engine.Wal;

/// <summary>
/// The type byte of a physical record in the log format (docs/log_format.md). A logical record is either one
/// <see cref="Full"/> fragment or a <see cref="First"/>, any number of <see cref="Middle"/>s and a <see cref="Last"/>.
/// These values are written to disk: do not change them.
/// </summary>
internal enum LogRecordType : byte
{
    /// <summary>Never written as a record: zero bytes are block-trailer or preallocation padding.</summary>
    Zero = 0,

    Full = 1,

    First = 2,

    Middle = 3,

    Last = 4,
}

/// <summary>Constants of the log format shared by <see cref="LogWriter"/> and <see cref="LogReader"/>.</summary>
internal static class LogFormat
{
    /// <summary>Records are packed into blocks of this size; a fragment never crosses a block boundary.</summary>
    public const int BlockSize = 32 * 1024;

    /// <summary>Masked CRC32C (4 bytes LE), payload length (2 bytes LE), type (1 byte).</summary>
    public const int HeaderSize = 7;

    public const LogRecordType MaxRecordType = LogRecordType.Last;
}
