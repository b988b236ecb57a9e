namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Reads a row written by <see cref="RowWriter"/>: enumerate <c>(property id, value)</c> pairs with <see cref="MoveNext"/>,
/// or jump to one id with <see cref="TryFind"/>, then read the current value as a CLR type with <see cref="ReadValue{T}"/>.
/// Values of ids the caller does not know are skipped unread, so adding or dropping properties never requires rewriting
/// old rows. Ids must ascend; a row that breaks this, or any other rule of docs/row_encoding.md, raises
/// <see cref="MessagePackFormatException"/>.
/// </summary>
public ref struct RowReader
{
    private readonly ReadOnlySpan<byte> _row;
    private readonly int _firstPairOffset;
    private readonly int _propertyCount;
    private int _nextPairOffset;
    private int _pairsRead;
    private uint _propertyId;
    private int _valueStart;
    private int _valueEnd;

    public RowReader(ReadOnlySpan<byte> row)
    {
        if (row.IsEmpty)
        {
            throw new MessagePackFormatException(0, "a row value is empty; a row is a MessagePack map");
        }

        if (!RowFormat.IsVersion1(row[0]))
        {
            throw new MessagePackFormatException(
                0,
                $"a row starts with a map header, not {MessagePackReader.DescribeCode(row[0])} (0x{row[0]:x2}); the row format is unknown");
        }

        var reader = new MessagePackReader(row);
        _row = row;
        _propertyCount = reader.ReadMapHeader();
        _firstPairOffset = reader.Position;
        _nextPairOffset = _firstPairOffset;
    }

    /// <summary>The number of properties the row holds.</summary>
    public readonly int PropertyCount => _propertyCount;

    /// <summary>The id of the current property, after <see cref="MoveNext"/> or <see cref="TryFind"/> returned true.</summary>
    public readonly uint PropertyId => _propertyId;

    /// <summary>Whether the current property's value is nil.</summary>
    public readonly bool IsNull => _row[_valueStart] == MessagePackCode.Nil;

    /// <summary>The current property's value as MessagePack bytes.</summary>
    public readonly ReadOnlySpan<byte> RawValue => _row[_valueStart.._valueEnd];

    /// <summary>Moves to the next property; false after the last one (and then checks no bytes follow the map).</summary>
    public bool MoveNext()
    {
        if (_pairsRead == _propertyCount)
        {
            if (_nextPairOffset != _row.Length)
            {
                throw new MessagePackFormatException(
                    _nextPairOffset, $"{_row.Length - _nextPairOffset} bytes follow the row's {_propertyCount} properties");
            }

            return false;
        }

        var reader = new MessagePackReader(_row, _nextPairOffset);
        var idOffset = reader.Position;
        var propertyId = reader.ReadUInt32();
        if (_pairsRead > 0 && propertyId <= _propertyId)
        {
            throw new MessagePackFormatException(idOffset, $"property ids must ascend, but {propertyId} follows {_propertyId}");
        }

        _valueStart = reader.Position;
        reader.Skip();
        _valueEnd = reader.Position;
        _nextPairOffset = _valueEnd;
        _propertyId = propertyId;
        _pairsRead++;
        return true;
    }

    /// <summary>Goes back to before the first property.</summary>
    public void Reset()
    {
        _nextPairOffset = _firstPairOffset;
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
            if (propertyId == _propertyId)
            {
                return true;
            }

            if (propertyId < _propertyId)
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
        var reader = ValueReader;
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

    /// <summary>A reader positioned on the current value and bounded by its end; offsets stay relative to the row.</summary>
    public readonly MessagePackReader ValueReader => new(_row[.._valueEnd], _valueStart);
}
