using System.Text;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

public sealed class RowEncodingTests
{
    public enum Color
    {
        Red = -1,
        Green = int.MaxValue,
    }

    public enum Small : byte
    {
        Max = byte.MaxValue,
    }

    public enum Huge : ulong
    {
        Max = ulong.MaxValue,
    }

    public enum Negative : long
    {
        Min = long.MinValue,
    }

    [Fact]
    public void Integers_of_every_width_round_trip_at_their_limits()
    {
        RoundTrip(sbyte.MinValue, sbyte.MaxValue, (sbyte)0);
        RoundTrip(byte.MinValue, byte.MaxValue);
        RoundTrip(short.MinValue, short.MaxValue);
        RoundTrip(ushort.MinValue, ushort.MaxValue);
        RoundTrip(int.MinValue, int.MaxValue, 0, -1);
        RoundTrip(uint.MinValue, uint.MaxValue);
        RoundTrip(long.MinValue, long.MaxValue, 0L);
        RoundTrip(ulong.MinValue, ulong.MaxValue);
        RoundTrip(true, false);
        RoundTrip('\0', 'a', '\uD800', '\uDFFF', '\uFFFF');
    }

    [Fact]
    public void Enums_round_trip_as_their_underlying_integer()
    {
        RoundTrip(Color.Red, Color.Green, (Color)12345);
        RoundTrip(Small.Max, (Small)0);
        RoundTrip(Huge.Max, (Huge)0);
        RoundTrip(Negative.Min);

        // Stored as plain integers, so a reader that knows only the integer type sees the same value.
        var row = WriteRow((ref RowWriter w) => w.WriteValue(1, Color.Green));
        Assert.True(new RowReader(row).TryReadValue(1, out int asInt));
        Assert.Equal(int.MaxValue, asInt);
        Assert.Equal("8101CE7FFFFFFF", Convert.ToHexString(row));
    }

    [Fact]
    public void Floating_point_round_trips_bit_for_bit()
    {
        RoundTrip(
            Bits,
            double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(0x7ff0_0000_0000_0001), 0.0, -0.0, double.PositiveInfinity,
            double.NegativeInfinity, double.Epsilon, double.MaxValue, double.MinValue, 0.1, 1e-310);
        RoundTrip(
            (a, b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b),
            float.NaN, BitConverter.Int32BitsToSingle(0x7f80_0001), 0f, -0f, float.PositiveInfinity, float.NegativeInfinity,
            float.Epsilon, float.MaxValue, float.MinValue, 0.1f);
    }

    [Fact]
    public void Decimals_keep_their_scale_and_sign()
    {
        static bool Same(decimal a, decimal b) => decimal.GetBits(a).SequenceEqual(decimal.GetBits(b));
        var negativeZero = decimal.Negate(0m);
        RoundTrip(
            Same, 0m, negativeZero, 1.0m, 1.00m, -1.000m, decimal.MaxValue, decimal.MinValue, decimal.One, decimal.MinusOne,
            0.0000000000000000000000000001m, -7.9228162514264337593543950335m, new decimal(0, 0, 0, false, 28),
            12345.6789m, new decimal(int.MinValue, int.MinValue, int.MinValue, true, 17));

        Assert.Equal("8101D5010101", Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, 0.1m))));
        Assert.Equal("8101D40180", Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, negativeZero))));

        var random = new Random(5);
        for (var i = 0; i < 5000; i++)
        {
            var value = new decimal(random.Next(int.MinValue, int.MaxValue) >> random.Next(32), random.Next() >> random.Next(32),
                random.Next() >> random.Next(32), random.Next(2) == 0, (byte)random.Next(29));
            RoundTrip(Same, value);
        }
    }

    [Fact]
    public void Strings_and_binaries_round_trip_including_empty_null_and_32_bit_lengths()
    {
        var longText = string.Concat(Enumerable.Repeat("é€🍺x", 10_000)); // 100,000 UTF-8 bytes: str32
        RoundTrip(string.Equals, "", "a", "Кириллица", "🍺", longText, null);
        var longBinary = new byte[70_000];
        new Random(3).NextBytes(longBinary);
        RoundTrip((a, b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b), [], [0], longBinary, null);

        Assert.Equal((byte)0xdb, WriteRow((ref RowWriter w) => w.WriteValue(1, longText))[2]);
        Assert.Equal((byte)0xc6, WriteRow((ref RowWriter w) => w.WriteValue(1, longBinary))[2]);
    }

    [Fact]
    public void Dates_times_and_guids_round_trip_exactly()
    {
        RoundTrip(
            (a, b) => a.Ticks == b.Ticks && a.Kind == b.Kind,
            DateTime.MinValue, DateTime.MaxValue, new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Utc).AddTicks(7),
            new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Local), new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Unspecified),
            new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Local));
        RoundTrip(
            (a, b) => a.Ticks == b.Ticks && a.Offset == b.Offset,
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.FromHours(-14)),
            new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(9_999_999),
            new DateTimeOffset(2024, 6, 1, 12, 0, 0, new TimeSpan(5, 45, 0)).AddTicks(1),
            new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        RoundTrip(DateOnly.MinValue, DateOnly.MaxValue, new DateOnly(2000, 2, 29));
        RoundTrip(TimeOnly.MinValue, TimeOnly.MaxValue, new TimeOnly(12, 30, 15, 123, 456));
        RoundTrip(TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.Zero, TimeSpan.FromTicks(-1));
        RoundTrip(Guid.Empty, Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), Guid.NewGuid(), Guid.CreateVersion7(),
            new Guid(Enumerable.Repeat((byte)0xff, 16).ToArray()));

        // Guids are stored in RFC (big-endian) byte order.
        Assert.Equal(
            "8101D80700112233445566778899AABBCCDDEEFF",
            Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")))));
    }

    [Fact]
    public void Nullable_values_round_trip_as_nil_or_their_value()
    {
        RoundTripNullable<int>(null, 5, int.MinValue);
        RoundTripNullable<long>(null, long.MaxValue);
        RoundTripNullable<double>(null, -0.0);
        RoundTripNullable<decimal>(null, 1.00m);
        RoundTripNullable<Guid>(null, Guid.NewGuid());
        RoundTripNullable<DateTimeOffset>(null, DateTimeOffset.MaxValue);
        RoundTripNullable<Color>(null, Color.Red);
        RoundTripNullable<Huge>(null, Huge.Max);
        RoundTripNullable<bool>(null, false);
        RoundTripNullable<char>(null, 'z');

        var row = WriteRow((ref RowWriter w) => w.WriteValue<int>(1, null));
        Assert.Equal("8101C0", Convert.ToHexString(row));
        using var reader = new RowReader(row);
        Assert.True(reader.TryFind(1));
        Assert.True(reader.IsNull);
        MessagePackAssert.ThrowsFormat(reader.ValueReader, (ref r) => RowValueCodec.Read<int>(ref r));
    }

    [Fact]
    public void Unsupported_types_are_refused_by_name()
    {
        Assert.False(RowValueCodec.IsSupported(typeof(object)));
        Assert.False(RowValueCodec.IsSupported(typeof(Uri)));
        Assert.True(RowValueCodec.IsSupported(typeof(Color?)));
        Assert.True(RowValueCodec.IsSupported(typeof(byte[])));
        var error = Assert.Throws<NotSupportedException>(() => MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, new Uri("http://x"))));
        Assert.Contains("System.Uri", error.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, (Half?)Half.One)));
    }

    [Fact]
    public void Random_rows_match_a_model_by_enumeration_and_by_lookup_in_any_order()
    {
        var random = new Random(2024);
        using var buffer = new PooledByteBufferWriter();
        for (var round = 0; round < 400; round++)
        {
            var count = random.Next(0, round % 50 == 0 ? 300 : 20);
            var ids = new SortedSet<uint>();
            while (ids.Count < count)
            {
                ids.Add(random.Next(3) switch
                {
                    0 => (uint)random.Next(16),
                    1 => (uint)random.Next(70_000),
                    _ => (uint)random.NextInt64(uint.MaxValue + 1L),
                });
            }

            var model = ids.ToDictionary(id => id, _ => RandomValue(random));
            buffer.Reset();
            var writer = new RowWriter(buffer, model.Count);
            foreach (var (id, value) in model)
            {
                WriteBoxed(ref writer, id, value);
            }

            writer.Complete();

            var reader = new RowReader(buffer.WrittenSpan);
            Assert.Equal(model.Count, reader.PropertyCount);
            var seen = 0;
            while (reader.MoveNext())
            {
                AssertBoxed(ref reader, model[reader.PropertyId]);
                seen++;
            }

            Assert.Equal(model.Count, seen);

            // Lookups in random order, mixed with ids the row does not have.
            var probes = model.Keys.Concat(Enumerable.Range(0, 10).Select(_ => (uint)random.NextInt64(uint.MaxValue + 1L)))
                .OrderBy(_ => random.Next()).ToList();
            foreach (var id in probes)
            {
                var found = reader.TryFind(id);
                Assert.Equal(model.ContainsKey(id), found);
                if (found)
                {
                    Assert.Equal(id, reader.PropertyId);
                    AssertBoxed(ref reader, model[id]);
                }
            }
        }
    }

    [Fact]
    public void The_documented_examples_are_byte_exact()
    {
        // docs/row_encoding.md, "Example" and the extension sections.
        var row = WriteRow(
            (ref RowWriter w) =>
            {
                w.WriteValue(1, "Ada");
                w.WriteValue(3, 9.99m);
                w.WriteValue<string?>(4, null);
            },
            3);
        Assert.Equal("8301A341646103C7030102" + "03E704C0", Convert.ToHexString(row));
        Assert.Equal("8101D501010A", Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, 1.0m))));
        Assert.Equal("8101D5010264", Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, 1.00m))));
        Assert.Equal(
            "8101D703" + "0000000000000000",
            Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, DateTime.MinValue))));
        Assert.Equal(
            "8101D703" + "ABCA2875F4373FFF",
            Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Local)))));
        Assert.Equal(
            "8101C70A02" + "000000C92A69C000" + "FE5C",
            Convert.ToHexString(WriteRow((ref RowWriter w) => w.WriteValue(1, new DateTimeOffset(TimeSpan.TicksPerHour * 17, TimeSpan.FromMinutes(-420))))));
    }

    [Fact]
    public void Old_rows_read_under_a_new_schema_skip_dropped_ids_and_miss_added_ones()
    {
        // Version A of the entity: 1 Name, 2 Legacy (dropped later), 3 Price, 5 Tags.
        var row = WriteRow(
            (ref RowWriter w) =>
            {
                w.WriteValue(1, "Ada");
                w.WriteValue(2, new byte[] { 1, 2, 3 });
                w.WriteValue(3, 9.99m);
                w.WriteValue(5, "x");
            },
            4);

        // Version B knows 1 Name, 3 Price, 4 Stock (new), 6 Created (new), in ascending order.
        using var reader = new RowReader(row);
        Assert.True(reader.TryReadValue(1, out string? name));
        Assert.Equal("Ada", name);
        Assert.True(reader.TryReadValue(3, out decimal price));
        Assert.Equal(9.99m, price);
        Assert.False(reader.TryReadValue(4, out int _));
        Assert.False(reader.TryReadValue(6, out DateTime _));
        Assert.True(reader.TryReadValue(1, out name)); // going back restarts the scan
        Assert.Equal("Ada", name);
    }

    [Fact]
    public void Row_of_70000_properties_uses_map32_and_round_trips()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, 70_000);
        for (uint id = 0; id < 70_000; id++)
        {
            writer.WriteValue(id, (long)id * -3);
        }

        writer.Complete();
        Assert.Equal((byte)0xdf, buffer.WrittenSpan[0]);
        using var reader = new RowReader(buffer.WrittenSpan);
        Assert.True(reader.TryReadValue(69_999, out long last));
        Assert.Equal(-209_997, last);
        reader.Reset();
        uint expected = 0;
        while (reader.MoveNext())
        {
            Assert.Equal(expected, reader.PropertyId);
            Assert.Equal((long)expected * -3, reader.ReadValue<long>());
            expected++;
        }

        Assert.Equal(70_000u, expected);
    }

    [Fact]
    public void Row_writer_refuses_misordered_duplicate_and_miscounted_properties()
    {
        using var buffer = new PooledByteBufferWriter();
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new RowWriter(buffer, 2);
            w.WriteValue(5, 1);
            w.WriteValue(4, 1);
        });
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new RowWriter(buffer, 2);
            w.WriteValue(5, 1);
            w.WriteNull(5);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new RowWriter(buffer, 1);
            w.WriteValue(1, 1);
            w.WriteValue(2, 1);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new RowWriter(buffer, 2);
            w.WriteValue(1, 1);
            w.Complete();
        });
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new RowWriter(buffer, 1);
            w.WriteRawValue(1, [0x01, 0x02]);
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RowWriter(buffer, -1));
    }

    [Fact]
    public void Lookups_after_the_end_of_the_row_find_earlier_ids_again()
    {
        var row = WriteRow(
            (ref RowWriter w) =>
            {
                w.WriteValue(2, "two");
                w.WriteValue(5, 5.5m);
            },
            2);
        using var reader = new RowReader(row);
        while (reader.MoveNext())
        {
        }

        Assert.True(reader.TryFind(5));
        Assert.Equal(5.5m, reader.ReadValue<decimal>());
        Assert.Equal("D5010137", Convert.ToHexString(reader.RawValue));
        Assert.True(reader.TryFind(2));
        Assert.Equal("two", reader.ReadValue<string>());
        Assert.False(reader.TryFind(3));
        Assert.True(reader.TryFind(5));
        Assert.Equal(5.5m, reader.ReadValue<decimal>());
        Assert.False(reader.TryFind(6));
    }

    [Fact]
    public void Raw_values_copy_between_rows()
    {
        var source = WriteRow((ref RowWriter w) => w.WriteValue(7, 1.25m));
        using var reader = new RowReader(source);
        Assert.True(reader.TryFind(7));
        var raw = reader.RawValue.ToArray();
        var copy = WriteRow((ref RowWriter w) => w.WriteRawValue(9, raw));
        Assert.True(new RowReader(copy).TryReadValue(9, out decimal value));
        Assert.Equal("1.25", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("9101", 0, "not fixarray")]
    [InlineData("C1", 0, "unknown")]
    [InlineData("8205010001", 3, "ascend, but 0 follows 5")]
    [InlineData("82050105C0", 3, "ascend, but 5 follows 5")]
    [InlineData("8101C0C0", 3, "1 bytes follow")]
    [InlineData("81A161C0", 1, "expected a property id (UInt32) but found fixstr (0xa1)")]
    [InlineData("81FFC0", 1, "does not fit in a property id (UInt32)")]
    [InlineData("8201C0", 0, "announces more bytes or items than the buffer holds")]
    [InlineData("8101CD00", 2, "truncated")]
    [InlineData("8101", 0, "announces more bytes or items than the buffer holds")]
    [InlineData("8101DD80000000", 2, "announces more bytes or items than the buffer holds")]
    [InlineData("8101DBFFFFFFFF", 2, "announces more bytes or items than the buffer holds")]
    [InlineData("8101C1", 2, "0xc1 is never used")]
    public void Malformed_rows_are_refused_with_the_offset(string hex, int offset, string reason)
    {
        var row = Convert.FromHexString(hex);
        var error = Assert.Throws<MessagePackFormatException>(() =>
        {
            using var reader = new RowReader(row);
            while (reader.MoveNext())
            {
            }
        });
        Assert.Equal(offset, error.Offset);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_value_as_the_wrong_type_is_refused()
    {
        var row = WriteRow((ref RowWriter w) => w.WriteValue(1, "text"));
        using var reader = new RowReader(row);
        Assert.True(reader.TryFind(1));
        var error = MessagePackAssert.ThrowsFormat(reader.ValueReader, (ref r) => RowValueCodec.Read<Guid>(ref r));
        Assert.Equal(2, error.Offset);
        MessagePackAssert.ThrowsFormat(reader.ValueReader, (ref r) => RowValueCodec.Read<int>(ref r));
        MessagePackAssert.ThrowsFormat(reader.ValueReader, (ref r) => RowValueCodec.Read<byte[]>(ref r));
    }

    [Fact]
    public void Writing_and_reading_an_int_long_double_row_in_a_reused_buffer_allocates_nothing()
    {
        using var buffer = new PooledByteBufferWriter();
        var checksum = 0.0;

        void Cycle(int i)
        {
            buffer.Reset();
            var writer = new RowWriter(buffer, 6);
            writer.WriteValue(1, i);
            writer.WriteValue(2, (long)i << 20);
            writer.WriteValue(3, i * 0.37);
            writer.WriteValue<int>(4, i % 2 == 0 ? null : i);
            writer.WriteValue(5, (double?)i);
            writer.WriteNull(9);
            writer.Complete();

            using var reader = new RowReader(buffer.WrittenSpan);
            while (reader.MoveNext())
            {
                checksum += reader.PropertyId switch
                {
                    1 => reader.ReadValue<int>(),
                    2 => reader.ReadValue<long>(),
                    3 or 5 => reader.ReadValue<double>(),
                    4 => reader.ReadValue<int?>() ?? 0,
                    _ => reader.IsNull ? 0 : 1,
                };
            }

            reader.TryReadValue(3, out double direct);
            checksum += direct;
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle(i); // JIT tiering, static initialisers, buffer growth
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            Cycle(i);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(checksum > 0);

        // 10,000 rows: one allocation per row would be 240 KB or more; allow only runtime noise.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated");
    }

    private static bool Bits(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    private delegate void RowAction(ref RowWriter writer);

    private static byte[] WriteRow(RowAction write, int count = 1)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, count);
        write(ref writer);
        writer.Complete();
        return buffer.ToArray();
    }

    private static void RoundTrip<T>(params T[] values) => RoundTrip(EqualityComparer<T>.Default.Equals, values);

    private static void RoundTrip<T>(Func<T, T, bool> equal, params T[] values)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            writer.WriteValue((uint)(i * 3), values[i]);
        }

        writer.Complete();

        using var reader = new RowReader(buffer.WrittenSpan);
        for (var i = values.Length - 1; i >= 0; i--)
        {
            Assert.True(reader.TryFind((uint)(i * 3)));
            var read = reader.ReadValue<T>();
            Assert.True(equal(values[i], read), $"{typeof(T).Name}: wrote {values[i]}, read {read}");
        }
    }

    private static void RoundTripNullable<T>(params T?[] values)
        where T : struct
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            writer.WriteValue((uint)i, values[i]);
        }

        writer.Complete();

        using var reader = new RowReader(buffer.WrittenSpan);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(reader.TryFind((uint)i));
            Assert.Equal(values[i], reader.ReadValue<T?>());
            Assert.Equal(values[i] is null, reader.IsNull);
        }

        // The generic entry point with T = Nullable<X> writes the same bytes as the Nullable overload.
        using var generic = new PooledByteBufferWriter();
        var genericWriter = new RowWriter(generic, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            WriteGeneric(ref genericWriter, (uint)i, values[i]);
        }

        genericWriter.Complete();
        Assert.Equal(buffer.WrittenSpan.ToArray(), generic.WrittenSpan.ToArray());
    }

    private static void WriteGeneric<TAny>(ref RowWriter writer, uint id, TAny value) => writer.WriteValue(id, value);

    private static object? RandomValue(Random random) => random.Next(16) switch
    {
        0 => null,
        1 => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64),
        2 => BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
        3 => random.Next(2) == 0,
        4 => RandomString(random),
        5 => RandomBytes(random),
        6 => new decimal(random.Next(), random.Next(), random.Next(), random.Next(2) == 0, (byte)random.Next(29)),
        7 => new Guid(RandomBytes(random, 16)),
        8 => new DateTime(random.NextInt64(DateTime.MaxValue.Ticks), (DateTimeKind)random.Next(3)),
        9 => new DateTimeOffset(random.NextInt64(TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay),
            TimeSpan.FromMinutes(random.Next(-840, 841))),
        10 => DateOnly.FromDayNumber(random.Next(DateOnly.MaxValue.DayNumber + 1)),
        11 => new TimeOnly(random.NextInt64(TimeOnly.MaxValue.Ticks + 1)),
        12 => TimeSpan.FromTicks(random.NextInt64(long.MinValue, long.MaxValue)),
        13 => (char)random.Next(65536),
        14 => (ulong)random.NextInt64(long.MinValue, long.MaxValue),
        _ => BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)),
    };

    private static string RandomString(Random random)
    {
        var builder = new StringBuilder();
        var length = random.Next(4) == 0 ? random.Next(300) : random.Next(20);
        while (builder.Length < length)
        {
            var rune = random.Next(4) switch
            {
                0 => new Rune(random.Next(0x20, 0x7f)),
                1 => new Rune(random.Next(0x80, 0x800)),
                2 => new Rune(random.Next(0x800, 0xd800)),
                _ => new Rune(random.Next(0x10000, 0x110000)),
            };
            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    private static byte[] RandomBytes(Random random, int? length = null)
    {
        var bytes = new byte[length ?? random.Next(40)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void WriteBoxed(ref RowWriter writer, uint id, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNull(id); break;
            case long v: writer.WriteValue(id, v); break;
            case double v: writer.WriteValue(id, v); break;
            case bool v: writer.WriteValue(id, v); break;
            case string v: writer.WriteValue(id, v); break;
            case byte[] v: writer.WriteValue(id, v); break;
            case decimal v: writer.WriteValue(id, v); break;
            case Guid v: writer.WriteValue(id, v); break;
            case DateTime v: writer.WriteValue(id, v); break;
            case DateTimeOffset v: writer.WriteValue(id, v); break;
            case DateOnly v: writer.WriteValue(id, v); break;
            case TimeOnly v: writer.WriteValue(id, v); break;
            case TimeSpan v: writer.WriteValue(id, v); break;
            case char v: writer.WriteValue(id, v); break;
            case ulong v: writer.WriteValue(id, v); break;
            case float v: writer.WriteValue(id, v); break;
            default: throw new InvalidOperationException(value.GetType().Name);
        }
    }

    private static void AssertBoxed(ref RowReader reader, object? expected)
    {
        switch (expected)
        {
            case null: Assert.True(reader.IsNull); Assert.Null(reader.ReadValue<string>()); break;
            case long v: Assert.Equal(v, reader.ReadValue<long>()); break;
            case double v: Assert.True(Bits(v, reader.ReadValue<double>())); break;
            case bool v: Assert.Equal(v, reader.ReadValue<bool>()); break;
            case string v: Assert.Equal(v, reader.ReadValue<string>()); break;
            case byte[] v: Assert.Equal(v, reader.ReadValue<byte[]>()); break;
            case decimal v: Assert.Equal(decimal.GetBits(v), decimal.GetBits(reader.ReadValue<decimal>())); break;
            case Guid v: Assert.Equal(v, reader.ReadValue<Guid>()); break;
            case DateTime v:
                var dt = reader.ReadValue<DateTime>();
                Assert.Equal((v.Ticks, v.Kind), (dt.Ticks, dt.Kind));
                break;
            case DateTimeOffset v:
                var dto = reader.ReadValue<DateTimeOffset>();
                Assert.Equal((v.Ticks, v.Offset), (dto.Ticks, dto.Offset));
                break;
            case DateOnly v: Assert.Equal(v, reader.ReadValue<DateOnly>()); break;
            case TimeOnly v: Assert.Equal(v, reader.ReadValue<TimeOnly>()); break;
            case TimeSpan v: Assert.Equal(v, reader.ReadValue<TimeSpan>()); break;
            case char v: Assert.Equal(v, reader.ReadValue<char>()); break;
            case ulong v: Assert.Equal(v, reader.ReadValue<ulong>()); break;
            case float v: Assert.Equal(BitConverter.SingleToInt32Bits(v), BitConverter.SingleToInt32Bits(reader.ReadValue<float>())); break;
            default: throw new InvalidOperationException(expected.GetType().Name);
        }
    }
}
