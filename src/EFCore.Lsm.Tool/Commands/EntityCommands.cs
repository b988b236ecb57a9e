using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>How the entity commands print rows.</summary>
internal enum RowFormat
{
    /// <summary>Aligned columns named after the properties.</summary>
    Table,

    /// <summary>JSON objects keyed by property name: an array with one row per line (<c>scan</c>), one object (<c>get</c>).</summary>
    Json,
}

/// <summary>The options of <c>lsm scan --entity</c>.</summary>
internal sealed record EntityScanSettings
{
    public required string Entity { get; init; }

    public IReadOnlyList<string> WhereKey { get; init; } = [];

    public long? Limit { get; init; }

    public RowFormat Format { get; init; }

    public bool Count { get; init; }
}

/// <summary>
/// <c>lsm scan &lt;db&gt; --entity Blog</c> and <c>lsm get &lt;db&gt; --entity Blog 42</c>: rows of one entity type with
/// property names and typed values, decoded with the catalog's property ids and the provider's row codecs. Rows are read
/// at one view, in key order; <c>--where-key</c> bounds the scan to one key range.
/// </summary>
internal sealed class EntityCommands(ToolOutput output)
{
    private const string Absent = "(absent)";

    public int Scan(string database, EntityScanSettings settings) => CommandRunner.Run(output, () =>
    {
        if (settings.Limit < 0)
        {
            throw new ToolException(ExitCodes.BadInput, $"--limit must be 0 or more, not {settings.Limit}.");
        }

        using var db = EntityDatabase.Open(database);
        var entity = db.Schema.Find(settings.Entity);
        var (lower, upper) = KeyConditions.ToRange(entity, settings.WhereKey);
        var limit = settings.Limit ?? long.MaxValue;
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0 || limit == 0)
        {
            lower = upper;
        }

        using var cursor = db.View.Scan(lower, upper);
        long count = 0;
        if (settings.Count)
        {
            while (count < limit && cursor.MoveNext())
            {
                count++;
            }

            output.Out.WriteLine(count);
            return ExitCodes.Success;
        }

        var rows = new RowWriter(output.Out, entity, settings.Format);
        while (count < limit && cursor.MoveNext())
        {
            rows.Write(cursor.Key, cursor.Value);
            count++;
        }

        rows.Complete();
        return ExitCodes.Success;
    });

    public int Get(string database, string entityName, IReadOnlyList<string> keyValues, RowFormat format) => CommandRunner.Run(output, () =>
    {
        using var db = EntityDatabase.Open(database);
        var entity = db.Schema.Find(entityName);
        var key = entity.EncodeKey(keyValues);
        var value = db.View.Get(key);
        if (value is null)
        {
            return CommandRunner.Fail(
                output, ExitCodes.NotFound, $"'{entity.Name}' has no row with key ({string.Join(", ", keyValues)})");
        }

        var row = Decode(entity, key, value);
        if (format == RowFormat.Json)
        {
            output.Out.WriteLine(JsonObject(entity, row, indented: true));
            return ExitCodes.Success;
        }

        var table = new TextTable(output.Out, ["property", "value"]);
        for (var i = 0; i < entity.Columns.Count; i++)
        {
            table.Add(entity.Columns[i].Name, row.Present[i] ? ValueText.Format(row.Values[i]) : Absent);
        }

        table.Flush();
        return ExitCodes.Success;
    });

    private static DecodedRow Decode(StoredEntity entity, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        try
        {
            return entity.DecodeRow(value);
        }
        catch (EFCore.Lsm.Storage.LsmStoredDataException e)
        {
            throw new ToolException(
                ExitCodes.Corruption, $"the '{entity.Name}' row with key {ByteText.Format(key, hex: true)} cannot be decoded: {e.Message}");
        }
    }

    private static string JsonObject(StoredEntity entity, DecodedRow row, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
               {
                   Indented = indented,
                   Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
               }))
        {
            json.WriteStartObject();
            for (var i = 0; i < entity.Columns.Count; i++)
            {
                if (row.Present[i])
                {
                    json.WritePropertyName(entity.Columns[i].Name);
                    ValueText.WriteJson(json, row.Values[i]);
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Prints scanned rows in the chosen format; JSON as one array with a row per line, so it also reads line by line.</summary>
    private sealed class RowWriter
    {
        private readonly TextWriter _writer;
        private readonly StoredEntity _entity;
        private readonly RowFormat _format;
        private readonly TextTable? _table;
        private bool _any;

        public RowWriter(TextWriter writer, StoredEntity entity, RowFormat format)
        {
            _writer = writer;
            _entity = entity;
            _format = format;
            if (format == RowFormat.Table)
            {
                _table = new TextTable(writer, [.. entity.Columns.Select(c => c.Name)]);
            }
        }

        public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            var row = Decode(_entity, key, value);
            if (_table is not null)
            {
                var cells = new string[row.Values.Length];
                for (var i = 0; i < cells.Length; i++)
                {
                    cells[i] = row.Present[i] ? ValueText.Format(row.Values[i]) : Absent;
                }

                _table.Add(cells);
                return;
            }

            _writer.WriteLine((_any ? "," : "[") + JsonObject(_entity, row, indented: false));
            _any = true;
        }

        public void Complete()
        {
            if (_table is not null)
            {
                _table.Flush();
            }
            else
            {
                _writer.WriteLine(_any ? "]" : "[]");
            }
        }
    }
}
