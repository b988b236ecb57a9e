using EFCore.Lsm.Engine.Util;
using K4os.Compression.LZ4;
using ZstdSharp;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Compression of data blocks (docs/table_format.md, "Block compression"): LZ4 (K4os.Compression.LZ4, raw block format)
/// or Zstandard (ZstdSharp). A compressed block's stored contents are <c>varint32 uncompressed_length || compressed
/// bytes</c>; the trailer's type byte says which codec, and its checksum covers the stored (compressed) bytes, so damage
/// is caught before anything is decompressed. A block that does not shrink by at least an eighth is stored as it is.
/// Codec contexts are per thread: compressing and decompressing allocate nothing after the first call on a thread.
/// </summary>
internal static class BlockCompression
{
    /// <summary>Largest uncompressed block a reader accepts: a bound so a bad length cannot ask for a huge buffer.</summary>
    public const int MaxUncompressedLength = 64 << 20;

    [ThreadStatic]
    private static Decompressor? t_zstdDecompressor;

    [ThreadStatic]
    private static Compressor? t_zstdCompressor;

    [ThreadStatic]
    private static int t_zstdLevel;

    /// <summary>The block type byte written for <paramref name="compression"/> (never <see cref="TableCompression.None"/>).</summary>
    public static byte BlockType(TableCompression compression) => compression switch
    {
        TableCompression.Lz4 => TableFormat.BlockTypeLz4,
        TableCompression.Zstd => TableFormat.BlockTypeZstd,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "Not a compressing codec."),
    };

    /// <summary>Bytes <see cref="TryCompress"/> may need for <paramref name="length"/> bytes of input.</summary>
    public static int MaxStoredLength(TableCompression compression, int length) => Varint.MaxLength32 + compression switch
    {
        TableCompression.Lz4 => LZ4Codec.MaximumOutputSize(length),
        TableCompression.Zstd => (int)Compressor.GetCompressBound(length),
        _ => length,
    };

    /// <summary>
    /// Compresses <paramref name="contents"/> into <paramref name="destination"/> (at least <see cref="MaxStoredLength"/>
    /// bytes) as stored block contents; returns their length, or 0 when compressing does not pay (store it raw).
    /// </summary>
    public static int TryCompress(TableCompression compression, int zstdLevel, ReadOnlySpan<byte> contents, Span<byte> destination)
    {
        var header = Varint.Write(destination, (uint)contents.Length);
        var body = destination[header..];
        int written;
        switch (compression)
        {
            case TableCompression.Lz4:
                written = LZ4Codec.Encode(contents, body, LZ4Level.L00_FAST);
                break;
            case TableCompression.Zstd:
                if (t_zstdCompressor is null || t_zstdLevel != zstdLevel)
                {
                    t_zstdCompressor?.Dispose();
                    t_zstdCompressor = new Compressor(zstdLevel);
                    t_zstdLevel = zstdLevel;
                }

                written = t_zstdCompressor.Wrap(contents, body);
                break;
            default:
                return 0;
        }

        var stored = header + written;
        return written > 0 && stored <= contents.Length - (contents.Length / 8) ? stored : 0;
    }

    /// <summary>The uncompressed length a stored compressed block declares; throws <see cref="LsmCorruptionException"/> when it is malformed.</summary>
    public static int UncompressedLength(ReadOnlySpan<byte> stored, string fileName, long blockOffset, out int headerLength)
    {
        headerLength = Varint.TryRead32(stored, out var length);
        if (headerLength == 0 || length > MaxUncompressedLength)
        {
            throw new LsmCorruptionException(fileName, blockOffset, "malformed uncompressed length in compressed block");
        }

        return (int)length;
    }

    /// <summary>
    /// Decompresses stored block contents of type <paramref name="blockType"/> into <paramref name="destination"/>, which
    /// must be exactly the declared uncompressed length. Any failure is <see cref="LsmCorruptionException"/> naming the block.
    /// </summary>
    public static void Decompress(byte blockType, ReadOnlySpan<byte> compressed, Span<byte> destination, string fileName, long blockOffset)
    {
        int decoded;
        try
        {
            decoded = blockType switch
            {
                TableFormat.BlockTypeLz4 => LZ4Codec.Decode(compressed, destination),
                TableFormat.BlockTypeZstd => (t_zstdDecompressor ??= new Decompressor()).Unwrap(compressed, destination),
                _ => throw new LsmCorruptionException(fileName, blockOffset, $"unknown block type {blockType}"),
            };
        }
        catch (ZstdException e)
        {
            throw new LsmCorruptionException(fileName, blockOffset, $"zstd block does not decompress: {e.Message}");
        }

        if (decoded != destination.Length)
        {
            throw new LsmCorruptionException(fileName, blockOffset,
                $"compressed block decompresses to {(decoded < 0 ? "nothing" : decoded + " bytes")}, not the {destination.Length} it declares");
        }
    }
}
