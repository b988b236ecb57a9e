using System.Buffers;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>
/// The few places where the provider asks more of the MessagePack package's reader and writer than they check by
/// themselves, so that stored data is exact and damaged data is refused (docs/row_encoding.md, "Errors"):
/// <list type="bullet">
/// <item>strings are strict UTF-8 both ways: the package replaces a lone surrogate and invalid UTF-8 with U+FFFD;</item>
/// <item>binaries are bin only: the package also reads a str as bytes (for the old spec);</item>
/// <item>skipping checks collection counts: the package's skip takes an array32/map32 count of 2^31 or more as
/// negative and returns having consumed only the header.</item>
/// </list>
/// Failures found here raise <see cref="MessagePackFormatException"/>; those the package finds keep its exception types
/// (see <see cref="MessagePackFormatException.IsPackageError"/>).
/// </summary>
public static class StrictMessagePack
{
    /// <summary>Writes a str; <see langword="null"/> is nil. A lone UTF-16 surrogate is refused (<see cref="ArgumentException"/>), never replaced.</summary>
    public static void WriteStrictString(ref this MessagePackWriter writer, string? value)
    {
        if (value is not null)
        {
            CheckSurrogatePairs(value);
        }

        writer.Write(value);
    }

    /// <summary>Reads a str (not nil) as strict UTF-8.</summary>
    public static string ReadStrictString(ref this MessagePackReader reader)
    {
        var offset = reader.Consumed;
        if (reader.IsNil)
        {
            throw new MessagePackFormatException(offset, "expected String but found " + MessagePackFormatException.Describe(MessagePackCode.Nil));
        }

        string value;
        if (reader.TryReadStringSpan(out var utf8))
        {
            value = Decode(utf8, offset);
        }
        else
        {
            // The str spans segments of a multi-segment sequence.
            value = Decode(reader.ReadStringSequence()!.Value.ToArray(), offset);
        }

        return value;
    }

    /// <summary>Reads a bin (bin8/16/32, not nil and not a str) into a new array.</summary>
    public static byte[] ReadStrictBytes(ref this MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Binary)
        {
            throw new MessagePackFormatException(
                reader.Consumed, "expected Binary but found " + MessagePackFormatException.Describe(reader.NextCode));
        }

        return reader.ReadBytes()!.Value.ToArray();
    }

    /// <summary>
    /// Skips one whole value, however deeply nested, without recursion. Collection headers are read with the package's
    /// <see cref="MessagePackReader.ReadArrayHeader"/>/<see cref="MessagePackReader.ReadMapHeader"/>, which refuse a count
    /// larger than the bytes left; everything else is skipped by the package.
    /// </summary>
    public static void SkipValue(ref this MessagePackReader reader)
    {
        if (!IsCollection(reader.NextCode))
        {
            // Most values are scalars: the package skips those exactly.
            reader.Skip();
            return;
        }

        long pending = 1;
        do
        {
            pending--;
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    pending += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    pending += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        while (pending > 0);
    }

    private static bool IsCollection(byte code) =>
        code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixArray
            or MessagePackCode.Array16 or MessagePackCode.Array32 or MessagePackCode.Map16 or MessagePackCode.Map32;

    private static string Decode(ReadOnlySpan<byte> utf8, long offset)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new MessagePackFormatException(offset, "the str value is not valid UTF-8");
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static void CheckSurrogatePairs(string value)
    {
        var chars = value.AsSpan();
        var i = chars.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(chars[i]) || i + 1 == chars.Length || !char.IsLowSurrogate(chars[i + 1]))
            {
                throw new ArgumentException(
                    $"The string holds a lone UTF-16 surrogate at index {i}; it has no UTF-8 form and cannot be stored.", nameof(value));
            }

            var next = chars[(i + 2)..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + 2 + next;
        }
    }
}
