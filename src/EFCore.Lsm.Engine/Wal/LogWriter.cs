using System.Buffers.Binary;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Wal;

/// <summary>
/// Appends logical records to a file in the log format (docs/log_format.md), used for both the WAL and the manifest.
/// Each record is cut into fragments that never cross a 32 KiB block boundary; every fragment carries a CRC32C.
/// <para>
/// Not thread-safe: the database serialises writers (group commit) before calling <see cref="AddRecord"/>. After an
/// I/O exception the file's tail is unknown; the caller must stop using this writer (and treat the log as torn).
/// Owns <c>file</c> and disposes it.
/// </para>
/// </summary>
internal sealed class LogWriter : IDisposable
{
    // CRC32C of each type byte alone, so a fragment's CRC is one Extend over its payload.
    private static readonly uint[] TypeCrcs = CreateTypeCrcs();

    private static ReadOnlySpan<byte> TrailerZeros => [0, 0, 0, 0, 0, 0];

    private readonly IWritableFile _file;
    private int _blockOffset;
    private bool _disposed;

    public LogWriter(IWritableFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;

        // Normally a fresh, empty file. Continuing after existing content keeps block alignment.
        _blockOffset = (int)(file.Length % LogFormat.BlockSize);
    }

    /// <summary>Bytes written to the file so far (including block trailers).</summary>
    public long Length => _file.Length;

    /// <summary>Appends one logical record; an empty record is valid and reads back as empty.</summary>
    public void AddRecord(ReadOnlySpan<byte> record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var remaining = record;
        var first = true;
        Span<byte> header = stackalloc byte[LogFormat.HeaderSize];
        do
        {
            var leftInBlock = LogFormat.BlockSize - _blockOffset;
            if (leftInBlock < LogFormat.HeaderSize)
            {
                // Too small for a header: zero-fill the block tail and start a new block.
                if (leftInBlock > 0)
                {
                    _file.Append(TrailerZeros[..leftInBlock]);
                }

                _blockOffset = 0;
                leftInBlock = LogFormat.BlockSize;
            }

            var fragmentLength = Math.Min(remaining.Length, leftInBlock - LogFormat.HeaderSize);
            var last = fragmentLength == remaining.Length;
            var type = first
                ? (last ? LogRecordType.Full : LogRecordType.First)
                : (last ? LogRecordType.Last : LogRecordType.Middle);

            var fragment = remaining[..fragmentLength];
            var crc = Crc32C.Mask(Crc32C.Extend(TypeCrcs[(int)type], fragment));
            BinaryPrimitives.WriteUInt32LittleEndian(header, crc);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)fragmentLength);
            header[6] = (byte)type;
            _file.Append(header);
            _file.Append(fragment);
            _blockOffset += LogFormat.HeaderSize + fragmentLength;

            remaining = remaining[fragmentLength..];
            first = false;
        }
        while (!remaining.IsEmpty);
    }

    /// <summary>Hands written records to the operating system (survives a process crash).</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
    }

    /// <summary>Makes written records durable (survives a power loss) with a full fsync (the manifest syncs this way).</summary>
    public void Sync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Sync();
    }

    /// <summary>
    /// Makes written records durable with fdatasync: the data and the file length that reaching it needs, not timestamps.
    /// For the WAL, which only ever appends; as durable for it as <see cref="Sync"/>, and what the peers use.
    /// </summary>
    public void SyncData()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.SyncData();
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _file.Dispose();
        }
    }

    internal static uint TypeCrc(LogRecordType type) => TypeCrcs[(int)type];

    private static uint[] CreateTypeCrcs()
    {
        var crcs = new uint[(int)LogFormat.MaxRecordType + 1];
        for (var i = 0; i < crcs.Length; i++)
        {
            crcs[i] = Crc32C.Compute([(byte)i]);
        }

        return crcs;
    }
}
