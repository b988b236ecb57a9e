using System.Text;
using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class StringKeyTests
{
    [Theory]
    [InlineData("", false, "0200")]
    [InlineData("ab", false, "02616200")]
    [InlineData("a\0b", false, "026100FF6200")]
    [InlineData("\u00E9", false, "02C3A900")]
    [InlineData("", true, "FCFFFE")]
    [InlineData("ab", true, "FC9E9DFFFE")]
    [InlineData("a\0b", true, "FC9EFF009DFFFE")]
    public void Bytes_match_the_documented_examples(string value, bool descending, string hex)
    {
        Assert.Equal(hex, Hex(Encode((ref KeyWriter w) => w.Write(value, descending))));
    }

    [Fact]
    public void Byte_strings_match_the_documented_examples()
    {
        Assert.Equal("0100FF01FF00", Hex(Encode((ref KeyWriter w) => w.Write(new byte[] { 0x00, 0x01, 0xFF }))));
        Assert.Equal("FDFF00FE00FFFE", Hex(Encode((ref KeyWriter w) => w.Write(new byte[] { 0x00, 0x01, 0xFF }, descending: true))));
        Assert.Equal("00", Hex(Encode((ref KeyWriter w) => w.Write((string?)null))));
        Assert.Equal("FE", Hex(Encode((ref KeyWriter w) => w.Write((byte[]?)null, descending: true))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void String_byte_order_is_code_point_order_and_byte_equality_is_Equals(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomString(random);
            var b = random.Next(3) == 0 ? a + RandomString(random) : RandomString(random);
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => w.Write(a, descending));
            var kb = Encode((ref KeyWriter w) => w.Write(b, descending));
            Assert.True(CompareCodePoints(a, b) * (descending ? -1 : 1) == Memcmp(ka, kb), $"{Escape(a)} vs {Escape(b)}, descending {descending}");
            Assert.Equal(a.Equals(b, StringComparison.Ordinal), ka.AsSpan().SequenceEqual(kb));
            Assert.Equal(a, new KeyReader(ka).ReadString());
        }
    }

    [Fact]
    public void Byte_string_order_is_lexicographic_and_round_trips()
    {
        var random = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            var a = RandomBytes(random);
            var b = random.Next(3) == 0 ? [.. a, .. RandomBytes(random)] : RandomBytes(random);
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => w.Write(a, descending));
            var kb = Encode((ref KeyWriter w) => w.Write(b.AsSpan(), descending));
            Assert.Equal(Math.Sign(a.AsSpan().SequenceCompareTo(b)) * (descending ? -1 : 1), Memcmp(ka, kb));
            Assert.Equal(a.AsSpan().SequenceEqual(b), ka.AsSpan().SequenceEqual(kb));
            Assert.Equal(a, new KeyReader(ka).ReadBytes());
        }
    }

    [Fact]
    public void Order_is_code_point_order_not_CompareOrdinal_order()
    {
        // UTF-16 ordinal puts U+1F600 (D83D DE00) before U+E000; UTF-8 bytes and code points put it after.
        const string privateUse = "\uE000";
        const string emoji = "\U0001F600";
        Assert.True(string.CompareOrdinal(emoji, privateUse) < 0);
        Assert.True(Memcmp(Encode((ref KeyWriter w) => w.Write(privateUse)), Encode((ref KeyWriter w) => w.Write(emoji))) < 0);
        Assert.True(Memcmp(Encode((ref KeyWriter w) => w.Write("\uFFFF")), Encode((ref KeyWriter w) => w.Write("\U00010000"))) < 0);
    }

    [Fact]
    public void Edge_strings_round_trip_including_long_ones_with_many_zeros()
    {
        string[] edges =
        [
            "", "\0", "\0\0\0", "a\0", "\0a", "\uFFFF", "\U0010FFFF", "\U0001F600\0\uFFFF", new string('\0', 1000),
            new string('x', 3000), string.Concat(Enumerable.Repeat("a\0\U0001F600", 300)),
        ];
        foreach (var value in edges)
        {
            foreach (var descending in new[] { false, true })
            {
                var key = Encode((ref KeyWriter w) =>
                {
                    w.Write(7);
                    w.Write(value, descending);
                    w.WriteNull(descending: !descending);
                });
                var reader = new KeyReader(key);
                Assert.Equal(7, reader.ReadInt32());
                Assert.Equal(value, reader.ReadString());
                Assert.True(reader.TryReadNull());
                Assert.True(reader.End);
                Assert.Equal(
                    1 + 1 + Encoding.UTF8.GetByteCount(value) + value.Count(c => c == '\0') + (descending ? 2 : 1) + 1 + 1,
                    key.Length);
            }
        }
    }

    [Fact]
    public void Lone_surrogates_are_rejected_and_leave_the_key_unchanged()
    {
        // Not theory data: xunit serialises test case arguments and would turn lone surrogates into U+FFFD.
        (string Value, int Index)[] cases = [("\uD800", 0), ("a\uDC00b", 1), ("ab\uDBFF", 2), ("\uDC00\uD800", 0), ("\U0001F600\uD83D", 2)];
        foreach (var (value, index) in cases)
        {
            AssertLoneSurrogateRejected(value, index);
        }
    }

    private static void AssertLoneSurrogateRejected(string value, int index)
    {
        foreach (var prefix in new[] { false, true })
        {
            var writer = new KeyWriter(16);
            try
            {
                writer.Write(42);
                var before = writer.Length;
                ArgumentException? error = null;
                try
                {
                    if (prefix)
                    {
                        writer.WriteStringPrefix(value);
                    }
                    else
                    {
                        writer.Write(value, descending: true);
                    }
                }
                catch (ArgumentException e)
                {
                    error = e;
                }

                Assert.NotNull(error);
                Assert.Contains("lone surrogate", error.Message, StringComparison.Ordinal);
                Assert.Contains($"index {index}", error.Message, StringComparison.Ordinal);
                Assert.Equal(before, writer.Length);
            }
            finally
            {
                writer.Dispose();
            }
        }
    }

    [Fact]
    public void Invalid_UTF8_and_broken_escapes_in_keys_are_rejected()
    {
        string[] malformed =
        [
            "02EDA08000", // an encoded surrogate
            "02C0AF00", // overlong '/'
            "02FF00", // 0xFF is never UTF-8
            "0261", // no terminator
            "026100FF", // escaped zero, then no terminator
            "FC9EFF", // descending, ends inside the terminator
            "FC9EFF01FFFE", // descending, 0xFF followed by neither 0x00 nor 0xFE
            "FC9E", // descending, no terminator
        ];
        foreach (var hex in malformed)
        {
            var error = Assert.Throws<LsmKeyFormatException>(() => new KeyReader(Convert.FromHexString(hex)).ReadString());
            Assert.Equal(0, error.Offset);
        }
    }

    private static string Escape(string value) => string.Concat(value.Select(c => $"\\u{(int)c:X4}"));
}
