using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace EFCore.Lsm.Tool.Formatting;

/// <summary>
/// Turns keys and values into command-line text and back. Bytes that are printable UTF-8 are shown as text, anything
/// else as <c>0x</c> followed by hex digits; <see cref="Parse"/> reads both forms, so every key the tool prints can be
/// pasted back into <c>lsm get</c> or <c>lsm scan --from</c>. For that round trip to hold, text that itself begins
/// with "0x" and the empty key are shown in hex.
/// </summary>
internal static class ByteText
{
    public const string HexPrefix = "0x";

    // Up to this many bytes are formatted on the stack; longer ones use a pooled buffer.
    private const int StackChars = 512;

    /// <summary>
    /// Reads a key given on the command line: hex when <paramref name="hex"/> is set or the text starts with "0x",
    /// otherwise the UTF-8 bytes of the text. Throws <see cref="ToolException"/> for malformed hex.
    /// </summary>
    public static byte[] Parse(string text, bool hex, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var digits = text.AsSpan();
        var prefixed = digits.StartsWith(HexPrefix, StringComparison.OrdinalIgnoreCase);
        if (!hex && !prefixed)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        if (prefixed)
        {
            digits = digits[HexPrefix.Length..];
        }

        if (digits.Length % 2 != 0)
        {
            throw new ToolException(ExitCodes.BadInput, $"{what} '{text}' is not valid hex: it has an odd number of digits.");
        }

        var bytes = new byte[digits.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            var high = HexValue(digits[2 * i]);
            var low = HexValue(digits[(2 * i) + 1]);
            if (high < 0 || low < 0)
            {
                var bad = high < 0 ? digits[2 * i] : digits[(2 * i) + 1];
                throw new ToolException(ExitCodes.BadInput, $"{what} '{text}' is not valid hex: '{bad}' is not a hex digit.");
            }

            bytes[i] = (byte)((high << 4) | low);
        }

        return bytes;
    }

    /// <summary>The display form of <paramref name="bytes"/> as a string (for messages and headers, not hot loops).</summary>
    public static string Format(ReadOnlySpan<byte> bytes, bool hex = false)
    {
        var writer = new StringWriter();
        Write(writer, bytes, hex);
        return writer.ToString();
    }

    /// <summary>Writes the display form of <paramref name="bytes"/> without allocating (pooled scratch for long input).</summary>
    public static void Write(TextWriter writer, ReadOnlySpan<byte> bytes, bool hex = false)
    {
        // Hex needs 2 chars per byte plus the prefix; UTF-8 never decodes to more chars than bytes.
        var needed = HexPrefix.Length + (2 * bytes.Length);
        char[]? rented = null;
        var chars = needed <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(needed));
        try
        {
            if (!hex && TryDecodePrintable(bytes, chars, out var length))
            {
                writer.Write(chars[..length]);
                return;
            }

            HexPrefix.AsSpan().CopyTo(chars);
            Convert.TryToHexString(bytes, chars[HexPrefix.Length..], out var written);
            writer.Write(chars[..(HexPrefix.Length + written)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes at most <paramref name="maxBytes"/> bytes of a value, followed by "..." when it is longer, so dumps of large
    /// values stay one short line (callers print the full length beside it). A cut never splits a UTF-8 character.
    /// </summary>
    public static void WritePreview(TextWriter writer, ReadOnlySpan<byte> bytes, int maxBytes, bool hex = false)
    {
        if (bytes.Length <= maxBytes)
        {
            Write(writer, bytes, hex);
            return;
        }

        var cut = maxBytes;
        if (!hex)
        {
            // Back off over continuation bytes (10xxxxxx) so a printable value stays printable when cut.
            while (cut > 0 && (bytes[cut] & 0xC0) == 0x80 && maxBytes - cut < 3)
            {
                cut--;
            }
        }

        Write(writer, bytes[..cut], hex);
        writer.Write("...");
    }

    /// <summary>Whether the bytes are valid UTF-8 without control characters, decoding them into <paramref name="chars"/> if so.</summary>
    private static bool TryDecodePrintable(ReadOnlySpan<byte> bytes, Span<char> chars, out int length)
    {
        length = 0;
        if (bytes.IsEmpty || !Utf8.IsValid(bytes))
        {
            return false;
        }

        length = Encoding.UTF8.GetChars(bytes, chars);
        var text = chars[..length];
        if (text.StartsWith(HexPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var c in text)
        {
            // Control characters (newlines, tabs, NUL, C1) would break the one-entry-per-line output.
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF')
            {
                return false;
            }
        }

        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
