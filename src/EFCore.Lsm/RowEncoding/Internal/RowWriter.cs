using System.Buffers;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Writes one row: a MessagePack map header announcing <c>propertyCount</c> entries, then that many
/// <c>(property id, value)</c> pairs with strictly ascending ids (docs/row_encoding.md). Ascending ids let
/// <see cref="RowReader"/> stop a lookup early and rule out duplicates. Call <see cref="Complete"/> at the end to check
/// that the announced count was written.
/// </summary>
public ref struct RowWriter
{
    private readonly MessagePackWriter _writer;
    private readonly uint _propertyCount;
    private uint _written;
    private uint _lastPropertyId;

    public RowWriter(IBufferWriter<byte> output, int propertyCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(propertyCount);
        _writer = new MessagePackWriter(output);
        _propertyCount = (uint)propertyCount;
        _writer.WriteMapHeader(_propertyCount);
    }

    /// <summary>The writer for a value written by hand after <see cref="WritePropertyId"/>.</summary>
    public readonly MessagePackWriter ValueWriter => _writer;

    public void WriteNull(uint propertyId)
    {
        WritePropertyId(propertyId);
        _writer.WriteNil();
    }

    /// <summary>Writes a property of any supported CLR type (see <see cref="RowValueCodec.IsSupported"/>); null is nil.</summary>
    public void WriteValue<T>(uint propertyId, T value)
    {
        WritePropertyId(propertyId);
        RowValueCodec.Write(_writer, value);
    }

    public void WriteValue<T>(uint propertyId, T? value)
        where T : struct
    {
        WritePropertyId(propertyId);
        if (value.HasValue)
        {
            RowValueCodec.Write(_writer, value.GetValueOrDefault());
        }
        else
        {
            _writer.WriteNil();
        }
    }

    /// <summary>Writes a property whose value is already MessagePack (for example copied from an old row).</summary>
    public void WriteRawValue(uint propertyId, ReadOnlySpan<byte> messagePackValue)
    {
        var check = new MessagePackReader(messagePackValue);
        check.Skip();
        if (!check.End)
        {
            throw new ArgumentException(
                $"The raw value must be exactly one MessagePack value; {check.Remaining} bytes follow it.", nameof(messagePackValue));
        }

        WritePropertyId(propertyId);
        _writer.WriteRaw(messagePackValue);
    }

    /// <summary>Writes the next property id; the caller then writes exactly one value with <see cref="ValueWriter"/>.</summary>
    public void WritePropertyId(uint propertyId)
    {
        if (_written == _propertyCount)
        {
            throw new InvalidOperationException($"The row announced {_propertyCount} properties and all of them have been written.");
        }

        if (_written > 0 && propertyId <= _lastPropertyId)
        {
            throw new ArgumentException(
                $"Property ids must be written in strictly ascending order; {propertyId} follows {_lastPropertyId}.", nameof(propertyId));
        }

        _written++;
        _lastPropertyId = propertyId;
        _writer.WriteUInt64(propertyId);
    }

    /// <summary>Checks that as many properties were written as the map header announced.</summary>
    public readonly void Complete()
    {
        if (_written != _propertyCount)
        {
            throw new InvalidOperationException($"The row announced {_propertyCount} properties but {_written} were written.");
        }
    }
}
