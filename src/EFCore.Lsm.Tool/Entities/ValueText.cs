using System.Globalization;
using System.Text.Json;
using EFCore.Lsm.Tool.Formatting;

namespace EFCore.Lsm.Tool.Entities;

/// <summary>
/// Typed values as the entity commands read them from the command line and print them: invariant culture throughout,
/// dates and times in ISO 8601 round-trip form, byte arrays as <c>0x…</c> hex (base64 in JSON), so what is printed can
/// be typed back as a key.
/// </summary>
internal static class ValueText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Parses <paramref name="text"/> as a value of <paramref name="type"/> (a provider type; null for an application enum,
    /// read as its integer value). Throws <see cref="ToolException"/> naming <paramref name="what"/> when it does not parse.
    /// </summary>
    public static object Parse(string text, Type? type, string what)
    {
        try
        {
            return ParseCore(text, type);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ToolException(ExitCodes.BadInput, $"{what} is not a valid {type?.Name ?? "integer"}: {e.Message}");
        }
    }

    private static object ParseCore(string text, Type? type)
    {
        if (type is null)
        {
            return long.TryParse(text, NumberStyles.Integer, Invariant, out var signed)
                ? signed
                : ulong.Parse(text, NumberStyles.Integer, Invariant);
        }

        if (type.IsEnum)
        {
            return Enum.Parse(type, text, ignoreCase: true);
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => bool.Parse(text),
            TypeCode.SByte => sbyte.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.Byte => byte.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.Int16 => short.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.UInt16 => ushort.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.Int32 => int.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.UInt32 => uint.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.Int64 => long.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.UInt64 => ulong.Parse(text, NumberStyles.Integer, Invariant),
            TypeCode.Char => text.Length == 1 ? text[0] : throw new FormatException("a char is exactly one UTF-16 code unit."),
            TypeCode.Single => float.Parse(text, NumberStyles.Float, Invariant),
            TypeCode.Double => double.Parse(text, NumberStyles.Float, Invariant),
            TypeCode.Decimal => decimal.Parse(text, NumberStyles.Number, Invariant),
            TypeCode.DateTime => DateTime.Parse(text, Invariant, DateTimeStyles.RoundtripKind),
            TypeCode.String => text,
            _ when type == typeof(Guid) => Guid.Parse(text),
            _ when type == typeof(DateTimeOffset) => DateTimeOffset.Parse(text, Invariant, DateTimeStyles.RoundtripKind),
            _ when type == typeof(DateOnly) => DateOnly.Parse(text, Invariant),
            _ when type == typeof(TimeOnly) => TimeOnly.Parse(text, Invariant),
            _ when type == typeof(TimeSpan) => TimeSpan.Parse(text, Invariant),
            _ when type == typeof(byte[]) => ParseBytes(text),
            _ => throw new FormatException($"the tool cannot read values of type {type.FullName} from the command line."),
        };
    }

    private static byte[] ParseBytes(string text)
    {
        try
        {
            return ByteText.Parse(text, hex: true, "bytes");
        }
        catch (ToolException e)
        {
            throw new FormatException(e.Message);
        }
    }

    /// <summary>A value as the table format prints it; null as <c>null</c>.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string text => text,
        OwnedValue owned => "{" + string.Join(", ", owned.Members.Select(m => m.Name + "=" + Format(m.Value))) + "}",
        List<OwnedValue> elements => "[" + string.Join(", ", elements.Select(Format)) + "]",
        bool flag => flag ? "true" : "false",
        byte[] bytes => ByteText.Format(bytes, hex: true),
        DateTime time => time.ToString("O", Invariant),
        DateTimeOffset time => time.ToString("O", Invariant),
        DateOnly date => date.ToString("yyyy-MM-dd", Invariant),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFFF", Invariant),
        TimeSpan span => span.ToString("c", Invariant),
        float number => number.ToString("R", Invariant),
        double number => number.ToString("R", Invariant),
        IFormattable formattable => formattable.ToString(null, Invariant),
        _ => value.ToString() ?? "",
    };

    /// <summary>Writes a value as JSON: numbers as numbers (non-finite ones as strings), bytes as base64, the rest as strings.</summary>
    public static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case OwnedValue owned:
                writer.WriteStartObject();
                foreach (var (name, member) in owned.Members)
                {
                    writer.WritePropertyName(name);
                    WriteJson(writer, member);
                }

                writer.WriteEndObject();
                break;
            case List<OwnedValue> elements:
                writer.WriteStartArray();
                foreach (var element in elements)
                {
                    WriteJson(writer, element);
                }

                writer.WriteEndArray();
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case sbyte or short or int or long:
                writer.WriteNumberValue(Convert.ToInt64(value, Invariant));
                break;
            case byte or ushort or uint or ulong:
                writer.WriteNumberValue(Convert.ToUInt64(value, Invariant));
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            default:
                writer.WriteStringValue(Format(value));
                break;
        }
    }
}
