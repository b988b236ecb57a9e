using System.Buffers.Binary;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Constants and small codecs of the SSTable file format. The byte-exact description is docs/table_format.md;
/// change the two together.
/// </summary>
internal static class TableFormat
{
    /// <summary>
    /// The newest format version this build writes. Readers accept exactly the versions they know
    /// (<see cref="MinSupportedVersion"/>..<see cref="CurrentVersion"/>); any other value is rejected as corruption.
    /// Bump it for any change an older reader could misread.
    /// </summary>
    public const uint CurrentVersion = VersionCompressed;

    public const uint MinSupportedVersion = VersionUncompressed;

    /// <summary>Version 1: every block is stored as it is (type byte 0). Still written for tables without compression, so
    /// that such tables stay readable by builds that predate compression.</summary>
    public const uint VersionUncompressed = 1;

    /// <summary>Version 2: data blocks may be compressed (type bytes 1 = LZ4, 2 = Zstd); everything else as in version 1.</summary>
    public const uint VersionCompressed = 2;

    /// <summary>The ASCII bytes "EFLsmSST" read as a little-endian uint64; the last 8 bytes of every table.</summary>
    public const ulong Magic = 0x5453536D734C4645UL;

    /// <summary>Two block handles (at most 10 + 10 varint bytes each) padded with zeros to a fixed width.</summary>
    public const int FooterHandlesLength = 40;

    /// <summary>Handles (40) + uint32 version + uint32 masked CRC32C of the preceding 44 bytes + uint64 magic.</summary>
    public const int FooterSize = FooterHandlesLength + 4 + 4 + 8;

    /// <summary>Every block on disk is followed by 1 type byte and a uint32 LE masked CRC32C of contents + type byte.</summary>
    public const int BlockTrailerSize = 5;

    /// <summary>Block type byte: contents stored as is. Written to disk: never change these values.</summary>
    public const byte BlockTypeUncompressed = 0;

    /// <summary>Block type byte (version 2): <c>varint32 uncompressed length || LZ4 raw block</c>.</summary>
    public const byte BlockTypeLz4 = 1;

    /// <summary>Block type byte (version 2): <c>varint32 uncompressed length || Zstandard frame</c>.</summary>
    public const byte BlockTypeZstd = 2;

    /// <summary>The format version a table written with <paramref name="compression"/> carries.</summary>
    public static uint VersionFor(TableCompression compression)
        => compression == TableCompression.None ? VersionUncompressed : VersionCompressed;

    /// <summary>Metaindex entry naming the full-table Bloom filter block.</summary>
    public static ReadOnlySpan<byte> FilterBlockName => "filter.bloom"u8;

    /// <summary>Metaindex entry naming the properties block.</summary>
    public static ReadOnlySpan<byte> PropertiesBlockName => "properties"u8;

    /// <summary>The checksum stored in a block trailer: masked CRC32C over the contents followed by the type byte.</summary>
    public static uint BlockChecksum(ReadOnlySpan<byte> contents, byte blockType)
    {
        Span<byte> type = [blockType];
        return Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(contents), type));
    }
}

/// <summary>The location of a block in a table file: its offset and its contents length (excluding the 5-byte trailer).</summary>
internal readonly record struct BlockHandle(long Offset, long Size)
{
    /// <summary>Two varint64s.</summary>
    public const int MaxEncodedLength = 2 * Varint.MaxLength64;

    public int EncodeTo(Span<byte> destination)
    {
        var n = Varint.Write(destination, (ulong)Offset);
        return n + Varint.Write(destination[n..], (ulong)Size);
    }

    /// <summary>
    /// Decodes a handle from the start of <paramref name="source"/>; returns the bytes consumed, or 0 when the bytes
    /// are not two varints or the values do not fit a long (the caller reports corruption).
    /// </summary>
    public static int TryDecode(ReadOnlySpan<byte> source, out BlockHandle handle)
    {
        handle = default;
        var n1 = Varint.TryRead(source, out var offset);
        if (n1 == 0 || offset > long.MaxValue)
        {
            return 0;
        }

        var n2 = Varint.TryRead(source[n1..], out var size);
        if (n2 == 0 || size > long.MaxValue)
        {
            return 0;
        }

        handle = new BlockHandle((long)offset, (long)size);
        return n1 + n2;
    }
}

/// <summary>The fixed-size record at the end of a table (docs/table_format.md, "Footer").</summary>
internal readonly record struct Footer(BlockHandle MetaindexHandle, BlockHandle IndexHandle, uint Version)
{
    public void EncodeTo(Span<byte> destination)
    {
        destination[..TableFormat.FooterSize].Clear();
        var n = MetaindexHandle.EncodeTo(destination);
        IndexHandle.EncodeTo(destination[n..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[TableFormat.FooterHandlesLength..], Version);
        var crc = Crc32C.Mask(Crc32C.Compute(destination[..(TableFormat.FooterHandlesLength + 4)]));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(TableFormat.FooterHandlesLength + 4)..], crc);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[(TableFormat.FooterHandlesLength + 8)..], TableFormat.Magic);
    }

    /// <summary>Parses and verifies a footer; <paramref name="footerOffset"/> is only used in error messages.</summary>
    public static Footer Decode(ReadOnlySpan<byte> source, string fileName, long footerOffset)
    {
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(source[(TableFormat.FooterHandlesLength + 8)..]);
        if (magic != TableFormat.Magic)
        {
            throw new LsmCorruptionException(fileName, footerOffset + TableFormat.FooterHandlesLength + 8,
                "bad table magic number (not an SSTable, or truncated)");
        }

        var checksummed = source[..(TableFormat.FooterHandlesLength + 4)];
        if (!Crc32C.Verify(checksummed, source[(TableFormat.FooterHandlesLength + 4)..]))
        {
            throw new LsmCorruptionException(fileName, footerOffset, "table footer checksum mismatch");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(source[TableFormat.FooterHandlesLength..]);
        if (version is < TableFormat.MinSupportedVersion or > TableFormat.CurrentVersion)
        {
            throw new LsmCorruptionException(fileName, footerOffset + TableFormat.FooterHandlesLength,
                $"unsupported table format version {version} (this build reads {TableFormat.MinSupportedVersion}..{TableFormat.CurrentVersion})");
        }

        var handles = source[..TableFormat.FooterHandlesLength];
        var n1 = BlockHandle.TryDecode(handles, out var metaindex);
        if (n1 == 0 || BlockHandle.TryDecode(handles[n1..], out var index) == 0)
        {
            throw new LsmCorruptionException(fileName, footerOffset, "malformed block handle in table footer");
        }

        return new Footer(metaindex, index, version);
    }
}
