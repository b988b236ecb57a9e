using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// Writes one row: a MessagePack map header announcing <c>propertyCount</c> entries, then that many
/// <c>(property id, value)</c> pairs with strictly ascending ids (docs/row_encoding.md). Ascending ids let
/// <see cref="RowReader"/> stop a lookup early and rule out duplicates. The bytes go through the MessagePack package's
/// writer, which buffers: <see cref="Complete"/> checks that the announced count was written and flushes the row to the
/// output, so call it before reading the output.
/// </summary>
public ref struct RowWriter
{
    private readonly uint _propertyCount;
    private MessagePackWriter _writer;
    private uint _written;
    private uint _lastPropertyId;

    public RowWriter(IBufferWriter<byte> output, int propertyCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(propertyCount);
        ArgumentNullException.ThrowIfNull(output);
        _writer = new MessagePackWriter(output);
        _propertyCount = (uint)propertyCount;
        _writer.WriteMapHeader(_propertyCount);
    }

    /// <summary>The writer for a value written by hand after <see cref="WritePropertyId"/> (pass it on by <c>ref</c>).</summary>
    [UnscopedRef]
    public ref MessagePackWriter ValueWriter => ref _writer;

    public void WriteNull(uint propertyId)
    {
        WritePropertyId(propertyId);
        _writer.WriteNil();
    }

    /// <summary>Writes a property of any supported CLR type (see <see cref="RowValueCodec.IsSupported"/>); null is nil.</summary>
    public void WriteValue<T>(uint propertyId, T value)
    {
        WritePropertyId(propertyId);
        RowValueCodec.Write(ref _writer, value);
    }

    public void WriteValue<T>(uint propertyId, T? value)
        where T : struct
    {
        WritePropertyId(propertyId);
        if (value.HasValue)
        {
            RowValueCodec.Write(ref _writer, value.GetValueOrDefault());
        }
        else
        {
            _writer.WriteNil();
        }
    }

    /// <summary>
    /// Writes a property whose value is already MessagePack (for example copied from an old row); it must be exactly one
    /// well-formed value (<see cref="MessagePackFormatException"/> if malformed, <see cref="ArgumentException"/> if bytes follow it).
    /// </summary>
    public void WriteRawValue(uint propertyId, ReadOnlySpan<byte> messagePackValue)
    {
        CheckOneValue(messagePackValue, nameof(messagePackValue));
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
        _writer.Write(propertyId);
    }

    /// <summary>Checks that as many properties were written as the map header announced, and flushes the row to the output.</summary>
    public void Complete()
    {
        if (_written != _propertyCount)
        {
            throw new InvalidOperationException($"The row announced {_propertyCount} properties but {_written} were written.");
        }

        _writer.Flush();
    }

    private static void CheckOneValue(ReadOnlySpan<byte> value, string parameterName)
    {
        var copy = ArrayPool<byte>.Shared.Rent(value.Length);
        try
        {
            value.CopyTo(copy);
            var check = new MessagePackReader(copy.AsMemory(0, value.Length));
            try
            {
                check.SkipValue();
            }
            catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
            {
                throw MessagePackFormatException.FromPackage(e, check.Sequence, 0, "a value");
            }

            if (!check.End)
            {
                throw new ArgumentException(
                    $"The raw value must be exactly one MessagePack value; {value.Length - check.Consumed} bytes follow it.",
                    parameterName);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
