using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm tables &lt;db&gt;</c>: the entity types of an EF database, from its catalog: keyspace id, key schema, row count,
/// indexes (parts, uniqueness, keyspace, state, entry count) and retired properties. Counting reads every key of every
/// keyspace (values are not decoded).
/// </summary>
internal sealed class TablesCommand(ToolOutput output)
{
    public int Run(string database) => CommandRunner.Run(output, () =>
    {
        using var db = EntityDatabase.Open(database);
        var w = output.Out;
        w.WriteLine($"Database      {db.Path}");
        w.WriteLine($"Entity types  {db.Schema.Entities.Count} (next keyspace id {db.Schema.Catalog.NextKeyspaceId})");
        w.WriteLine();

        var table = new TextTable(w, ["entity type", "keyspace", "rows", "key", "indexes", "retired properties"]);
        foreach (var entity in db.Schema.Entities)
        {
            var rows = Count(db, entity.ShortName + " rows", entity.KeyspaceLowerBound, entity.KeyspaceUpperBound);
            var indexes = entity.Catalog.Indexes.Count == 0
                ? "none"
                : string.Join("; ", entity.Catalog.Indexes.Select(index =>
                {
                    var lower = Metadata.Internal.CatalogKeys.KeyspacePrefix(index.KeyspaceId);
                    var entries = Count(db, index.Name + " entries", lower, KeyEncoding.Internal.KeyRange.AfterParts(lower));
                    return entity.DescribeIndex(index) + $", {entries} entries";
                }));
            var retired = entity.Retired.Count == 0
                ? "-"
                : string.Join(", ", entity.Retired.Select(p => $"{p.Name} (#{p.Id} {StoredEntity.ShortTypeName(p.ProviderType)})"));
            table.Add(entity.Name, entity.KeyspaceId.ToString(Invariant), rows.ToString(Invariant), entity.DescribeKey(), indexes, retired);
        }

        table.Flush();
        return ExitCodes.Success;
    });

    private long Count(EntityDatabase db, string what, byte[] lower, byte[] upper)
    {
        long count = 0;
        output.Progress.Run("Counting " + what, 0, _ =>
        {
            using var cursor = db.View.Scan(lower, upper);
            while (cursor.MoveNext())
            {
                count++;
            }
        });
        return count;
    }

    private static IFormatProvider Invariant => System.Globalization.CultureInfo.InvariantCulture;
}
