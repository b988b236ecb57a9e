using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Damaged input must end in <see cref="MessagePackFormatException"/> or in a successful read; never in another
/// exception type, a crash or a hang. Every truncation of every corpus item must fail, because MessagePack values are
/// self-delimiting: no strict prefix of a value is itself a whole value. The walk reads as the provider does (the
/// package's reader, the typed reads of <see cref="RowValueCodec"/>, the strict checks of <see cref="StrictMessagePack"/>),
/// and translates the package's exceptions where the provider does (the catalog decoders wrap their whole walk the same way).
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
                MessagePackAssert.ThrowsFormat(prefix, (ref r) => r.SkipValue());
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
                using var reader = new RowReader(garbage);
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
        try
        {
            while (!reader.End)
            {
                WalkValue(ref reader);
            }
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            throw MessagePackFormatException.FromPackage(e, reader.Sequence, reader.Consumed, "a value");
        }

        return (int)reader.Consumed;
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
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Nil:
                    Assert.Null(RowValueCodec.Read<int?>(ref reader));
                    break;
                case MessagePackType.Boolean:
                    RowValueCodec.Read<bool>(ref reader);
                    break;
                case MessagePackType.Integer:
                    var beforeInteger = reader;
                    try
                    {
                        RowValueCodec.Read<long>(ref reader);
                    }
                    catch (MessagePackFormatException)
                    {
                        // Above Int64 it must still be a valid UInt64.
                        reader = beforeInteger;
                        RowValueCodec.Read<ulong>(ref reader);
                    }

                    break;
                case MessagePackType.Float:
                    RowValueCodec.Read<double>(ref reader);
                    break;
                case MessagePackType.String:
                    RowValueCodec.Read<string>(ref reader);
                    break;
                case MessagePackType.Binary:
                    RowValueCodec.Read<byte[]>(ref reader);
                    break;
                case MessagePackType.Array:
                    pending.Push(reader.ReadArrayHeader());
                    break;
                case MessagePackType.Map:
                    pending.Push(2L * reader.ReadMapHeader());
                    break;
                case MessagePackType.Extension:
                    // Read each extension with the reader its type code calls for, as a row reader would.
                    var peek = reader.CreatePeekReader();
                    MessagePackReaderTests.ReadProviderExtension(ref reader, peek.ReadExtensionFormatHeader().TypeCode);
                    break;
                default:
                    // 0xc1: the package refuses it.
                    reader.SkipValue();
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
        using var reader = new RowReader(row);
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

        // One document holding every format family and width.
        corpus.Add(MessagePackAssert.Encode((ref w) =>
        {
            w.WriteMapHeader(3);
            w.WriteStrictString("ints");
            long[] ints = [0, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, long.MaxValue, -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, long.MinValue];
            w.WriteArrayHeader(ints.Length + 1);
            foreach (var i in ints)
            {
                RowValueCodec.Write(ref w, i);
            }

            RowValueCodec.Write(ref w, ulong.MaxValue);
            w.WriteStrictString("misc");
            w.WriteArrayHeader(16);
            w.WriteNil();
            RowValueCodec.Write(ref w, true);
            RowValueCodec.Write(ref w, false);
            RowValueCodec.Write(ref w, 0.5);
            RowValueCodec.Write(ref w, 0.1);
            RowValueCodec.Write(ref w, "");
            RowValueCodec.Write(ref w, new string('s', 40));
            RowValueCodec.Write(ref w, new string('t', 300));
            RowValueCodec.Write(ref w, Array.Empty<byte>());
            RowValueCodec.Write(ref w, new byte[300]);
            WriteExtension(ref w, 9, [1]);
            WriteExtension(ref w, 9, new byte[3]);
            WriteExtension(ref w, -5, new byte[300]);
            w.Write(DateTime.UnixEpoch.AddSeconds(1)); // the spec's timestamp, 32-bit form
            w.Write(DateTime.UnixEpoch.AddSeconds(1).AddTicks(1)); // 64-bit
            w.Write(DateTime.UnixEpoch.AddSeconds(-1).AddTicks(1)); // 96-bit
            w.WriteStrictString("nested");
            w.WriteArrayHeader(17);
            for (var i = 0; i < 16; i++)
            {
                w.WriteMapHeader(1);
                RowValueCodec.Write(ref w, (long)i);
                w.WriteArrayHeader(0);
            }

            w.WriteMapHeader(16);
            for (var i = 0; i < 16; i++)
            {
                w.WriteStrictString(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteNil();
            }
        }));

        corpus.Add(MessagePackAssert.Encode((ref w) =>
        {
            w.WriteArrayHeader(7);
            RowValueCodec.Write(ref w, decimal.MinValue);
            RowValueCodec.Write(ref w, DateTime.MaxValue);
            RowValueCodec.Write(ref w, DateTimeOffset.MinValue);
            RowValueCodec.Write(ref w, DateOnly.MaxValue);
            RowValueCodec.Write(ref w, TimeOnly.MaxValue);
            RowValueCodec.Write(ref w, TimeSpan.MinValue);
            RowValueCodec.Write(ref w, Guid.Empty);
        }));
        return corpus;
    }

    private static void WriteExtension(ref MessagePackWriter writer, sbyte typeCode, byte[] data)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(typeCode, data.Length));
        writer.WriteRaw(data);
    }
}
