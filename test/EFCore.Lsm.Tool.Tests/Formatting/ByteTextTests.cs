using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Formatting;

public class ByteTextTests
{
    [Theory]
    [InlineData("customer/ada")]
    [InlineData("ключ/ü/漢字")]
    [InlineData("with space")]
    public void Printable_utf8_is_shown_as_text(string text)
        => Assert.Equal(text, ByteText.Format(Bytes.Utf8(text)));

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01 }, "0x0001")]
    [InlineData(new byte[] { 0x61, 0x0A, 0x62 }, "0x610A62")]      // newline would break one-entry-per-line output
    [InlineData(new byte[] { 0x61, 0x09 }, "0x6109")]              // tab
    [InlineData(new byte[] { 0xC3 }, "0xC3")]                      // truncated UTF-8
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "0xEDA080")]      // encoded lone surrogate: not valid UTF-8
    [InlineData(new byte[] { 0xC2, 0x85 }, "0xC285")]              // U+0085, a C1 control
    [InlineData(new byte[] { 0x30, 0x78, 0x31 }, "0x307831")]      // the text "0x1" would read back as hex
    [InlineData(new byte[0], "0x")]                                // the empty key must stay visible
    public void Everything_else_is_shown_as_hex(byte[] bytes, string expected)
        => Assert.Equal(expected, ByteText.Format(bytes));

    [Fact]
    public void Hex_mode_forces_hex()
        => Assert.Equal("0x616263", ByteText.Format("abc"u8, hex: true));

    [Theory]
    [InlineData("abc", false, new byte[] { 0x61, 0x62, 0x63 })]
    [InlineData("0x00ff", false, new byte[] { 0x00, 0xFF })]
    [InlineData("0X0A", false, new byte[] { 0x0A })]
    [InlineData("00ff", true, new byte[] { 0x00, 0xFF })]
    [InlineData("0x00ff", true, new byte[] { 0x00, 0xFF })]
    [InlineData("0x", false, new byte[0])]
    [InlineData("", false, new byte[0])]
    public void Parse_reads_text_and_hex(string text, bool hex, byte[] expected)
        => Assert.Equal(expected, ByteText.Parse(text, hex, "key"));

    [Theory]
    [InlineData("0xabc", "odd number of digits")]
    [InlineData("0xzz", "'z' is not a hex digit")]
    [InlineData("0x0g", "'g' is not a hex digit")]
    [InlineData("0x 1", "' ' is not a hex digit")]
    public void Bad_hex_is_a_typed_error_naming_the_input(string text, string reason)
    {
        var e = Assert.Throws<ToolException>(() => ByteText.Parse(text, hex: false, "--from"));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains($"--from '{text}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_hex_in_hex_mode_is_an_error_too()
        => Assert.Throws<ToolException>(() => ByteText.Parse("hello", hex: true, "key"));

    [Fact]
    public void Every_displayed_key_parses_back_to_the_same_bytes()
    {
        // Keys printed by scan/dump are meant to be pasted into get/scan --from: the display must round-trip for any bytes.
        var random = new Random(20240611);
        byte[] alphabet = [0x00, 0x09, 0x0A, 0x20, 0x30, 0x41, 0x61, 0x78, 0x7F, 0x80, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF];
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            for (var j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(3) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            var shown = ByteText.Format(bytes);
            Assert.Equal(bytes, ByteText.Parse(shown, hex: false, "key"));
            Assert.Equal(bytes, ByteText.Parse(ByteText.Format(bytes, hex: true), hex: false, "key"));
            Assert.DoesNotContain('\n', shown);
        }
    }

    [Fact]
    public void Long_input_uses_the_pooled_path_and_stays_exact()
    {
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);
        var shown = ByteText.Format(bytes);
        Assert.Equal(2 + (2 * bytes.Length), shown.Length);
        Assert.Equal(bytes, ByteText.Parse(shown, hex: false, "value"));

        var text = new string('a', 70_000);
        Assert.Equal(text, ByteText.Format(Bytes.Utf8(text)));
    }

    [Fact]
    public void Preview_cuts_long_values_without_splitting_a_character()
    {
        var writer = new StringWriter();
        ByteText.WritePreview(writer, Bytes.Utf8("abcdefgh"), 8);
        Assert.Equal("abcdefgh", writer.ToString());

        writer = new StringWriter();
        ByteText.WritePreview(writer, Bytes.Utf8("abcdefghi"), 8);
        Assert.Equal("abcdefgh...", writer.ToString());

        // "ab" + three 2-byte characters: a cut at 5 bytes lands inside the second 'é', so it backs off to 4.
        writer = new StringWriter();
        ByteText.WritePreview(writer, Bytes.Utf8("abééé"), 5);
        Assert.Equal("abé...", writer.ToString());

        writer = new StringWriter();
        ByteText.WritePreview(writer, [0x00, 0x01, 0x02, 0x03], 2);
        Assert.Equal("0x0001...", writer.ToString());
    }
}
