using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm tables &lt;db&gt;</c>: the entity types of an EF database, from its catalog: keyspace id, key schema, row count,
/// indexes and retired properties. Counting reads every row key of every keyspace (keys only are compared, values are
/// not decoded).
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
            long rows = 0;
            output.Progress.Run($"Counting {entity.ShortName} rows", 0, _ =>
            {
                using var cursor = db.View.Scan(entity.KeyspaceLowerBound, entity.KeyspaceUpperBound);
                while (cursor.MoveNext())
                {
                    rows++;
                }
            });

            // The catalog format records no index keyspaces yet (docs/catalog.md): every entity type has none.
            var retired = entity.Retired.Count == 0
                ? "-"
                : string.Join(", ", entity.Retired.Select(p => $"{p.Name} (#{p.Id} {StoredEntity.ShortTypeName(p.ProviderType)})"));
            table.Add(entity.Name, entity.KeyspaceId.ToString(Invariant), rows.ToString(Invariant), entity.DescribeKey(), "none", retired);
        }

        table.Flush();
        return ExitCodes.Success;
    });

    private static IFormatProvider Invariant => System.Globalization.CultureInfo.InvariantCulture;
}
