using System.Buffers;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>. Reuse one per
/// thread with <see cref="Reset"/> so encoding a row allocates nothing once the buffer has grown to the row's size.
/// </summary>
public sealed class PooledByteBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int DefaultCapacity = 256;

    private byte[] _buffer;
    private int _written;

    public PooledByteBufferWriter(int initialCapacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 16));
    }

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Forgets what was written and keeps the buffer.</summary>
    public void Reset() => _written = 0;

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Advance(int count)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the span that was handed out.");
        }

        _written += count;
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void EnsureFree(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (sizeHint == 0)
        {
            sizeHint = 1;
        }

        if (sizeHint > _buffer.Length - _written)
        {
            Grow(sizeHint);
        }
    }

    private void Grow(int sizeHint)
    {
        var needed = (long)_written + sizeHint;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A buffer of {needed} bytes exceeds the largest array .NET can allocate.");
        }

        var newSize = (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2));
        var newBuffer = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(newBuffer);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = newBuffer;
    }
}
