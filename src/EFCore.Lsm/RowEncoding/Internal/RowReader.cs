using System.Buffers;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Reads a row written by <see cref="RowWriter"/>: enumerate <c>(property id, value)</c> pairs with <see cref="MoveNext"/>,
/// or jump to one id with <see cref="TryFind"/>, then read the current value as a CLR type with <see cref="ReadValue{T}"/>.
/// Values of ids the caller does not know are skipped unread, so adding or dropping properties never requires rewriting
/// old rows. Ids must ascend; a row that breaks this, or any other rule of docs/row_encoding.md, raises
/// <see cref="MessagePackFormatException"/>.
/// </summary>
/// <remarks>
/// The MessagePack package's reader reads memory, not spans, so a row given as a span is first copied into an array from
/// <see cref="ArrayPool{T}.Shared"/> (a memcpy of the row; rows come from the storage seam's cursors as spans). Dispose
/// the reader (<c>using var row = new RowReader(value)</c>) to give the array back; without it the array is left to the
/// garbage collector, which costs an allocation per row but nothing else. <see cref="ValueReader"/> reads that copy, so
/// use it before the row reader is disposed.
/// </remarks>
public ref struct RowReader
{
    private readonly ReadOnlySpan<byte> _row;
    private readonly int _propertyCount;
    private readonly MessagePackReader _firstPair;
    private byte[]? _copy;

    // At the current value's start after MoveNext returned true (the value is skipped by the next MoveNext, so a value
    // that is never asked for is walked once and copied never); at the next pair otherwise.
    private MessagePackReader _cursor;
    private bool _onValue;
    private int _pairsRead;
    private uint _propertyId;
    private int _valueStart;

    public RowReader(ReadOnlySpan<byte> row)
    {
        if (row.IsEmpty)
        {
            throw new MessagePackFormatException(0, "a row value is empty; a row is a MessagePack map");
        }

        if (!RowFormat.IsVersion1(row[0]))
        {
            throw new MessagePackFormatException(
                0, $"a row starts with a map header, not {MessagePackFormatException.Describe(row[0])}; the row format is unknown");
        }

        _row = row;
        _copy = ArrayPool<byte>.Shared.Rent(row.Length);
        row.CopyTo(_copy);
        var reader = new MessagePackReader(_copy.AsMemory(0, row.Length));
        try
        {
            _propertyCount = reader.ReadMapHeader();
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, 0, "a map header");
        }

        _firstPair = reader;
        _cursor = reader;
    }

    /// <summary>The number of properties the row holds.</summary>
    public readonly int PropertyCount => _propertyCount;

    /// <summary>The id of the current property, after <see cref="MoveNext"/> or <see cref="TryFind"/> returned true.</summary>
    public readonly uint PropertyId => _propertyId;

    /// <summary>Whether the current property's value is nil.</summary>
    public readonly bool IsNull => _row[_valueStart] == MessagePackCode.Nil;

    /// <summary>The current property's value as MessagePack bytes (a slice of the row the reader was given).</summary>
    public readonly ReadOnlySpan<byte> RawValue
    {
        get
        {
            var end = _cursor;
            Skip(ref end);
            return _row[_valueStart..(int)end.Consumed];
        }
    }

    /// <summary>
    /// A reader positioned on the current value, for reading exactly that one value; its <c>Consumed</c> counts from the
    /// start of the row, so errors name offsets in the row.
    /// </summary>
    public readonly MessagePackReader ValueReader => _cursor;

    /// <summary>
    /// Moves to the next property; false after the last one (and then checks no bytes follow the map). The value of the
    /// property moved from is checked to be one whole MessagePack value on the way.
    /// </summary>
    public bool MoveNext()
    {
        if (_onValue)
        {
            Skip(ref _cursor);
            _onValue = false;
        }

        if (_pairsRead == _propertyCount)
        {
            if (!_cursor.End)
            {
                var end = _cursor.Consumed;
                throw new MessagePackFormatException(end, $"{_row.Length - end} bytes follow the row's {_propertyCount} properties");
            }

            return false;
        }

        var idOffset = _cursor.Consumed;
        uint propertyId;
        try
        {
            propertyId = _cursor.ReadUInt32();
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, _cursor.Sequence, idOffset, "a property id (UInt32)");
        }

        if (_pairsRead > 0 && propertyId <= _propertyId)
        {
            throw new MessagePackFormatException(idOffset, $"property ids must ascend, but {propertyId} follows {_propertyId}");
        }

        if (_cursor.End)
        {
            throw new MessagePackFormatException(_cursor.Consumed, $"the row ends before the value of property {propertyId}");
        }

        _valueStart = (int)_cursor.Consumed;
        _onValue = true;
        _propertyId = propertyId;
        _pairsRead++;
        return true;
    }

    /// <summary>Goes back to before the first property.</summary>
    public void Reset()
    {
        _cursor = _firstPair;
        _onValue = false;
        _pairsRead = 0;
        _propertyId = 0;
    }

    /// <summary>
    /// Makes <paramref name="propertyId"/> the current property if the row has it. Looking ids up in ascending order costs
    /// one pass over the row in total; a smaller id than the current one starts again from the first property.
    /// </summary>
    public bool TryFind(uint propertyId)
    {
        if (_pairsRead > 0)
        {
            if (propertyId == _propertyId && _onValue)
            {
                return true;
            }

            if (propertyId <= _propertyId)
            {
                Reset();
            }
        }

        while (_pairsRead < _propertyCount && MoveNext())
        {
            if (_propertyId >= propertyId)
            {
                return _propertyId == propertyId;
            }
        }

        return false;
    }

    /// <summary>Reads the current property's value as <typeparamref name="T"/>; nil reads as null for reference and nullable types.</summary>
    public readonly T ReadValue<T>()
    {
        var reader = _cursor;
        return RowValueCodec.Read<T>(ref reader);
    }

    /// <summary>Finds <paramref name="propertyId"/> and reads its value; false (and default) when the row does not have it.</summary>
    public bool TryReadValue<T>(uint propertyId, out T value)
    {
        if (!TryFind(propertyId))
        {
            value = default!;
            return false;
        }

        value = ReadValue<T>();
        return true;
    }

    /// <summary>Skips the value at <paramref name="reader"/>, refusing a malformed one with the value's offset.</summary>
    private static void Skip(ref MessagePackReader reader)
    {
        var start = reader.Consumed;
        try
        {
            reader.SkipValue();
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, start, "a value");
        }
    }

    /// <summary>Gives the row's copy back to the pool; the reader and its <see cref="ValueReader"/>s must not be used after.</summary>
    public void Dispose()
    {
        var copy = _copy;
        _copy = null;
        if (copy is not null)
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
