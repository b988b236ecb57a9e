using System.Globalization;
using System.Numerics;
using System.Text.Json;
using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>
/// Runs every vector of the public msgpack-test-suite (TestData/README.md). The decoder must read every listed form to
/// the value; the encoder must produce one of the listed forms, and the shortest listed form of the value's own family
/// (an integer is written as an integer even where a float32 form is shorter, as every MessagePack encoder does).
/// </summary>
public sealed class MessagePackConformanceTests
{
    private static readonly Lazy<JsonDocument> Suite = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "RowEncoding", "TestData", "msgpack-test-suite.json"))));

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
            skipper.Skip();
            Assert.True(skipper.End);
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encoder_writes_a_listed_form_and_the_shortest(string group, int index, string description)
    {
        var vector = Vector(group, index);
        var (kind, value) = ValueOf(vector);
        using var buffer = new PooledByteBufferWriter();
        Write(new MessagePackWriter(buffer), kind, value);
        var written = buffer.ToArray();

        var forms = Forms(vector);
        Assert.Contains(Convert.ToHexString(written), forms.Select(Convert.ToHexString));

        var family = new MessagePackReader(written).PeekType();
        var shortest = forms.Where(f => new MessagePackReader(f).PeekType() == family).Min(f => f.Length);
        Assert.True(written.Length == shortest, $"{description}: wrote {written.Length} bytes, shortest listed form is {shortest}");
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
                Assert.Equal(MessagePackType.Nil, reader.PeekType());
                Assert.True(reader.TryReadNil());
                break;
            case "bool":
                Assert.Equal(expected.GetBoolean(), reader.ReadBoolean());
                break;
            case "binary":
                Assert.Equal(Hex(expected.GetString()!), reader.ReadBytes().ToArray());
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
                Assert.Equal(MessagePackType.String, reader.PeekType());
                Assert.Equal(expected.GetString(), reader.ReadString());
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
                    Assert.Equal(property.Name, reader.ReadString());
                    AssertValue(ref reader, KindOf(property.Value), property.Value, description);
                }

                break;
            case "timestamp":
                var timestamp = reader.ReadTimestamp();
                Assert.Equal(expected[0].GetInt64(), timestamp.Seconds);
                Assert.Equal(expected[1].GetUInt32(), timestamp.Nanoseconds);
                break;
            case "ext":
                var payload = reader.ReadExtension(out var typeCode);
                Assert.Equal(expected[0].GetInt32(), typeCode);
                Assert.Equal(Hex(expected[1].GetString()!), payload.ToArray());
                break;
            default:
                throw new InvalidOperationException($"Unknown vector type '{kind}'");
        }
    }

    private static void AssertNumber(ref MessagePackReader reader, BigInteger integer, double asDouble)
    {
        if (reader.PeekType() == MessagePackType.Float)
        {
            Assert.Equal(asDouble, reader.ReadDouble());
            return;
        }

        Assert.Equal(MessagePackType.Integer, reader.PeekType());

        // Every integer reader either returns the value or refuses it as out of range.
        var probe = reader;
        if (integer >= long.MinValue && integer <= long.MaxValue)
        {
            Assert.Equal((long)integer, probe.ReadInt64());
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => r.ReadInt64());
        }

        probe = reader;
        if (integer >= 0)
        {
            Assert.Equal((ulong)integer, probe.ReadUInt64());
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => r.ReadUInt64());
        }

        probe = reader;
        if (integer >= int.MinValue && integer <= int.MaxValue)
        {
            Assert.Equal((int)integer, probe.ReadInt32());
        }
        else
        {
            MessagePackAssert.ThrowsFormat(probe, (ref r) => r.ReadInt32());
        }

        probe = reader;
        Assert.Equal(asDouble, probe.ReadDouble());

        reader.Skip();
    }

    private static void Write(MessagePackWriter writer, string kind, JsonElement value)
    {
        switch (kind)
        {
            case "nil":
                writer.WriteNil();
                break;
            case "bool":
                writer.WriteBoolean(value.GetBoolean());
                break;
            case "binary":
                writer.WriteBinary(Hex(value.GetString()!));
                break;
            case "number":
                if (value.TryGetInt64(out var integer))
                {
                    writer.WriteInt64(integer);
                }
                else
                {
                    writer.WriteDouble(value.GetDouble());
                }

                break;
            case "bignum":
                var big = BigInteger.Parse(value.GetString()!, CultureInfo.InvariantCulture);
                if (big > long.MaxValue)
                {
                    writer.WriteUInt64((ulong)big);
                }
                else
                {
                    writer.WriteInt64((long)big);
                }

                break;
            case "string":
                writer.WriteString(value.GetString());
                break;
            case "array":
                writer.WriteArrayHeader((uint)value.GetArrayLength());
                foreach (var element in value.EnumerateArray())
                {
                    Write(writer, KindOf(element), element);
                }

                break;
            case "map":
                var properties = value.EnumerateObject().ToList();
                writer.WriteMapHeader((uint)properties.Count);
                foreach (var property in properties)
                {
                    writer.WriteString(property.Name);
                    Write(writer, KindOf(property.Value), property.Value);
                }

                break;
            case "timestamp":
                writer.WriteTimestamp(new MessagePackTimestamp(value[0].GetInt64(), value[1].GetUInt32()));
                break;
            case "ext":
                writer.WriteExtension((sbyte)value[0].GetInt32(), Hex(value[1].GetString()!));
                break;
            default:
                throw new InvalidOperationException($"Unknown vector type '{kind}'");
        }
    }
}
