using System.Buffers;
using System.Buffers.Binary;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Util;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine.Tests.Wal;

/// <summary>An in-memory writable file that keeps every appended byte.</summary>
internal sealed class BufferWritableFile : IWritableFile
{
    private readonly ArrayBufferWriter<byte> _data = new();

    public long Length => _data.WrittenCount;

    public int Syncs { get; private set; }

    public bool Disposed { get; private set; }

    public byte[] ToArray() => _data.WrittenSpan.ToArray();

    public void Append(ReadOnlySpan<byte> data) => _data.Write(data);

    public void Flush()
    {
    }

    public void Sync() => Syncs++;

    public void Dispose() => Disposed = true;
}

/// <summary>A writable file that discards its input (for allocation checks).</summary>
internal sealed class NullWritableFile : IWritableFile
{
    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data) => Length += data.Length;

    public void Flush()
    {
    }

    public void Sync()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>A read-only view of the first <c>length</c> bytes of an array, counting reads.</summary>
internal sealed class ByteArrayFile(byte[] data, int length) : IRandomAccessFile
{
    public ByteArrayFile(byte[] data)
        : this(data, data.Length)
    {
    }

    public int Reads { get; private set; }

    public long Length => length;

    public int Read(long offset, Span<byte> destination)
    {
        Reads++;
        if (offset >= length)
        {
            return 0;
        }

        var n = (int)Math.Min(destination.Length, length - offset);
        data.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Dispose()
    {
    }
}

/// <summary>Where a logical record landed in the file: its fragments as [start, end) physical extents (header included).</summary>
internal sealed record RecordLayout(byte[] Payload, long Offset, long End, List<(long Start, long End)> Fragments);

internal static class LogTestUtil
{
    public const int Block = LogFormat.BlockSize;
    public const int Header = LogFormat.HeaderSize;

    public static byte[] Payload(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes the records with a <see cref="LogWriter"/> and returns the file plus where each record went.</summary>
    public static (byte[] File, List<RecordLayout> Layout) Write(IEnumerable<byte[]> records)
    {
        var file = new BufferWritableFile();
        var layout = new List<RecordLayout>();
        using (var writer = new LogWriter(file))
        {
            foreach (var record in records)
            {
                var fragments = PredictFragments(writer.Length, record.Length);
                writer.AddRecord(record);
                Assert.Equal(fragments[^1].End, writer.Length);
                layout.Add(new RecordLayout(record, fragments[0].Start, writer.Length, fragments));
            }
        }

        Assert.True(file.Disposed);
        return (file.ToArray(), layout);
    }

    /// <summary>Fragment extents the format prescribes for a <paramref name="size"/>-byte record at <paramref name="position"/>.</summary>
    public static List<(long Start, long End)> PredictFragments(long position, int size)
    {
        var result = new List<(long, long)>();
        var left = size;
        do
        {
            var inBlock = Block - (int)(position % Block);
            if (inBlock < Header)
            {
                position += inBlock;
                inBlock = Block;
            }

            var fragment = Math.Min(left, inBlock - Header);
            result.Add((position, position + Header + fragment));
            position += Header + fragment;
            left -= fragment;
        }
        while (left > 0);

        return result;
    }

    public static List<(byte[] Record, long Offset)> ReadAll(byte[] data, int length, bool tolerate, out LogReader reader)
    {
        reader = new LogReader(new ByteArrayFile(data, length), "000007.log", tolerate);
        var result = new List<(byte[], long)>();
        while (reader.TryReadRecord(out var record, out var offset))
        {
            result.Add((record.ToArray(), offset));
        }

        Assert.False(reader.TryReadRecord(out _, out _));
        return result;
    }

    public static List<(byte[] Record, long Offset)> ReadAll(byte[] data, bool tolerate = false)
        => ReadAll(data, data.Length, tolerate, out _);

    /// <summary>A physical record with a correct CRC, for building logs the writer would never produce.</summary>
    public static byte[] Fragment(LogRecordType type, ReadOnlySpan<byte> payload, int? lengthField = null)
    {
        var bytes = new byte[Header + payload.Length];
        var crc = Crc32C.Mask(Crc32C.Extend(Crc32C.Compute([(byte)type]), payload));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, crc);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), (ushort)(lengthField ?? payload.Length));
        bytes[6] = (byte)type;
        payload.CopyTo(bytes.AsSpan(Header));
        return bytes;
    }
}
