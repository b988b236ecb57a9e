using System.Buffers.Binary;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// Builds the contents of one block (docs/table_format.md, "Blocks"): prefix-compressed entries
/// <c>varint shared, varint non_shared, varint value_length, key[shared..], value</c>, a restart point (an entry with
/// shared = 0) every <c>restartInterval</c> entries, then the uint32 LE restart offsets and their uint32 LE count.
/// The caller adds keys in order; the builder does not compare them. Buffers are reused across <see cref="Reset"/>.
/// </summary>
internal sealed class BlockBuilder
{
    private readonly int _restartInterval;
    private byte[] _buffer = new byte[4096];
    private int _length;
    private int[] _restarts = new int[64];
    private int _restartCount;
    private int _counter;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private bool _finished;

    public BlockBuilder(int restartInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(restartInterval, 1);
        _restartInterval = restartInterval;
        Reset();
    }

    public bool IsEmpty => _length == 0;

    public int EntryCount { get; private set; }

    /// <summary>The size <see cref="Finish"/> would return now.</summary>
    public int CurrentSizeEstimate => _length + (_restartCount * 4) + 4;

    /// <summary>The last key added (valid until the next call).</summary>
    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    public void Reset()
    {
        _length = 0;
        _restartCount = 0;
        AddRestart(0);
        _counter = 0;
        _lastKeyLength = 0;
        _finished = false;
        EntryCount = 0;
    }

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_finished)
        {
            throw new InvalidOperationException("The block is finished; call Reset first.");
        }

        var shared = 0;
        if (_counter < _restartInterval)
        {
            shared = key.CommonPrefixLength(LastKey);
        }
        else
        {
            AddRestart(_length);
            _counter = 0;
        }

        var nonShared = key.Length - shared;
        EnsureCapacity((3 * Varint.MaxLength32) + nonShared + value.Length);
        var span = _buffer.AsSpan(_length);
        var n = Varint.Write(span, (uint)shared);
        n += Varint.Write(span[n..], (uint)nonShared);
        n += Varint.Write(span[n..], (uint)value.Length);
        key[shared..].CopyTo(span[n..]);
        n += nonShared;
        value.CopyTo(span[n..]);
        _length += n + value.Length;

        if (_lastKey.Length < key.Length)
        {
            Array.Resize(ref _lastKey, Math.Max(key.Length, _lastKey.Length * 2));
        }

        key[shared..].CopyTo(_lastKey.AsSpan(shared));
        _lastKeyLength = key.Length;
        _counter++;
        EntryCount++;
    }

    /// <summary>Appends the restart array and returns the block contents, valid until the next <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        if (!_finished)
        {
            EnsureCapacity((_restartCount * 4) + 4);
            for (var i = 0; i < _restartCount; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), _restarts[i]);
                _length += 4;
            }

            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), _restartCount);
            _length += 4;
            _finished = true;
        }

        return _buffer.AsSpan(0, _length);
    }

    private void AddRestart(int offset)
    {
        if (_restartCount == _restarts.Length)
        {
            Array.Resize(ref _restarts, _restarts.Length * 2);
        }

        _restarts[_restartCount++] = offset;
    }

    private void EnsureCapacity(int extra)
    {
        var needed = (long)_length + extra;
        if (needed > _buffer.Length)
        {
            if (needed > Array.MaxLength)
            {
                throw new InvalidOperationException("A block cannot exceed 2 GiB.");
            }

            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(needed, _buffer.Length * 2L)));
        }
    }
}
