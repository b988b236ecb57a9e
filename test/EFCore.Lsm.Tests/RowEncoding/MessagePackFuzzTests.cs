using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Damaged input must end in <see cref="MessagePackFormatException"/> or in a successful read; never in another
/// exception type, a crash or a hang. Every truncation of every corpus item must fail, because MessagePack values are
/// self-delimiting: no strict prefix of a value is itself a whole value.
/// </summary>
public sealed class MessagePackFuzzTests
{
    [Fact]
    public void Every_truncation_of_every_corpus_item_is_refused()
    {
        foreach (var item in Corpus())
        {
            Assert.Equal(item.Length, Walk(item));
            for (var length = 0; length < item.Length; length++)
            {
                var prefix = item.AsSpan(0, length).ToArray();
                var error = MessagePackAssert.ThrowsFormat(prefix, (ref r) => WalkValue(ref r));
                Assert.InRange(error.Offset, 0, length);
                MessagePackAssert.ThrowsFormat(prefix, (ref r) => r.Skip());
            }
        }
    }

    [Fact]
    public void Every_truncation_of_a_row_is_refused_by_the_row_reader()
    {
        var row = SampleRow();
        ReadSampleRow(row);
        for (var length = 0; length < row.Length; length++)
        {
            var prefix = row.AsSpan(0, length).ToArray();
            Assert.Throws<MessagePackFormatException>(() => ReadSampleRow(prefix));
        }
    }

    [Fact]
    public void Random_byte_damage_yields_a_value_or_the_typed_exception()
    {
        var random = new Random(31337);
        var corpus = Corpus();
        var refused = 0;
        for (var round = 0; round < 30_000; round++)
        {
            var item = (byte[])corpus[round % corpus.Count].Clone();
            var flips = 1 + random.Next(3);
            for (var f = 0; f < flips; f++)
            {
                var at = random.Next(item.Length);
                item[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)(item[at] ^ (1 << random.Next(8)));
            }

            try
            {
                Walk(item);
            }
            catch (MessagePackFormatException e)
            {
                Assert.InRange(e.Offset, 0, item.Length);
                refused++;
            }
        }

        // Damage must be noticed often (a damaged header nearly always is); zero would mean the walk checks nothing.
        Assert.InRange(refused, 3_000, 30_000);
    }

    [Fact]
    public void Random_byte_damage_to_a_row_yields_values_or_the_typed_exception()
    {
        var random = new Random(4242);
        var row = SampleRow();
        var refused = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var damaged = (byte[])row.Clone();
            damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            try
            {
                ReadSampleRow(damaged);
            }
            catch (MessagePackFormatException)
            {
                refused++;
            }
        }

        Assert.InRange(refused, 1_000, 20_000);
    }

    [Fact]
    public void Random_garbage_yields_a_value_or_the_typed_exception()
    {
        var random = new Random(77);
        for (var round = 0; round < 50_000; round++)
        {
            var garbage = new byte[random.Next(0, 48)];
            random.NextBytes(garbage);
            try
            {
                Walk(garbage);
            }
            catch (MessagePackFormatException)
            {
            }

            try
            {
                var reader = new RowReader(garbage);
                while (reader.MoveNext())
                {
                    _ = reader.RawValue;
                }
            }
            catch (MessagePackFormatException)
            {
            }
        }
    }

    /// <summary>Decodes the whole buffer value by value with the typed readers (not just Skip) and returns the bytes consumed.</summary>
    private static int Walk(byte[] buffer)
    {
        var reader = new MessagePackReader(buffer);
        while (!reader.End)
        {
            WalkValue(ref reader);
        }

        return reader.Position;
    }

    private static void WalkValue(ref MessagePackReader reader)
    {
        // An explicit stack of pending counts keeps deep (damaged) nesting from recursing.
        var pending = new Stack<long>();
        pending.Push(1);
        while (pending.Count > 0)
        {
            var left = pending.Pop();
            if (left == 0)
            {
                continue;
            }

            pending.Push(left - 1);
            switch (reader.PeekType())
            {
                case MessagePackType.Nil:
                    reader.ReadNil();
                    break;
                case MessagePackType.Boolean:
                    reader.ReadBoolean();
                    break;
                case MessagePackType.Integer:
                    var beforeInteger = reader;
                    try
                    {
                        reader.ReadInt64();
                    }
                    catch (MessagePackFormatException)
                    {
                        // Above Int64 it must still be a valid UInt64.
                        reader = beforeInteger;
                        reader.ReadUInt64();
                    }

                    break;
                case MessagePackType.Float:
                    reader.ReadDouble();
                    break;
                case MessagePackType.String:
                    reader.ReadString();
                    break;
                case MessagePackType.Binary:
                    reader.ReadBytes();
                    break;
                case MessagePackType.Array:
                    pending.Push(reader.ReadArrayHeader());
                    break;
                case MessagePackType.Map:
                    pending.Push(2L * reader.ReadMapHeader());
                    break;
                default:
                    // Read each extension with the reader its type code calls for, as a row reader would.
                    var peek = reader;
                    MessagePackReaderTests.ReadProviderExtension(ref reader, peek.ReadExtensionHeader().TypeCode);
                    break;
            }
        }
    }

    private static byte[] SampleRow()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, 16);
        writer.WriteValue(0, 1);
        writer.WriteValue(1, -1234567890123L);
        writer.WriteValue(2, 0.1);
        writer.WriteValue(3, "héllo🍺");
        writer.WriteValue(4, new byte[] { 1, 2, 3 });
        writer.WriteValue(5, 123.4500m);
        writer.WriteValue(6, Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));
        writer.WriteValue(7, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Local));
        writer.WriteValue(8, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-7)));
        writer.WriteValue(9, new DateOnly(2024, 1, 2));
        writer.WriteValue(10, new TimeOnly(3, 4, 5));
        writer.WriteValue(11, TimeSpan.FromDays(-3.5));
        writer.WriteValue(12, 'Ω');
        writer.WriteValue(13, 1.5f);
        writer.WriteValue<int>(14, null);
        writer.WriteValue(200, ulong.MaxValue);
        writer.Complete();
        return buffer.ToArray();
    }

    private static void ReadSampleRow(byte[] row)
    {
        var reader = new RowReader(row);
        while (reader.MoveNext())
        {
            switch (reader.PropertyId)
            {
                case 0: reader.ReadValue<int>(); break;
                case 1: reader.ReadValue<long>(); break;
                case 2: reader.ReadValue<double>(); break;
                case 3: reader.ReadValue<string>(); break;
                case 4: reader.ReadValue<byte[]>(); break;
                case 5: reader.ReadValue<decimal>(); break;
                case 6: reader.ReadValue<Guid>(); break;
                case 7: reader.ReadValue<DateTime>(); break;
                case 8: reader.ReadValue<DateTimeOffset>(); break;
                case 9: reader.ReadValue<DateOnly>(); break;
                case 10: reader.ReadValue<TimeOnly>(); break;
                case 11: reader.ReadValue<TimeSpan>(); break;
                case 12: reader.ReadValue<char>(); break;
                case 13: reader.ReadValue<float>(); break;
                case 14: reader.ReadValue<int?>(); break;
                default: reader.ReadValue<ulong?>(); break;
            }
        }
    }

    private static List<byte[]> Corpus()
    {
        var corpus = new List<byte[]> { SampleRow() };
        using var buffer = new PooledByteBufferWriter();
        var w = new MessagePackWriter(buffer);

        // One document holding every format family and width.
        w.WriteMapHeader(3);
        w.WriteString("ints");
        long[] ints = [0, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, long.MaxValue, -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, long.MinValue];
        w.WriteArrayHeader((uint)ints.Length + 1);
        foreach (var i in ints)
        {
            w.WriteInt64(i);
        }

        w.WriteUInt64(ulong.MaxValue);
        w.WriteString("misc");
        w.WriteArrayHeader(16);
        w.WriteNil();
        w.WriteBoolean(true);
        w.WriteBoolean(false);
        w.WriteDouble(0.5);
        w.WriteDouble(0.1);
        w.WriteString("");
        w.WriteString(new string('s', 40));
        w.WriteString(new string('t', 300));
        w.WriteBinary([]);
        w.WriteBinary(new byte[300]);
        w.WriteExtension(9, [1]);
        w.WriteExtension(9, new byte[3]);
        w.WriteExtension(-5, new byte[300]);
        w.WriteTimestamp(new MessagePackTimestamp(1, 0));
        w.WriteTimestamp(new MessagePackTimestamp(1, 1));
        w.WriteTimestamp(new MessagePackTimestamp(-1, 1));
        w.WriteString("nested");
        w.WriteArrayHeader(17);
        for (var i = 0; i < 16; i++)
        {
            w.WriteMapHeader(1);
            w.WriteInt64(i);
            w.WriteArrayHeader(0);
        }

        w.WriteMapHeader(16);
        for (var i = 0; i < 16; i++)
        {
            w.WriteString(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNil();
        }

        corpus.Add(buffer.ToArray());

        buffer.Reset();
        w.WriteArrayHeader(7);
        w.WriteDecimal(decimal.MinValue);
        w.WriteDateTime(DateTime.MaxValue);
        w.WriteDateTimeOffset(DateTimeOffset.MinValue);
        w.WriteDateOnly(DateOnly.MaxValue);
        w.WriteTimeOnly(TimeOnly.MaxValue);
        w.WriteTimeSpan(TimeSpan.MinValue);
        w.WriteGuid(Guid.Empty);
        corpus.Add(buffer.ToArray());
        return corpus;
    }
}
