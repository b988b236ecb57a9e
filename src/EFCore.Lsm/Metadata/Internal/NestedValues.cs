using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// Reads the structure of a row's nested values, owned collections and complex collections (docs/row_encoding.md, "Owned
/// values", "Complex collections"): an array of maps. A value of another form, or one that announces more than its bytes
/// hold, is refused with <see cref="MessagePackFormatException"/> ("Errors"), never with the MessagePack package's own
/// exceptions; the row's decoder then names the entity type and the member.
/// </summary>
internal static class NestedValues
{
    /// <summary>Reads the header of the array that holds a collection's elements (<paramref name="expected"/> names it).</summary>
    public static int ReadArrayHeader(ref MessagePackReader reader, string expected)
    {
        if (reader.End || reader.NextMessagePackType != MessagePackType.Array)
        {
            throw Unexpected(ref reader, expected);
        }

        try
        {
            return reader.ReadArrayHeader();
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, reader.Consumed, expected);
        }
    }

    /// <summary>Skips one element map, checking its counts against the bytes left (<see cref="StrictMessagePack.SkipValue"/>).</summary>
    public static void SkipMap(ref MessagePackReader reader, string expected)
    {
        if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
        {
            throw Unexpected(ref reader, expected);
        }

        var start = reader.Consumed;
        try
        {
            reader.SkipValue();
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, start, expected);
        }
    }

    private static MessagePackFormatException Unexpected(ref MessagePackReader reader, string expected) =>
        reader.End
            ? new MessagePackFormatException(reader.Consumed, $"the value ends before {expected}")
            : new MessagePackFormatException(reader.Consumed, $"expected {expected} but found {MessagePackFormatException.Describe(reader.NextCode)}");
}
