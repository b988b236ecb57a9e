using System.Text.Encodings.Web;
using System.Text.Json;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm catalog &lt;db&gt;</c>: the stored schema of an EF database as JSON, field for field as docs/catalog.md describes
/// the catalog records (the next keyspace id; per entity type its keyspace, value format, property ids, key parts and
/// indexes). With <c>--data</c> it also reads every row and gives, per property, how many rows hold a value for it, and
/// lists under "retiredWithData" the retired properties whose values are still in rows (a dropped column's values are not
/// rewritten; readers skip them). Without the application's model it cannot compare one with the catalog itself; under
/// "schemaDrift" it prints what each context of the application recorded when it last opened the database (docs/catalog.md,
/// "Drift records"): properties and entity types the model lacks, converted types, and refused look-alike renames.
/// </summary>
internal sealed class CatalogCommand(ToolOutput output)
{
    public int Run(string database, bool data = false) => CommandRunner.Run(output, () =>
    {
        using var db = EntityDatabase.Open(database);
        var counts = data ? db.Schema.Entities.ToDictionary(e => e.Name, e => CountValues(db, e), StringComparer.Ordinal) : null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("database", db.Path);
            json.WriteNumber("nextKeyspaceId", db.Schema.Catalog.NextKeyspaceId);
            json.WriteStartArray("entityTypes");
            foreach (var entity in db.Schema.Entities)
            {
                var catalog = entity.Catalog;
                json.WriteStartObject();
                json.WriteString("name", catalog.Name);
                json.WriteNumber("keyspaceId", catalog.KeyspaceId);
                json.WriteNumber("valueFormatVersion", catalog.ValueFormatVersion);
                json.WriteNumber("nextPropertyId", catalog.NextPropertyId);
                json.WriteStartArray("key");
                foreach (var part in catalog.KeyParts)
                {
                    json.WriteStartObject();
                    json.WriteNumber("propertyId", part.PropertyId);
                    json.WriteString("property", catalog.Properties.FirstOrDefault(p => p.Id == part.PropertyId)?.Name);
                    json.WriteString("providerType", part.ProviderType);
                    json.WriteBoolean("descending", part.Descending);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("properties");
                foreach (var property in catalog.Properties)
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", property.Id);
                    json.WriteString("name", property.Name);
                    json.WriteString("providerType", property.ProviderType);
                    json.WriteBoolean("retired", property.Retired);
                    if (counts is not null)
                    {
                        json.WriteNumber("rowsWithValue", counts[catalog.Name].GetValueOrDefault(property.Id));
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();

                json.WriteStartArray("indexes");
                foreach (var index in catalog.Indexes)
                {
                    json.WriteStartObject();
                    json.WriteString("name", index.Name);
                    json.WriteNumber("keyspaceId", index.KeyspaceId);
                    json.WriteStartArray("parts");
                    for (var i = 0; i < index.PropertyIds.Count; i++)
                    {
                        json.WriteStartObject();
                        json.WriteNumber("propertyId", index.PropertyIds[i]);
                        json.WriteString("property", entity.PropertyName(index.PropertyIds[i]));
                        json.WriteBoolean("descending", index.Descending[i]);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteBoolean("unique", index.Unique);
                    json.WriteString("state", index.State.ToString());
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();

            // What each application context found against its model when it last opened the database (docs/catalog.md, "Drift
            // records"): the tool has no model of its own to compare with.
            json.WriteStartArray("schemaDrift");
            foreach (var (context, entries) in db.Schema.Drift)
            {
                json.WriteStartObject();
                json.WriteString("context", context);
                json.WriteStartArray("differences");
                foreach (var entry in entries)
                {
                    json.WriteStartObject();
                    json.WriteString("kind", SchemaDriftText.KindName(entry.Kind));
                    json.WriteString("entityType", entry.EntityType);
                    json.WriteString("property", entry.Property);
                    json.WriteString("column", entry.Column);
                    json.WriteString("message", entry.Message);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (counts is not null)
            {
                json.WriteStartArray("retiredWithData");
                foreach (var entity in db.Schema.Entities)
                {
                    foreach (var property in entity.Catalog.Properties.Where(p => p.Retired && counts[entity.Name].GetValueOrDefault(p.Id) > 0))
                    {
                        json.WriteStartObject();
                        json.WriteString("entityType", entity.Name);
                        json.WriteString("property", property.Name);
                        json.WriteNumber("rows", counts[entity.Name][property.Id]);
                        json.WriteEndObject();
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        output.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return ExitCodes.Success;
    });

    /// <summary>How many rows of <paramref name="entity"/> hold a value for each property id.</summary>
    private static Dictionary<uint, long> CountValues(EntityDatabase db, StoredEntity entity)
    {
        var counts = new Dictionary<uint, long>();
        using var cursor = db.View.Scan(entity.KeyspaceLowerBound, entity.KeyspaceUpperBound);
        while (cursor.MoveNext())
        {
            var reader = new RowReader(cursor.Value);
            try
            {
                while (reader.MoveNext())
                {
                    counts[reader.PropertyId] = counts.GetValueOrDefault(reader.PropertyId) + 1;
                }
            }
            finally
            {
                reader.Dispose();
            }
        }

        return counts;
    }

    private static JsonWriterOptions Options => new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
