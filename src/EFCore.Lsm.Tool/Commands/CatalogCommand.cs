using System.Text.Encodings.Web;
using System.Text.Json;
using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm catalog &lt;db&gt;</c>: the stored schema of an EF database as JSON, field for field as docs/catalog.md describes
/// the catalog records (the next keyspace id; per entity type its keyspace, value format, property ids, key parts and
/// indexes).
/// </summary>
internal sealed class CatalogCommand(ToolOutput output)
{
    public int Run(string database) => CommandRunner.Run(output, () =>
    {
        using var db = EntityDatabase.Open(database);
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
            json.WriteEndObject();
        }

        output.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return ExitCodes.Success;
    });

    private static JsonWriterOptions Options => new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
