using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Facts about the row value format (docs/row_encoding.md). Written to disk: do not change.
/// </summary>
public static class RowFormat
{
    /// <summary>
    /// The only row format so far. It has no version byte: a version-1 row is exactly one MessagePack map, so its first
    /// byte is a map header (0x80..0x8f, 0xde, 0xdf). A later format must start with a byte that is not a map header,
    /// which lets one keyspace hold rows of both formats and lets old rows be read without rewriting them.
    /// </summary>
    public const int CurrentVersion = 1;

    /// <summary>Whether <paramref name="firstByte"/> starts a version-1 row (a fixmap, map16 or map32 header).</summary>
    public static bool IsVersion1(byte firstByte) =>
        firstByte is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap or MessagePackCode.Map16 or MessagePackCode.Map32;
}
