using System.Security.Cryptography;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// The stored bytes of every supported CLR type, pinned by TestData/row-golden-vectors.txt: one line per vector,
/// <c>name TAB hex</c> (or <c>name TAB sha256:HASH len:N</c> for encodings longer than 300 bytes). Each vector must encode
/// to exactly those bytes (through the generic path and the boxed provider path), decode from them to an identical value,
/// and re-encode identically, so rows written by any earlier build read the same and rows written now are byte-identical
/// to theirs. The file was produced by the provider's first row codec; never edit a line, only add new ones.
/// </summary>
public sealed class RowGoldenVectorTests
{
    private const int LongestInlineEncoding = 300;

    private static readonly Lazy<Dictionary<string, string>> Golden = new(() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "RowEncoding", "TestData", "row-golden-vectors.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal));

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

    public static TheoryData<string> ValueVectorNames() => [.. ValueVectors().Select(v => v.Name)];

    [Fact]
    public void The_golden_file_holds_exactly_the_vectors_of_this_test()
    {
        var names = ValueVectors().Select(v => v.Name).Concat(RowVectors().Select(v => v.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        var missing = names.Where(n => !Golden.Value.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "Vectors without a golden line: " + string.Join(", ", missing));
        var extra = Golden.Value.Keys.Except(names, StringComparer.Ordinal).ToList();
        Assert.True(extra.Count == 0, "Golden lines without a vector: " + string.Join(", ", extra));
        Assert.True(names.Count >= 150, $"only {names.Count} vectors");
    }

    [Theory]
    [MemberData(nameof(ValueVectorNames))]
    public void A_value_encodes_to_its_golden_bytes_and_reads_back_identically(string name)
    {
        var vector = ValueVectors().Single(v => v.Name == name);
        var encoded = vector.Encode();
        AssertGolden(name, encoded);
        Assert.Equal(encoded, vector.EncodeBoxed());

        // Read the golden bytes, then write what was read: the same bytes again.
        var bytes = Golden.Value[name].StartsWith("sha256:", StringComparison.Ordinal) ? encoded : Convert.FromHexString(Golden.Value[name]);
        Assert.Equal(bytes, vector.DecodeAndReencode(bytes));
    }

    [Fact]
    public void Rows_encode_to_their_golden_bytes_and_read_back_identically()
    {
        foreach (var (name, row, ids) in RowVectors())
        {
            AssertGolden(name, row);

            // Every value read back and written again, in a row of the same ids, gives the same row.
            using var reader = new RowReader(row);
            var raw = new List<(uint Id, byte[] Value)>();
            while (reader.MoveNext())
            {
                raw.Add((reader.PropertyId, reader.RawValue.ToArray()));
            }

            Assert.Equal(ids, raw.Select(r => r.Id));
            using var buffer = new PooledByteBufferWriter();
            var writer = new RowWriter(buffer, raw.Count);
            foreach (var (id, value) in raw)
            {
                writer.WriteRawValue(id, value);
            }

            writer.Complete();
            Assert.Equal(row, buffer.ToArray());

            if (name.StartsWith("catalog/entity", StringComparison.Ordinal))
            {
                Assert.Equal(row, CatalogEntity.Decode("Shop.Order", row).Encode());
            }
        }
    }

    [Fact]
    public void The_all_types_row_reads_every_value_back()
    {
        var row = RowVectors().Single(r => r.Name == "row/all-types").Row;
        using var reader = new RowReader(row);
        var vectors = AllTypesRowVectors();
        for (var i = vectors.Count - 1; i >= 0; i--)
        {
            Assert.True(reader.TryFind((uint)(i * 2 + 1)));
            Assert.Equal(reader.RawValue.ToArray(), vectors[i].DecodeAndReencode(reader.RawValue.ToArray()));
        }
    }

    private static void AssertGolden(string name, byte[] encoded)
    {
        Assert.True(Golden.Value.TryGetValue(name, out var expected), $"No golden line; add:\n{name}\t{Describe(encoded)}");
        Assert.True(expected == Describe(encoded), $"{name}: golden {expected}, written {Describe(encoded)}");
    }

    private static string Describe(byte[] encoded) =>
        encoded.Length <= LongestInlineEncoding
            ? Convert.ToHexString(encoded)
            : $"sha256:{Convert.ToHexString(SHA256.HashData(encoded))} len:{encoded.Length}";

    private static List<(string Name, byte[] Row, uint[] Ids)> RowVectors()
    {
        var rows = new List<(string, byte[], uint[])>();
        using var buffer = new PooledByteBufferWriter();

        // Every type in one row (ids 1, 3, 5, ...), as a query would read it.
        var all = AllTypesRowVectors();
        var writer = new RowWriter(buffer, all.Count);
        for (var i = 0; i < all.Count; i++)
        {
            all[i].WriteInRow(ref writer, (uint)(i * 2 + 1));
        }

        writer.Complete();
        rows.Add(("row/all-types", buffer.ToArray(), [.. Enumerable.Range(0, all.Count).Select(i => (uint)(i * 2 + 1))]));

        // The map header widths, and property ids of every integer width.
        foreach (var (name, ids) in new (string, uint[])[]
        {
            ("row/empty", []),
            ("row/fixmap-15", [.. Enumerable.Range(0, 15).Select(i => (uint)i)]),
            ("row/map16-16", [.. Enumerable.Range(0, 16).Select(i => (uint)i * 7)]),
            ("row/map32-65536", [.. Enumerable.Range(0, 65_536).Select(i => (uint)i)]),
            ("row/ids-of-every-width", [0, 127, 128, 255, 256, 65_535, 65_536, uint.MaxValue]),
        })
        {
            buffer.Reset();
            writer = new RowWriter(buffer, ids.Length);
            foreach (var id in ids)
            {
                if (id % 3 == 0)
                {
                    writer.WriteNull(id);
                }
                else
                {
                    writer.WriteValue(id, (long)id - 40_000);
                }
            }

            writer.Complete();
            rows.Add((name, buffer.ToArray(), ids));
        }

        // Catalog records: MessagePack maps the catalog keyspace stores.
        var entity = new CatalogEntity(
            "Shop.Order",
            42,
            RowFormat.CurrentVersion,
            9,
            [
                new CatalogProperty(1, "CustomerId", "System.Int32", false),
                new CatalogProperty(2, "Number", "System.Int64", false),
                new CatalogProperty(3, "Note", "System.String", true),
                new CatalogProperty(8, "Tötal", "System.Decimal", false),
            ],
            [new CatalogKeyPart(1, "System.Int32", false), new CatalogKeyPart(2, "System.Int64", true)])
        {
            Indexes =
            [
                new CatalogIndex("IX_Order_Total", 43, [8, 2], [false, true], false, CatalogIndexState.Ready),
                new CatalogIndex("UX_Order_Note", 300, [3], [false], true, CatalogIndexState.Building),
            ],
        };
        rows.Add(("catalog/entity", entity.Encode(), [1, 2, 3, 4, 5, 6]));
        rows.Add(("catalog/entity-without-indexes", (entity with { Indexes = [] }).Encode(), [1, 2, 3, 4, 5]));
        rows.Add(("catalog/header", LsmCatalog.EncodeHeader(70_000), [1, 2]));
        return rows;
    }

    /// <summary>One vector of each type for the all-types row.</summary>
    private static List<IVector> AllTypesRowVectors()
    {
        var vectors = ValueVectors();
        return
        [
            .. vectors.GroupBy(v => v.Name[..v.Name.IndexOf('/')]).Select(g => g.Last()),
        ];
    }

    private static List<IVector> ValueVectors()
    {
        var v = new List<IVector>();
        void Add<T>(string name, T value, Func<T, T, bool>? same = null) =>
            v.Add(new Vector<T>($"{typeof(T).Name}/{name}", value, same ?? EqualityComparer<T>.Default.Equals));
        void AddNullable<T>(string name, T? value)
            where T : struct =>
            v.Add(new Vector<T?>($"Nullable-{typeof(T).Name}/{name}", value, (a, b) => Equals(a, b)));

        Add("false", false);
        Add("true", true);

        Add("min", sbyte.MinValue);
        Add("-33", (sbyte)-33);
        Add("-32", (sbyte)-32);
        Add("-1", (sbyte)-1);
        Add("0", (sbyte)0);
        Add("max", sbyte.MaxValue);
        Add("0", (byte)0);
        Add("127", (byte)127);
        Add("128", (byte)128);
        Add("max", byte.MaxValue);
        Add("min", short.MinValue);
        Add("-129", (short)-129);
        Add("-128", (short)-128);
        Add("255", (short)255);
        Add("256", (short)256);
        Add("max", short.MaxValue);
        Add("0", (ushort)0);
        Add("255", (ushort)255);
        Add("256", (ushort)256);
        Add("max", ushort.MaxValue);
        Add("min", int.MinValue);
        Add("-32769", -32769);
        Add("-32768", -32768);
        Add("-33", -33);
        Add("-1", -1);
        Add("0", 0);
        Add("127", 127);
        Add("128", 128);
        Add("65535", 65_535);
        Add("65536", 65_536);
        Add("max", int.MaxValue);
        Add("0", 0u);
        Add("65536", 65_536u);
        Add("max", uint.MaxValue);
        Add("min", long.MinValue);
        Add("-2147483649", -2_147_483_649L);
        Add("-2147483648", -2_147_483_648L);
        Add("-1", -1L);
        Add("2147483648", 2_147_483_648L);
        Add("4294967295", 4_294_967_295L);
        Add("4294967296", 4_294_967_296L);
        Add("max", long.MaxValue);
        Add("0", 0UL);
        Add("4294967296", 4_294_967_296UL);
        Add("long-max+1", (ulong)long.MaxValue + 1);
        Add("max", ulong.MaxValue);

        Add("nul", '\0');
        Add("a", 'a');
        Add("omega", 'Ω');
        Add("lone-high-surrogate", '\uD800');
        Add("lone-low-surrogate", '\uDFFF');
        Add("max", '\uFFFF');

        Add("red", Color.Red);
        Add("green", Color.Green);
        Add("undefined", (Color)12_345);
        Add("max", Small.Max);
        Add("max", Huge.Max);
        Add("min", Negative.Min);

        static bool SameSingle(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
        Add("0", 0f, SameSingle);
        Add("-0", -0f, SameSingle);
        Add("1.5", 1.5f, SameSingle);
        Add("0.1", 0.1f, SameSingle);
        Add("nan", float.NaN, SameSingle);
        Add("nan-payload", BitConverter.Int32BitsToSingle(0x7f80_0001), SameSingle);
        Add("+inf", float.PositiveInfinity, SameSingle);
        Add("-inf", float.NegativeInfinity, SameSingle);
        Add("epsilon", float.Epsilon, SameSingle);
        Add("max", float.MaxValue, SameSingle);
        Add("min", float.MinValue, SameSingle);

        static bool SameDouble(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);
        Add("0", 0.0, SameDouble);
        Add("-0", -0.0, SameDouble);
        Add("0.5", 0.5, SameDouble);
        Add("0.1", 0.1, SameDouble);
        Add("float-0.1", (double)0.1f, SameDouble);
        Add("1e10", 1e10, SameDouble);
        Add("1e300", 1e300, SameDouble);
        Add("nan", double.NaN, SameDouble);
        Add("-nan", -double.NaN, SameDouble);
        Add("nan-payload", BitConverter.Int64BitsToDouble(0x7ff0_0000_0000_0001), SameDouble);
        Add("+inf", double.PositiveInfinity, SameDouble);
        Add("-inf", double.NegativeInfinity, SameDouble);
        Add("epsilon", double.Epsilon, SameDouble);
        Add("subnormal", 1e-310, SameDouble);
        Add("max", double.MaxValue, SameDouble);
        Add("min", double.MinValue, SameDouble);

        static bool SameDecimal(decimal a, decimal b) => decimal.GetBits(a).SequenceEqual(decimal.GetBits(b));
        Add("0", 0m, SameDecimal);
        Add("-0", decimal.Negate(0m), SameDecimal);
        Add("0-scale-28", new decimal(0, 0, 0, false, 28), SameDecimal);
        Add("1.0", 1.0m, SameDecimal);
        Add("1.00", 1.00m, SameDecimal);
        Add("0.1", 0.1m, SameDecimal);
        Add("9.99", 9.99m, SameDecimal);
        Add("-123.4500", -123.4500m, SameDecimal);
        Add("1e-28", 0.0000000000000000000000000001m, SameDecimal);
        Add("12345.6789", 12345.6789m, SameDecimal);
        Add("2^32", 4_294_967_296m, SameDecimal);
        Add("2^64", 18_446_744_073_709_551_616m, SameDecimal);
        Add("max", decimal.MaxValue, SameDecimal);
        Add("min", decimal.MinValue, SameDecimal);
        Add("-7.92e0", -7.9228162514264337593543950335m, SameDecimal);

        Add("empty", "", string.Equals);
        Add("ada", "Ada", string.Equals);
        Add("31-ascii", new string('a', 31), string.Equals);
        Add("32-ascii", new string('b', 32), string.Equals);
        Add("10-euro-30-bytes", new string('€', 10), string.Equals);
        Add("11-euro-33-bytes", new string('€', 11), string.Equals);
        Add("255-ascii", new string('c', 255), string.Equals);
        Add("256-ascii", new string('d', 256), string.Equals);
        Add("85-euro-255-bytes", new string('€', 85), string.Equals);
        Add("86-euro-258-bytes", new string('€', 86), string.Equals);
        Add("65535-ascii", new string('e', 65_535), string.Equals);
        Add("65536-ascii", new string('f', 65_536), string.Equals);
        Add("21845-euro-65535-bytes", new string('€', 21_845), string.Equals);
        Add("21846-euro-65538-bytes", new string('€', 21_846), string.Equals);
        Add("mixed-unicode", "héllo🍺 Кириллица 日本語", string.Equals);
        Add("emoji-pairs", string.Concat(Enumerable.Repeat("🍺", 20)), string.Equals);
        Add("nul-inside", "a\0b", string.Equals);
        Add("null", (string?)null, string.Equals);

        static bool SameBytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
        Add("empty", Array.Empty<byte>(), SameBytes);
        Add("3", new byte[] { 1, 2, 3 }, SameBytes);
        Add("255", Pattern(255), SameBytes);
        Add("256", Pattern(256), SameBytes);
        Add("65535", Pattern(65_535), SameBytes);
        Add("65536", Pattern(65_536), SameBytes);
        Add("null", (byte[]?)null, SameBytes);

        Add("empty", Guid.Empty);
        Add("rfc-order", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));
        Add("v7", Guid.Parse("01936f2a-7c3e-7b1d-9a4f-0123456789ab"));
        Add("all-ones", Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff"));

        static bool SameDateTime(DateTime a, DateTime b) => a.Ticks == b.Ticks && a.Kind == b.Kind;
        Add("min", DateTime.MinValue, SameDateTime);
        Add("max-unspecified", DateTime.MaxValue, SameDateTime);
        Add("max-utc", new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Utc), SameDateTime);
        Add("max-local", new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Local), SameDateTime);
        Add("2024-utc-ticks", new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Utc).AddTicks(1_234_567), SameDateTime);
        Add("2024-local", new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Local), SameDateTime);
        Add("unix-epoch", DateTime.UnixEpoch, SameDateTime);

        static bool SameOffset(DateTimeOffset a, DateTimeOffset b) => a.Ticks == b.Ticks && a.Offset == b.Offset;
        Add("min", DateTimeOffset.MinValue, SameOffset);
        Add("max", DateTimeOffset.MaxValue, SameOffset);
        Add("min-at-minus-14h", new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.FromHours(-14)), SameOffset);
        Add("max-at-plus-14h", new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(9_999_999), SameOffset);
        Add("plus-5h45", new DateTimeOffset(2024, 6, 1, 12, 0, 0, new TimeSpan(5, 45, 0)).AddTicks(1), SameOffset);
        Add("minus-7h", new DateTimeOffset(TimeSpan.TicksPerHour * 17, TimeSpan.FromMinutes(-420)), SameOffset);
        Add("utc", new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero), SameOffset);

        Add("min", DateOnly.MinValue);
        Add("max", DateOnly.MaxValue);
        Add("2000-02-29", new DateOnly(2000, 2, 29));
        Add("min", TimeOnly.MinValue);
        Add("max", TimeOnly.MaxValue);
        Add("12:30:15.123456", new TimeOnly(12, 30, 15, 123, 456));
        Add("min", TimeSpan.MinValue);
        Add("max", TimeSpan.MaxValue);
        Add("zero", TimeSpan.Zero);
        Add("-1-tick", TimeSpan.FromTicks(-1));
        Add("-3.5-days", TimeSpan.FromDays(-3.5));

        AddNullable<int>("null", null);
        AddNullable<int>("5", 5);
        AddNullable<long>("min", long.MinValue);
        AddNullable<double>("-0", -0.0);
        AddNullable<bool>("null", null);
        AddNullable<decimal>("null", null);
        AddNullable<decimal>("1.00", 1.00m);
        AddNullable<Guid>("rfc-order", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));
        AddNullable<DateTime>("null", null);
        AddNullable<DateTimeOffset>("max", DateTimeOffset.MaxValue);
        AddNullable<Color>("red", Color.Red);
        AddNullable<Huge>("null", null);
        AddNullable<char>("z", 'z');
        return v;
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + (i >> 8));
        }

        return bytes;
    }

    private interface IVector
    {
        string Name { get; }

        byte[] Encode();

        byte[] EncodeBoxed();

        byte[] DecodeAndReencode(byte[] bytes);

        void WriteInRow(ref RowWriter writer, uint id);
    }

    private sealed class Vector<T>(string name, T value, Func<T, T, bool> same) : IVector
    {
        public string Name { get; } = name;

        public byte[] Encode() => MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, value));

        public byte[] EncodeBoxed()
        {
            var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
            return MessagePackAssert.Encode((ref w) => ProviderValueCodec.Find(type)!.WriteValue(ref w, value));
        }

        public byte[] DecodeAndReencode(byte[] bytes)
        {
            var reader = new MessagePackReader(bytes);
            var read = RowValueCodec.Read<T>(ref reader);
            Assert.True(reader.End, $"{Name}: {bytes.Length - reader.Consumed} bytes left after the value");
            Assert.True(same(value, read), $"{Name}: wrote {Show(value)}, read {Show(read)}");

            var boxedReader = new MessagePackReader(bytes);
            var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
            var boxed = ProviderValueCodec.Find(type)!.ReadValue(ref boxedReader);
            Assert.True(boxedReader.End);
            Assert.True(value is null ? boxed is null : same(value, (T)boxed!), $"{Name}: the provider codec read {Show(boxed)}");

            return MessagePackAssert.Encode((ref w) => RowValueCodec.Write(ref w, read));
        }

        public void WriteInRow(ref RowWriter writer, uint id) => writer.WriteValue(id, value);

        private static string Show(object? x) => x switch
        {
            null => "null",
            string s => s.Length > 40 ? $"string({s.Length})" : s,
            byte[] b => $"byte[{b.Length}]",
            _ => Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
        };
    }
}
