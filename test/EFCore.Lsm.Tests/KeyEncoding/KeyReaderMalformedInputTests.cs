using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.CompositeKeyTests;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

/// <summary>Whatever the bytes, the reader either decodes or throws <see cref="LsmKeyFormatException"/>; nothing else.</summary>
public class KeyReaderMalformedInputTests
{
    private delegate void Read(ref KeyReader reader);

    private static readonly Read[] Reads =
    [
        (ref KeyReader r) => r.ReadInt64(), (ref KeyReader r) => r.ReadUInt64(), (ref KeyReader r) => r.ReadInt32(),
        (ref KeyReader r) => r.ReadUInt32(), (ref KeyReader r) => r.ReadInt16(), (ref KeyReader r) => r.ReadUInt16(),
        (ref KeyReader r) => r.ReadSByte(), (ref KeyReader r) => r.ReadByte(), (ref KeyReader r) => r.ReadChar(),
        (ref KeyReader r) => r.ReadEnum<DayOfWeek>(), (ref KeyReader r) => r.ReadBoolean(), (ref KeyReader r) => r.ReadGuid(),
        (ref KeyReader r) => r.ReadString(), (ref KeyReader r) => r.ReadBytes(), (ref KeyReader r) => r.ReadDouble(),
        (ref KeyReader r) => r.ReadSingle(), (ref KeyReader r) => r.ReadDecimal(), (ref KeyReader r) => r.ReadDateTime(),
        (ref KeyReader r) => r.ReadDateTimeOffset(), (ref KeyReader r) => r.ReadDateOnly(), (ref KeyReader r) => r.ReadTimeOnly(),
        (ref KeyReader r) => r.ReadTimeSpan(), (ref KeyReader r) => r.SkipPart(), (ref KeyReader r) => r.TryReadNull(),
        (ref KeyReader r) => r.PeekKind(out _),
    ];

    [Fact]
    public void Random_bytes_decode_or_raise_the_typed_error()
    {
        var random = new Random(1);
        var failures = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = RandomKeyLikeBytes(random);
            var read = Reads[random.Next(Reads.Length)];
            if (!SucceedsOrThrowsFormat(() =>
            {
                var reader = new KeyReader(bytes);
                read(ref reader);
            }))
            {
                failures++;
            }

            SucceedsOrThrowsFormat(() => DecodeByPeekedKind(bytes));
        }

        Assert.True(failures > 1_000, "the generator should produce mostly malformed input");
    }

    [Fact]
    public void Truncated_and_damaged_keys_decode_or_raise_the_typed_error()
    {
        var random = new Random(2);
        for (var i = 0; i < 2_000; i++)
        {
            var schema = RandomSchema(random);
            var key = EncodeRow(schema, RandomRow(random, schema));
            for (var length = 0; length < key.Length; length++)
            {
                // Only a last ascending (byte) string can lose bytes and stay a valid key: "a\0" 02 61 00 FF 00 cut to 02 61 00 is "a".
                var truncated = key[..length];
                var last = schema[^1];
                var canStayValid = last is { Descending: false, Type: ColumnType.String or ColumnType.Bytes } && length > 0 && truncated[^1] == 0;
                Assert.True(
                    !SucceedsOrThrowsFormat(() => DecodeWithSchema(truncated, schema)) || canStayValid,
                    $"{Hex(truncated)} (cut from {Hex(key)}) decoded");
            }

            var damaged = key.ToArray();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            SucceedsOrThrowsFormat(() => DecodeWithSchema(damaged, schema));
            SucceedsOrThrowsFormat(() => DecodeByPeekedKind(damaged));
        }
    }

    [Fact]
    public void Errors_name_the_offset_and_what_was_expected()
    {
        var key = Encode((ref KeyWriter w) =>
        {
            w.Write(5);
            w.Write("x");
        });
        var error = Assert.Throws<LsmKeyFormatException>(() =>
        {
            var reader = new KeyReader(key);
            reader.ReadInt32();
            reader.ReadGuid();
        });
        Assert.Equal(2, error.Offset);
        Assert.Contains("expected a Guid part, found a String part", error.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<LsmKeyFormatException>(() => new KeyReader([0x40]).SkipPart());
        Assert.Contains("0x40 is not a key part type code", unknown.Message, StringComparison.Ordinal);
        var end = Assert.Throws<LsmKeyFormatException>(() => new KeyReader([]).ReadInt64());
        Assert.Contains("end of the key", end.Message, StringComparison.Ordinal);
        var shortGuid = Assert.Throws<LsmKeyFormatException>(() => new KeyReader([0x30, 1, 2]).ReadGuid());
        Assert.Contains("needs 16 bytes", shortGuid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_read_leaves_the_position_at_the_part()
    {
        var key = Encode((ref KeyWriter w) => w.Write(300));
        var reader = new KeyReader(key);
        try
        {
            reader.ReadByte();
        }
        catch (LsmKeyFormatException)
        {
        }

        Assert.Equal(0, reader.Position);
        Assert.Equal(300, reader.ReadInt32());
    }

    private static void DecodeWithSchema(byte[] key, Column[] schema)
    {
        var reader = new KeyReader(key);
        foreach (var column in schema)
        {
            ReadValue(ref reader, column);
        }
    }

    private static void DecodeByPeekedKind(byte[] key)
    {
        var reader = new KeyReader(key);
        while (!reader.End)
        {
            switch (reader.PeekKind(out _))
            {
                case KeyPartKind.Integer:
                    reader.ReadInt64();
                    break;
                case KeyPartKind.String:
                    reader.ReadString();
                    break;
                case KeyPartKind.Decimal:
                    reader.ReadDecimal();
                    break;
                default:
                    reader.SkipPart();
                    break;
            }
        }
    }

    private static readonly byte[] Interesting =
    [
        0x00, 0x01, 0x02, 0x0C, 0x13, 0x14, 0x15, 0x1C, 0x21, 0x22, 0x23, 0x24, 0x26, 0x27, 0x30, 0xFF, 0xFE, 0xFD, 0xFC, 0xEA,
        0xE2, 0xF2, 0xDD, 0xDC, 0xDB, 0xDA, 0xCE, 0x80, 0x7F, 0xC7, 0xC6, 0x03, 0x1D, 0x40, 0xED, 0xA0, 0xC0,
    ];

    private static byte[] RandomKeyLikeBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 24)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = random.Next(3) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)];
        }

        return bytes;
    }
}
