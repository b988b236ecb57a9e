using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Tool.Formatting;

namespace EFCore.Lsm.Tool.Entities;

/// <summary>
/// How the tool names what the drift records hold (docs/catalog.md, "Drift records"): the differences between the catalog and
/// each context's model that the provider found when that context first used the database. The tool has no EF model; this is
/// what the application recorded.
/// </summary>
internal static class SchemaDriftText
{
    /// <summary>The JSON name of a kind ("propertyNotInModel").</summary>
    public static string KindName(SchemaDriftKind kind) => kind switch
    {
        SchemaDriftKind.EntityTypeNotInModel => "entityTypeNotInModel",
        SchemaDriftKind.PropertyNotInModel => "propertyNotInModel",
        SchemaDriftKind.PropertyTypeConverted => "propertyTypeConverted",
        SchemaDriftKind.RenameRefused => "renameRefused",
        _ => "modelRefused",
    };

    /// <summary>
    /// One line for <c>lsm info</c>: "none recorded", or per context what its model lacks or converts, or that it was refused
    /// ("Shop.ShopContext: 1 property not in the model, 1 type converted").
    /// </summary>
    public static string Summary(IReadOnlyDictionary<string, IReadOnlyList<SchemaDriftEntry>> records)
    {
        if (records.Count == 0)
        {
            return "none recorded (every context's model matched the catalog when it last opened the database)";
        }

        return string.Join("; ", records.Select(r => r.Key + ": " + Describe(r.Value))) + " (details: lsm catalog)";
    }

    private static string Describe(IReadOnlyList<SchemaDriftEntry> entries)
    {
        if (entries.FirstOrDefault(e => e.IsRefusal) is { } refusal)
        {
            return refusal.Kind == SchemaDriftKind.RenameRefused
                ? $"model refused, a look-alike rename of {refusal.Column ?? refusal.EntityType} needs a migration"
                : $"model refused, {refusal.Column ?? refusal.EntityType} needs a migration";
        }

        var parts = new List<string>();
        Count(SchemaDriftKind.EntityTypeNotInModel, "entity type");
        Count(SchemaDriftKind.PropertyNotInModel, "property");
        Count(SchemaDriftKind.PropertyTypeConverted, "type");
        return string.Join(", ", parts);

        void Count(SchemaDriftKind kind, string noun)
        {
            var count = entries.Count(e => e.Kind == kind);
            if (count > 0)
            {
                var plural = noun == "property" && count != 1 ? $"{count} properties" : Text.Plural(count, noun);
                parts.Add(plural + (kind == SchemaDriftKind.PropertyTypeConverted ? " converted" : " not in the model"));
            }
        }
    }
}
