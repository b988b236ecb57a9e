using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

/// <summary>Composite keys of 2–4 parts of mixed types and directions against a tuple-order reference.</summary>
public class CompositeKeyTests
{
    internal enum ColumnType
    {
        Integer,
        String,
        Bytes,
        Double,
        Decimal,
        Boolean,
        Guid,
        DateTime,
    }

    internal sealed record Column(ColumnType Type, bool Descending, bool Nullable);

    private static readonly string[] SmallStrings = ["", "a", "a\0", "a\0b", "ab", "b", "\uFFFF", "\U00010000", "\uE000"];
    private static readonly double[] SmallDoubles = [double.NaN, double.NegativeInfinity, -1, -0.0, 0, 0.5, double.PositiveInfinity];
    private static readonly decimal[] SmallDecimals = [-1.5m, -1.50m, 0m, 0.000m, 1.0m, 1.00m, 2m, 100m];
    private static readonly Guid[] SmallGuids = [Guid.Empty, new("00000000-0000-0000-0000-000000000001"), new("ffffffff-0000-0000-0000-000000000000")];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Byte_order_is_tuple_order_and_byte_equality_is_tuple_equality(int seed)
    {
        var random = new Random(seed);
        var comparisons = 0;
        for (var schemaIndex = 0; schemaIndex < 10; schemaIndex++)
        {
            var schema = RandomSchema(random);
            var rows = Enumerable.Range(0, 120).Select(_ => RandomRow(random, schema)).ToArray();
            var keys = rows.Select(row => EncodeRow(schema, row)).ToArray();
            for (var i = 0; i < rows.Length; i++)
            {
                for (var j = i; j < rows.Length; j++)
                {
                    var expected = CompareRows(schema, rows[i], rows[j]);
                    Assert.True(
                        expected == Memcmp(keys[i], keys[j]),
                        $"schema {string.Join(", ", schema)}: {Describe(rows[i])} vs {Describe(rows[j])}: {Hex(keys[i])} vs {Hex(keys[j])}");
                    Assert.Equal(RowsEqual(schema, rows[i], rows[j]), keys[i].AsSpan().SequenceEqual(keys[j]));
                    comparisons++;
                }
            }
        }

        Assert.True(comparisons > 10_000);
    }

    [Fact]
    public void Leading_parts_are_a_byte_prefix_and_every_part_decodes_back()
    {
        var random = new Random(4);
        for (var i = 0; i < 3_000; i++)
        {
            var schema = RandomSchema(random);
            var row = RandomRow(random, schema);
            var key = EncodeRow(schema, row);
            for (var k = 1; k < schema.Length; k++)
            {
                Assert.True(key.AsSpan().StartsWith(EncodeRow(schema[..k], row[..k])));
            }

            var reader = new KeyReader(key);
            for (var c = 0; c < schema.Length; c++)
            {
                var kind = reader.PeekKind(out var descending);
                Assert.Equal(schema[c].Descending, descending);
                if (random.Next(4) == 0)
                {
                    reader.SkipPart();
                    continue;
                }

                var decoded = ReadValue(ref reader, schema[c]);
                Assert.True(ValuesEqual(schema[c], row[c], decoded), $"{Describe(row)} part {c} ({kind}) decoded as {decoded}");
            }

            Assert.True(reader.End);
        }
    }

    [Fact]
    public void Equality_on_a_leading_part_and_a_bound_on_the_next_is_a_byte_range()
    {
        var random = new Random(5);
        var checkedRows = 0;
        for (var round = 0; round < 60; round++)
        {
            var schema = RandomSchema(random);
            var rows = Enumerable.Range(0, 80).Select(_ => RandomRow(random, schema)).ToArray();
            var keys = rows.Select(row => EncodeRow(schema, row)).ToArray();
            var equal = rows[random.Next(rows.Length)][0];
            var bound = RandomValue(random, schema[1]);
            var equalPrefix = EncodeRow(schema[..1], [equal]);
            var atBound = EncodeRow(schema[..2], [equal, bound]);
            var upper = KeyRange.AfterParts(equalPrefix);
            var exclusiveLower = KeyRange.AfterParts(atBound);
            for (var i = 0; i < rows.Length; i++)
            {
                var matchesFirst = CompareValues(schema[0], rows[i][0], equal) == 0;
                var toBound = CompareValues(schema[1], rows[i][1], bound);
                var belowUpper = Memcmp(keys[i], upper) < 0;
                Assert.Equal(matchesFirst && toBound >= 0, Memcmp(keys[i], atBound) >= 0 && belowUpper);
                Assert.Equal(matchesFirst && toBound > 0, Memcmp(keys[i], exclusiveLower) >= 0 && belowUpper);
                var fromFirst = Memcmp(keys[i], equalPrefix) >= 0;
                Assert.Equal(matchesFirst && toBound < 0, fromFirst && Memcmp(keys[i], atBound) < 0);
                Assert.Equal(matchesFirst && toBound <= 0, fromFirst && Memcmp(keys[i], exclusiveLower) < 0);
                Assert.Equal(matchesFirst, fromFirst && belowUpper);
                checkedRows++;
            }
        }

        Assert.True(checkedRows > 4_000);
    }

    [Fact]
    public void An_ascending_string_part_is_not_a_byte_prefix_boundary_so_equality_ranges_use_AfterParts()
    {
        var a = Encode((ref KeyWriter w) => w.Write("a"));
        var aZero = Encode((ref KeyWriter w) =>
        {
            w.Write("a\0");
            w.Write(1);
        });
        var aThen = Encode((ref KeyWriter w) =>
        {
            w.Write("a");
            w.Write(long.MaxValue, descending: true);
        });

        // The trap: key("a\0", 1) starts with the bytes of key("a"), so a byte-prefix successor would admit it.
        Assert.True(aZero.AsSpan().StartsWith(a));
        Assert.True(Memcmp(aZero, KeyRange.PrefixSuccessor(a)!) < 0);

        var upper = KeyRange.AfterParts(a);
        Assert.True(Memcmp(aZero, upper) > 0);
        Assert.True(Memcmp(aThen, upper) < 0);
        Assert.True(Memcmp(a, upper) < 0);
    }

    [Fact]
    public void StartsWith_prefix_bounds_select_exactly_the_matching_rows()
    {
        var random = new Random(6);
        var matches = 0;
        for (var round = 0; round < 400; round++)
        {
            var descending = random.Next(2) == 0;
            Column[] schema = [new(ColumnType.Integer, false, false), new(ColumnType.String, descending, true), RandomColumn(random)];
            var rows = Enumerable.Range(0, 40).Select(_ => RandomRow(random, schema)).ToArray();
            var id = (Int128)random.Next(-1, 2);
            var prefix = random.Next(3) == 0 ? RandomString(random) : SmallStrings[random.Next(SmallStrings.Length)];
            if (random.Next(3) == 0 && rows[0][1] is string existing)
            {
                prefix = existing[..random.Next(existing.Length + 1)];
                if (prefix.Length > 0 && char.IsHighSurrogate(prefix[^1]))
                {
                    prefix = prefix[..^1];
                }
            }

            var lower = Encode((ref KeyWriter w) =>
            {
                WriteInteger(ref w, id);
                w.WriteStringPrefix(prefix, descending);
            });
            var upper = KeyRange.PrefixSuccessor(lower);
            Assert.NotNull(upper);
            foreach (var row in rows)
            {
                var key = EncodeRow(schema, row);
                var expected = (Int128)row[0]! == id && row[1] is string s && s.StartsWith(prefix, StringComparison.Ordinal);
                Assert.Equal(expected, Memcmp(key, lower) >= 0 && Memcmp(key, upper) < 0);
                matches += expected ? 1 : 0;
            }
        }

        Assert.True(matches > 100, $"only {matches} rows matched; the test would not see a wrong upper bound");
    }

    internal static Column[] RandomSchema(Random random)
        => Enumerable.Range(0, random.Next(2, 5)).Select(_ => RandomColumn(random)).ToArray();

    private static Column RandomColumn(Random random)
        => new((ColumnType)random.Next(8), random.Next(2) == 0, random.Next(3) == 0);

    internal static object?[] RandomRow(Random random, Column[] schema) => schema.Select(c => RandomValue(random, c)).ToArray();

    private static object? RandomValue(Random random, Column column)
    {
        if (column.Nullable && random.Next(5) == 0)
        {
            return null;
        }

        var small = random.Next(3) != 0; // mostly from small pools, so later parts decide often
        return column.Type switch
        {
            ColumnType.Integer => small ? (Int128)random.Next(-2, 3) : RandomInteger(random),
            ColumnType.String => small ? SmallStrings[random.Next(SmallStrings.Length)] : RandomString(random),
            ColumnType.Bytes => small ? new byte[][] { [], [0], [0, 0], [0, 0xFF], [0xFF], [1] }[random.Next(6)] : RandomBytes(random),
            ColumnType.Double => small ? SmallDoubles[random.Next(SmallDoubles.Length)] : RandomDouble(random),
            ColumnType.Decimal => small ? SmallDecimals[random.Next(SmallDecimals.Length)] : RandomDecimal(random),
            ColumnType.Boolean => random.Next(2) == 0,
            ColumnType.Guid => small ? SmallGuids[random.Next(SmallGuids.Length)] : Guid.NewGuid(),
            _ => new DateTime(small ? random.Next(0, 3) : random.NextInt64(0, DateTime.MaxValue.Ticks), (DateTimeKind)random.Next(3)),
        };
    }

    internal static byte[] EncodeRow(Column[] schema, object?[] row)
        => Encode((ref KeyWriter w) =>
        {
            for (var i = 0; i < schema.Length; i++)
            {
                WriteValue(ref w, schema[i], row[i]);
            }
        });

    private static void WriteValue(ref KeyWriter writer, Column column, object? value)
    {
        var descending = column.Descending;
        switch (value)
        {
            case null:
                writer.WriteNull(descending);
                break;
            case Int128 integer:
                WriteInteger(ref writer, integer, descending);
                break;
            case string text:
                writer.Write(text, descending);
                break;
            case byte[] bytes:
                writer.Write(bytes, descending);
                break;
            case double number:
                writer.Write(number, descending);
                break;
            case decimal number:
                writer.Write(number, descending);
                break;
            case bool flag:
                writer.Write(flag, descending);
                break;
            case Guid guid:
                writer.Write(guid, descending);
                break;
            case DateTime time:
                writer.Write(time, descending);
                break;
            default:
                throw new InvalidOperationException(value.GetType().Name);
        }
    }

    internal static object? ReadValue(ref KeyReader reader, Column column)
    {
        if (reader.TryReadNull())
        {
            return null;
        }

        return column.Type switch
        {
            ColumnType.Integer => reader.PeekTypeCode() is < KeyTypeCode.IntegerZero or (> KeyTypeCode.LargestAscending and > 0xFE - KeyTypeCode.IntegerZero)
                ? (Int128)reader.ReadInt64()
                : (Int128)reader.ReadUInt64(),
            ColumnType.String => reader.ReadString(),
            ColumnType.Bytes => reader.ReadBytes(),
            ColumnType.Double => reader.ReadDouble(),
            ColumnType.Decimal => reader.ReadDecimal(),
            ColumnType.Boolean => reader.ReadBoolean(),
            ColumnType.Guid => reader.ReadGuid(),
            _ => reader.ReadDateTime(),
        };
    }

    private static int CompareRows(Column[] schema, object?[] a, object?[] b)
    {
        for (var i = 0; i < schema.Length; i++)
        {
            var result = CompareValues(schema[i], a[i], b[i]);
            if (result != 0)
            {
                return result;
            }
        }

        return 0;
    }

    /// <summary>Column order: null first, then the .NET order (code points for strings), reversed for descending columns.</summary>
    private static int CompareValues(Column column, object? a, object? b)
    {
        var ascending = (a, b) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            (string x, string y) => CompareCodePoints(x, y),
            (byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y),
            _ => ((IComparable)a).CompareTo(b),
        };
        return Math.Sign(ascending) * (column.Descending ? -1 : 1);
    }

    private static bool RowsEqual(Column[] schema, object?[] a, object?[] b)
        => Enumerable.Range(0, schema.Length).All(i => ValuesEqual(schema[i], a[i], b[i]));

    private static bool ValuesEqual(Column column, object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        _ => a.Equals(b),
    };

    private static string Describe(object?[] row)
        => "(" + string.Join(", ", row.Select(v => v switch
        {
            null => "null",
            string s => "\"" + string.Concat(s.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}")) + "\"",
            byte[] b => "0x" + Convert.ToHexString(b),
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
        })) + ")";
}
