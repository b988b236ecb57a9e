using System.Buffers;
using System.Buffers.Binary;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Wal;

/// <summary>
/// Reads the logical records written by <see cref="LogWriter"/> back, front to back, one 32 KiB block per file read
/// (docs/log_format.md, "Reading and recovery").
/// <para>
/// A torn tail (the file ends inside a header, inside a fragment, inside a FIRST..LAST sequence, or in zero fill) is a
/// clean end: <see cref="TryReadRecord"/> returns false. Damage before the tail raises <see cref="LsmCorruptionException"/>
/// with the physical offset, or, when corruption is tolerated, is skipped and counted in <see cref="DroppedBytes"/>;
/// a logical record touched by damage is dropped whole, never delivered in part.
/// </para>
/// <para>Not thread-safe. Does not own the file: the caller disposes it after the reader is done.</para>
/// </summary>
internal sealed class LogReader
{
    private readonly IRandomAccessFile _file;
    private readonly string _fileName;
    private readonly bool _tolerateCorruption;

    // The current block: _block[0.._blockLength) holds the file bytes at [_blockStart, _blockStart + _blockLength).
    private readonly byte[] _block = new byte[LogFormat.BlockSize];
    private long _blockStart;
    private int _blockLength;
    private int _position;
    private bool _atLastBlock;

    // The logical record being reassembled from FIRST/MIDDLE/LAST fragments.
    private byte[] _record = [];
    private int _recordLength;
    private bool _inRecord;
    private long _openRecordOffset;
    private long _openRecordPhysicalBytes;

    // Memo for the zero-fill check: a file offset known to hold a non-zero byte (-1 when none is known).
    private long _knownNonZeroOffset = -1;

    private bool _finished;
    private LsmCorruptionException? _failure;

    public LogReader(IRandomAccessFile file, string fileName, bool tolerateCorruption)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(fileName);
        _file = file;
        _fileName = fileName;
        _tolerateCorruption = tolerateCorruption;
    }

    /// <summary>Bytes skipped because of damage (only ever non-zero when corruption is tolerated).</summary>
    public long DroppedBytes { get; private set; }

    /// <summary>File offset just past the last record delivered (0 before the first); where a clean log ends.</summary>
    public long LastRecordEndOffset { get; private set; }

    /// <summary>
    /// Reads the next logical record. <paramref name="record"/> points into a buffer owned by this reader and stays valid
    /// only until the next call. <paramref name="recordOffset"/> is the file offset of the record's first fragment header.
    /// Returns false at the end of the log (including a torn tail).
    /// </summary>
    public bool TryReadRecord(out ReadOnlySpan<byte> record, out long recordOffset)
    {
        if (_failure is not null)
        {
            // Reading past reported damage would deliver records out of context; keep failing the same way.
            throw new LsmCorruptionException(_failure.FileName, _failure.Offset, _failure.Reason);
        }

        record = default;
        recordOffset = 0;
        if (_finished)
        {
            return false;
        }

        while (true)
        {
            var available = _blockLength - _position;
            if (available < LogFormat.HeaderSize)
            {
                if (_atLastBlock)
                {
                    // A header cut short by the end of the file, or the zero trailer of the final block.
                    return Finish();
                }

                // Fewer than HeaderSize bytes at the end of a full block are the writer's zero trailer.
                ReadNextBlock();
                continue;
            }

            var fragmentOffset = _blockStart + _position;
            var header = _block.AsSpan(_position, LogFormat.HeaderSize);
            var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(header);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            var type = (LogRecordType)header[6];

            if (storedCrc == 0 && length == 0 && type == LogRecordType.Zero)
            {
                // Zero fill: a file system may extend a file with zeros that were never written (preallocation, or
                // a crash after the size was updated but before the data reached the disk).
                if (IsZeroToEndOfFile(fragmentOffset))
                {
                    return Finish();
                }

                Damage(fragmentOffset, "zero-filled region followed by more data");
                continue;
            }

            if (_position + LogFormat.HeaderSize + length > LogFormat.BlockSize)
            {
                Damage(fragmentOffset, $"fragment length {length} runs past the end of its block");
                continue;
            }

            if (LogFormat.HeaderSize + length > available)
            {
                // Only possible in the last block (earlier blocks are full): the file ends inside this fragment.
                // That is a torn write, unless some prefix of the bytes that are there is a whole fragment under the
                // stored CRC: then the fragment was complete and its length field is what got damaged, and anything
                // after it (later manifest edits, later batches) would silently vanish if we called this a clean end.
                // A torn write matches by chance with probability about 2^-32 per candidate length.
                var present = _block.AsSpan(_position + LogFormat.HeaderSize, available - LogFormat.HeaderSize);
                if (type is > LogRecordType.Zero and <= LogFormat.MaxRecordType
                    && HasCompleteFragmentPrefix(Crc32C.Unmask(storedCrc), LogWriter.TypeCrc(type), present, out var realLength))
                {
                    Damage(fragmentOffset, $"fragment length {length} is damaged (the fragment checks out at length {realLength})");
                    continue;
                }

                return Finish();
            }

            if (type is LogRecordType.Zero or > LogFormat.MaxRecordType)
            {
                Damage(fragmentOffset, $"unknown record type {(byte)type}");
                continue;
            }

            var payload = _block.AsSpan(_position + LogFormat.HeaderSize, length);
            if (Crc32C.Unmask(storedCrc) != Crc32C.Extend(LogWriter.TypeCrc(type), payload))
            {
                Damage(fragmentOffset, "fragment checksum mismatch");
                continue;
            }

            var physicalLength = LogFormat.HeaderSize + length;
            _position += physicalLength;
            switch (type)
            {
                case LogRecordType.Full:
                    if (_inRecord)
                    {
                        DropOpenRecord(fragmentOffset, "FULL");
                    }

                    record = payload;
                    recordOffset = fragmentOffset;
                    LastRecordEndOffset = _blockStart + _position;
                    return true;

                case LogRecordType.First:
                    if (_inRecord)
                    {
                        DropOpenRecord(fragmentOffset, "FIRST");
                    }

                    _inRecord = true;
                    _openRecordOffset = fragmentOffset;
                    _openRecordPhysicalBytes = physicalLength;
                    _recordLength = 0;
                    AppendToRecord(payload, fragmentOffset);
                    break;

                case LogRecordType.Middle:
                case LogRecordType.Last:
                    if (!_inRecord)
                    {
                        Orphan(fragmentOffset, physicalLength, type);
                        break;
                    }

                    _openRecordPhysicalBytes += physicalLength;
                    AppendToRecord(payload, fragmentOffset);
                    if (type == LogRecordType.Last)
                    {
                        _inRecord = false;
                        record = _record.AsSpan(0, _recordLength);
                        recordOffset = _openRecordOffset;
                        LastRecordEndOffset = _blockStart + _position;
                        return true;
                    }

                    break;
            }
        }
    }

    private bool Finish()
    {
        // An open FIRST..MIDDLE sequence here was torn by the end of the file: not an error, the record never completed.
        _inRecord = false;
        _finished = true;
        return false;
    }

    private void ReadNextBlock()
    {
        _blockStart += _blockLength;
        _blockLength = ReadFully(_blockStart, _block);
        _position = 0;
        _atLastBlock = _blockLength < LogFormat.BlockSize;
    }

    private int ReadFully(long offset, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = _file.Read(offset + total, destination[total..]);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Damage inside the current block: fail, or drop the rest of the block and any record it interrupts.</summary>
    private void Damage(long offset, string reason)
    {
        if (!_tolerateCorruption)
        {
            Fail(offset, reason);
        }

        DroppedBytes += _blockLength - _position;
        _position = _blockLength;
        if (_inRecord)
        {
            DroppedBytes += _openRecordPhysicalBytes;
            _inRecord = false;
        }
    }

    /// <summary>
    /// An intact fragment arrived while a record was still open, so that record lost its end. Tolerated: drop the open
    /// record and let the new fragment start afresh (its own CRC is good).
    /// </summary>
    private void DropOpenRecord(long offset, string fragmentKind)
    {
        if (!_tolerateCorruption)
        {
            Fail(offset, $"{fragmentKind} fragment while the record starting at offset {_openRecordOffset} is still open");
        }

        DroppedBytes += _openRecordPhysicalBytes;
        _inRecord = false;
    }

    /// <summary>A MIDDLE or LAST fragment whose FIRST is missing (typically skipped earlier as damaged).</summary>
    private void Orphan(long offset, int physicalLength, LogRecordType type)
    {
        if (!_tolerateCorruption)
        {
            Fail(offset, $"{type.ToString().ToUpperInvariant()} fragment without a FIRST fragment");
        }

        DroppedBytes += physicalLength;
    }

    private void Fail(long offset, string reason)
    {
        _failure = new LsmCorruptionException(_fileName, offset, reason);
        throw _failure;
    }

    private void AppendToRecord(ReadOnlySpan<byte> payload, long fragmentOffset)
    {
        var needed = (long)_recordLength + payload.Length;
        if (needed > _record.Length)
        {
            if (needed > Array.MaxLength)
            {
                Fail(fragmentOffset, "record larger than the maximum array size");
            }

            var size = Math.Max((long)LogFormat.BlockSize, _record.Length * 2L);
            var grown = new byte[Math.Min(Math.Max(size, needed), Array.MaxLength)];
            _record.AsSpan(0, _recordLength).CopyTo(grown);
            _record = grown;
        }

        payload.CopyTo(_record.AsSpan(_recordLength));
        _recordLength += payload.Length;
    }

    /// <summary>Whether a prefix of <paramref name="payload"/> has the CRC <paramref name="expected"/> (one pass, byte by byte).</summary>
    private static bool HasCompleteFragmentPrefix(uint expected, uint typeCrc, ReadOnlySpan<byte> payload, out int length)
    {
        var crc = typeCrc;
        for (length = 0; length <= payload.Length; length++)
        {
            if (crc == expected)
            {
                return true;
            }

            if (length < payload.Length)
            {
                crc = Crc32C.Extend(crc, payload.Slice(length, 1));
            }
        }

        length = -1;
        return false;
    }

    /// <summary>Whether every byte from <paramref name="offset"/> (inside the current block) to the end of the file is zero.</summary>
    private bool IsZeroToEndOfFile(long offset)
    {
        if (_knownNonZeroOffset > offset)
        {
            return false;
        }

        var inBlock = _block.AsSpan((int)(offset - _blockStart), _blockLength - (int)(offset - _blockStart));
        var nonZero = inBlock.IndexOfAnyExcept((byte)0);
        if (nonZero >= 0)
        {
            _knownNonZeroOffset = offset + nonZero;
            return false;
        }

        if (_atLastBlock)
        {
            return true;
        }

        // Scan the following blocks without disturbing the current one; this only runs once at a zero-filled tail
        // (or once per zero-filled hole when damage is tolerated, thanks to the memo).
        var scratch = ArrayPool<byte>.Shared.Rent(LogFormat.BlockSize);
        try
        {
            var position = _blockStart + _blockLength;
            while (true)
            {
                var n = ReadFully(position, scratch.AsSpan(0, LogFormat.BlockSize));
                nonZero = scratch.AsSpan(0, n).IndexOfAnyExcept((byte)0);
                if (nonZero >= 0)
                {
                    _knownNonZeroOffset = position + nonZero;
                    return false;
                }

                if (n < LogFormat.BlockSize)
                {
                    return true;
                }

                position += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
