using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Runs every vector of the public msgpack-test-suite (TestData/README.md) through what the provider reads and writes
/// with: the MessagePack package's reader and writer, the provider's typed reads and writes (<see cref="RowValueCodec"/>)
/// and strict checks (<see cref="StrictMessagePack"/>). The decoder must read every listed form to the value; the encoder
/// must produce one of the listed forms, and the shortest listed form of the value's own family (an integer is written as
/// an integer even where a float32 form is shorter, as every MessagePack encoder does). Timestamps are read and written
/// as <see cref="DateTime"/> (docs/row_encoding.md): one outside its range is refused by the reader, one finer than 100 ns
/// is read truncated, and only those a DateTime holds exactly are written.
/// </summary>
public sealed class MessagePackConformanceTests
{
    private static readonly Lazy<JsonDocument> Suite = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "RowEncoding", "TestData", "msgpack-test-suite.json"))));

    private static readonly string[] TimestampGroups = ["50.timestamp.yaml"];

    public static TheoryData<string, int, string> Vectors()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var group in Suite.Value.RootElement.EnumerateObject())
        {
            var index = 0;
            foreach (var vector in group.Value.EnumerateArray())
            {
                var (kind, value) = ValueOf(vector);
                data.Add(group.Name, index++, $"{kind}: {value.GetRawText()}");
            }
        }

        return data;
    }

    [Fact]
    public void Suite_has_every_group_and_vector()
    {
        // Guards against a test run that silently covers nothing: 15 groups, 85 vectors.
        var groups = Suite.Value.RootElement.EnumerateObject().ToList();
        Assert.Equal(15, groups.Count);
        Assert.Equal(85, groups.Sum(g => g.Value.GetArrayLength()));
        Assert.Equal(85, Vectors().Count());
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decoder_reads_every_listed_form(string group, int index, string description)
    {
        var vector = Vector(group, index);
        var (kind, value) = ValueOf(vector);
        foreach (var form in Forms(vector))
        {
            var reader = new MessagePackReader(form);
            AssertValue(ref reader, kind, value, description);
            Assert.True(reader.End, $"{description}: bytes left after {Convert.ToHexString(form)}");

            var skipper = new MessagePackReader(form);
            skipper.SkipValue();
            Assert.True(skipper.End);
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encoder_writes_a_listed_form_and_the_shortest(string group, int index, string description)
    {
        var vector = Vector(group, index);
        var (kind, value) = ValueOf(vector);
        if (kind == "timestamp" && !AsDateTime(value, out _))
        {
            // Not a DateTime: nothing the provider writes. The decoder test checks it is refused.
            Assert.Contains(group, TimestampGroups);
            return;
        }

        var written = MessagePackAssert.Encode((ref w) => Write(ref w, kind, value));

        var forms = Forms(vector);
        Assert.Contains(Convert.ToHexString(written), forms.Select(Convert.ToHexString));

        var family = new MessagePackReader(written).NextMessagePackType;
        var shortest = forms.Where(f => new MessagePackReader(f).NextMessagePackType == family).Min(f => f.Length);
        Assert.True(written.Length == shortest, $"{description}: wrote {written.Length} bytes, shortest listed form is {shortest}");
    }

    [Fact]
    public void The_timestamp_vectors_split_as_documented()
    {
        // 19 timestamp vectors: 18 lie in DateTime's range and read back (truncated to 100 ns); the 9 at whole 100 ns are
        // also written, byte for byte; the one in year 0 is refused by the reader.
        var timestamps = Suite.Value.RootElement.GetProperty(TimestampGroups[0]).EnumerateArray()
            .Select(t => t.GetProperty("timestamp")).ToList();
        Assert.Equal(19, timestamps.Count);
        Assert.Equal(18, timestamps.Count(t => t[0].GetInt64() is >= -62_135_596_800 and <= 253_402_300_799));
        Assert.Equal(9, timestamps.Count(t => AsDateTime(t, out _)));
    }

    /// <summary>The vector's [seconds, nanoseconds] as a UTC DateTime, when DateTime holds it exactly.</summary>
    private static bool AsDateTime(JsonElement timestamp, out DateTime value)
    {
        var seconds = timestamp[0].GetInt64();
        var nanoseconds = timestamp[1].GetInt64();
        const long minSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (seconds < minSeconds || seconds > maxSeconds || nanoseconds % 100 != 0)
        {
            value = default;
            return false;
        }

        value = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100);
        return true;
    }

    private static JsonElement Vector(string group, int index) => Suite.Value.RootElement.GetProperty(group)[index];

    /// <summary>The value's type name and value; "bignum" wins over "number" because it is exact.</summary>
    private static (string Kind, JsonElement Value) ValueOf(JsonElement vector)
    {
        if (vector.TryGetProperty("bignum", out var bignum))
        {
            return ("bignum", bignum);
        }

        var property = vector.EnumerateObject().Single(p => p.Name != "msgpack");
        return (property.Name, property.Value);
    }

    private static List<byte[]> Forms(JsonElement vector) =>
        vector.GetProperty("msgpack").EnumerateArray().Select(f => Hex(f.GetString()!)).ToList();

    private static byte[] Hex(string dashed) => Convert.FromHexString(dashed.Replace("-", "", StringComparison.Ordinal));

    /// <summary>The kind a nested JSON value has inside an array or map.</summary>
    private static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "nil",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "map",
        _ => throw new InvalidOperationException($"Unexpected JSON {value.ValueKind}"),
    };

    private static void AssertValue(ref MessagePackReader reader, string kind, JsonElement expected, string description)
    {
        switch (kind)
        {
            case "nil":
                Assert.Equal(MessagePackType.Nil, reader.NextMessagePackType);
                Assert.Null(RowValueCodec.Read<string>(ref reader));
                break;
            case "bool":
                Assert.Equal(expected.GetBoolean(), RowValueCodec.Read<bool>(ref reader));
                break;
            case "binary":
                Assert.Equal(Hex(expected.GetString()!), RowValueCodec.Read<byte[]>(ref reader));
                break;
            case "number":
                AssertNumber(ref reader, new BigInteger(expected.GetDouble()), expected.GetDouble());
                break;
            case "bignum":
                var big = BigInteger.Parse(expected.GetString()!, CultureInfo.InvariantCulture);
                // BigInteger's conversion to double truncates; parsing the decimal text rounds to nearest, as a reader must.
                AssertNumber(ref reader, big, double.Parse(expected.GetString()!, CultureInfo.InvariantCulture));
                break;
            case "string":
                Assert.Equal(MessagePackType.String, reader.NextMessagePackType);
                Assert.Equal(expected.GetString(), reader.ReadStrictString());
                break;
            case "array":
                Assert.Equal(expected.GetArrayLength(), reader.ReadArrayHeader());
                foreach (var element in expected.EnumerateArray())
                {
                    AssertValue(ref reader, KindOf(element), element, description);
                }

                break;
            case "map":
                var properties = expected.EnumerateObject().ToList();
                Assert.Equal(properties.Count, reader.ReadMapHeader());
                foreach (var property in properties)
                {
                    Assert.Equal(property.Name, reader.ReadStrictString());
                    AssertValue(ref reader, KindOf(property.Value), property.Value, description);
                }

                break;
            case "timestamp":
                var seconds = expected[0].GetInt64();
                var nanoseconds = expected[1].GetInt64();
                var inRange = seconds is >= -62_135_596_800 and <= 253_402_300_799;
                if (!inRange)
                {
                    var error = MessagePackAssert.ThrowsFormat(reader, (ref r) => RowValueCodec.Read<DateTime>(ref r));
                    Assert.Contains("outside the range of DateTime", error.Message, StringComparison.Ordinal);
                    reader.SkipValue();
                    break;
                }

                // DateTime keeps 100 ns ticks: finer nanoseconds are truncated.
                Assert.Equal(
                    DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100),
                    RowValueCodec.Read<DateTime>(ref reader));
                break;
            case "ext":
                var extension = reader.ReadExtensionFormat();
                Assert.Equal(expected[0].GetInt32(), extension.TypeCode);
                Assert.Equal(Hex(expected[1].GetString()!), extension.Data.ToArray());
                break;
            default:
                throw new InvalidOperationException($"Unknown vector type '{kind}'");
        }
    }

    private static void AssertNumber(ref MessagePackReader reader, BigInteger integer, double asDouble)
    {
        if (reader.NextMessagePackType == MessagePackType.Float)
        {
            Assert.Equal(asDouble, RowValueCodec.Read<double>(ref reader));
            return;
        }

        Assert.Equal(MessagePackType.Integer, reader.NextMessagePackType);

        // Every integer reader either returns the value or refuses it as out of range.
        var probe = reader;
        if (integer >= long.MinValue && integer <= long.MaxValue)
        {
            Assert.Equal((long)integer, RowValueCodec.Read<long>(ref probe));
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => RowValueCodec.Read<long>(ref r));
        }

        probe = reader;
        if (integer >= 0)
        {
            Assert.Equal((ulong)integer, RowValueCodec.Read<ulong>(ref probe));
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => RowValueCodec.Read<ulong>(ref r));
        }

        probe = reader;
        if (integer >= int.MinValue && integer <= int.MaxValue)
        {
            Assert.Equal((int)integer, RowValueCodec.Read<int>(ref probe));
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => RowValueCodec.Read<int>(ref r));
        }

        probe = reader;
        Assert.Equal(asDouble, RowValueCodec.Read<double>(ref probe));

        reader.SkipValue();
    }

    private static void Write(ref MessagePackWriter writer, string kind, JsonElement value)
    {
        switch (kind)
        {
            case "nil":
                RowValueCodec.Write<string?>(ref writer, null);
                break;
            case "bool":
                RowValueCodec.Write(ref writer, value.GetBoolean());
                break;
            case "binary":
                RowValueCodec.Write(ref writer, Hex(value.GetString()!));
                break;
            case "number":
                if (value.TryGetInt64(out var integer))
                {
                    RowValueCodec.Write(ref writer, integer);
                }
                else
                {
                    RowValueCodec.Write(ref writer, value.GetDouble());
                }

                break;
            case "bignum":
                var big = BigInteger.Parse(value.GetString()!, CultureInfo.InvariantCulture);
                if (big > long.MaxValue)
                {
                    RowValueCodec.Write(ref writer, (ulong)big);
                }
                else
                {
                    RowValueCodec.Write(ref writer, (long)big);
                }

                break;
            case "string":
                RowValueCodec.Write(ref writer, value.GetString());
                break;
            case "array":
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var element in value.EnumerateArray())
                {
                    Write(ref writer, KindOf(element), element);
                }

                break;
            case "map":
                var properties = value.EnumerateObject().ToList();
                writer.WriteMapHeader(properties.Count);
                foreach (var property in properties)
                {
                    writer.WriteStrictString(property.Name);
                    Write(ref writer, KindOf(property.Value), property.Value);
                }

                break;
            case "timestamp":
                Assert.True(AsDateTime(value, out var dateTime));
                writer.Write(dateTime);
                break;
            case "ext":
                var data = Hex(value[1].GetString()!);
                writer.WriteExtensionFormatHeader(new ExtensionHeader((sbyte)value[0].GetInt32(), data.Length));
                writer.WriteRaw(data);
                break;
            default:
                throw new InvalidOperationException($"Unknown vector type '{kind}'");
        }
    }
}
