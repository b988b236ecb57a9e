using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// The migration operations that turn the schema of one model into another's, for <c>dotnet ef migrations add</c>: what
/// EF's relational differ does, over what an EFCore.Lsm database stores (tables, columns with their stored types,
/// nullability and defaults, primary keys, indexes, seed data), from the models directly — the provider has no relational
/// model. Tables and columns are matched by entity type and name first, then, as EF does, by structure: a table whose
/// entity type was renamed with the same key and most columns, a column that disappeared while one of the same type and
/// nullability appeared, are renames, so the rows keep their data. The operations are EF's own, so EF's C# generator
/// writes them, and <see cref="Migrations.Internal.OperationInterpreter"/> runs them.
/// </summary>
internal static class LsmModelDiffer
{
    public static List<MigrationOperation> Diff(IModel? source, IModel? target)
    {
        var from = Tables(source);
        var to = Tables(target);
        var pairs = Match(from, to);
        var operations = new Phases();

        foreach (var old in from.Where(t => !pairs.ContainsKey(t)))
        {
            operations.DropTables.Add(new DropTableOperation { Name = old.Name });
        }

        foreach (var (old, @new) in pairs)
        {
            DiffTable(old, @new, operations);
        }

        foreach (var @new in to.Where(t => !pairs.ContainsValue(t)))
        {
            operations.CreateTables.Add(new CreateTableOperation
            {
                Name = @new.Name,
                PrimaryKey = new AddPrimaryKeyOperation { Name = "PK_" + @new.Name, Table = @new.Name, Columns = [.. @new.Key] },
            });
            var create = operations.CreateTables[^1];
            foreach (var column in @new.Columns)
            {
                create.Columns.Add(AddColumn(@new.Name, column, newTable: true));
            }

            foreach (var index in @new.Indexes)
            {
                operations.CreateIndexes.Add(CreateIndex(@new.Name, index));
            }

            foreach (var row in @new.Seed)
            {
                operations.Inserts.Add(Insert(@new, row));
            }
        }

        return operations.All();
    }

    private static void DiffTable(Table old, Table @new, Phases operations)
    {
        if (old.Name != @new.Name || old.EntityName != @new.EntityName)
        {
            operations.RenameTables.Add(new RenameTableOperation { Name = old.Name, NewName = @new.Name });
        }

        var table = @new.Name;
        CheckElementMembers(old, @new);
        var columnPairs = new Dictionary<Column, Column>();
        var added = @new.Columns.ToList();
        var removed = old.Columns.ToList();
        foreach (var column in old.Columns)
        {
            if (added.FirstOrDefault(c => c.Name == column.Name) is { } same)
            {
                columnPairs[column] = same;
                added.Remove(same);
                removed.Remove(column);
            }
        }

        // A column that went away and one of the same stored type and nullability that appeared, with no other candidate
        // either way, are one column renamed.
        foreach (var column in removed.ToList())
        {
            var candidates = added.Where(c => SameStructure(c, column)).ToList();
            if (candidates.Count == 1 && removed.Count(c => SameStructure(c, candidates[0])) == 1)
            {
                operations.RenameColumns.Add(new RenameColumnOperation { Name = column.Name, Table = table, NewName = candidates[0].Name });
                columnPairs[column] = candidates[0];
                added.Remove(candidates[0]);
                removed.Remove(column);
            }
        }

        var keyChanged = !old.Key.Select(k => Renamed(k, old, columnPairs)).SequenceEqual(@new.Key);
        var oldIndexes = old.Indexes.Select(i => i with { Columns = [.. i.Columns.Select(c => Renamed(c, old, columnPairs))] }).ToList();
        foreach (var index in oldIndexes)
        {
            var match = @new.Indexes.FirstOrDefault(i => i.Name == index.Name);
            if (match is not null && match.SameDefinition(index))
            {
                continue;
            }

            var renamed = @new.Indexes.FirstOrDefault(i => i.SameDefinition(index) && oldIndexes.All(o => o.Name != i.Name));
            if (match is null && renamed is not null)
            {
                operations.RenameIndexes.Add(new RenameIndexOperation { Name = index.Name, NewName = renamed.Name, Table = table });
                continue;
            }

            operations.DropIndexes.Add(new DropIndexOperation { Name = index.Name, Table = old.Name });
        }

        foreach (var index in @new.Indexes)
        {
            var existing = oldIndexes.FirstOrDefault(i => i.Name == index.Name);
            var renamedFrom = oldIndexes.FirstOrDefault(i => i.SameDefinition(index) && @new.Indexes.All(n => n.Name != i.Name));
            if ((existing is not null && existing.SameDefinition(index)) || (existing is null && renamedFrom is not null))
            {
                continue;
            }

            operations.CreateIndexes.Add(CreateIndex(table, index));
        }

        if (keyChanged)
        {
            operations.DropKeys.Add(new DropPrimaryKeyOperation { Name = "PK_" + old.Name, Table = old.Name });
            operations.AddKeys.Add(new AddPrimaryKeyOperation { Name = "PK_" + table, Table = table, Columns = [.. @new.Key] });
        }

        foreach (var column in removed)
        {
            operations.DropColumns.Add(new DropColumnOperation { Name = column.Name, Table = table });
        }

        foreach (var (was, now) in columnPairs)
        {
            if (was.Type != now.Type || was.Nullable != now.Nullable || !Equals(was.Default, now.Default))
            {
                var alter = new AlterColumnOperation
                {
                    Name = now.Name,
                    Table = table,
                    ClrType = now.Type,
                    IsNullable = now.Nullable,
                    DefaultValue = now.Default,
                    OldColumn = new AddColumnOperation
                    {
                        Name = was.Name, Table = table, ClrType = was.Type, IsNullable = was.Nullable, DefaultValue = was.Default,
                    },
                };
                operations.AlterColumns.Add(alter);
            }
        }

        foreach (var column in added)
        {
            operations.AddColumns.Add(AddColumn(table, column));
        }

        DiffSeed(old, @new, columnPairs, operations);
    }

    /// <summary>
    /// Refuses, naming it, a change to a complex collection's elements that no migration operation expresses: a member dropped
    /// from the element type, or one whose stored type changed. Each element map stores its members' values (by id), and an
    /// operation on the table's columns reaches none of them; the database then refuses saves of the table's rows, which
    /// would lose the dropped member's values or hold values of the old type. A collection or member that is added needs no
    /// operation (rows without it read it as empty, null or the member's default), nor does a dropped collection: its stored
    /// values stay in the rows, saves carry them over, and a model that has it again reads them.
    /// </summary>
    private static void CheckElementMembers(Table old, Table @new)
    {
        var collections = @new.ElementMembers.Select(m => m.Collection).ToHashSet(StringComparer.Ordinal);
        foreach (var member in old.ElementMembers.Where(m => collections.Contains(m.Collection)))
        {
            var now = @new.ElementMembers.FirstOrDefault(m => m.StoredName == member.StoredName);
            if (now is null)
            {
                throw new NotSupportedException(
                    $"The member '{member.StoredName}' of the elements of the complex collection '{member.DisplayName}' (table "
                    + $"'{@new.Name}') is no longer in the model: EFCore.Lsm migrations do not remove members of complex collection "
                    + "elements, which are stored inside the collection's value in each row. Keep the member in the element type "
                    + "(its stored values read again).");
            }

            if (now.ProviderType != member.ProviderType)
            {
                throw new NotSupportedException(
                    $"The member '{member.StoredName}' of the elements of the complex collection '{now.DisplayName}' (table "
                    + $"'{@new.Name}') is stored as {member.ProviderType} and the model maps it to {now.ProviderType}: EFCore.Lsm "
                    + "migrations do not convert members of complex collection elements. Add a member with another name for the "
                    + "new type and keep the old one in the element type.");
            }
        }
    }

    private static void DiffSeed(Table old, Table @new, Dictionary<Column, Column> columnPairs, Phases operations)
    {
        string Key(Table table, IReadOnlyDictionary<string, object?> row) =>
            string.Join("\u0001", table.Key.Select(k => Format(row.GetValueOrDefault(k))));

        var oldRows = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        foreach (var row in old.Seed)
        {
            var renamed = row.ToDictionary(
                kv => columnPairs.FirstOrDefault(p => p.Key.Name == kv.Key).Value?.Name ?? kv.Key, kv => kv.Value, StringComparer.Ordinal);
            oldRows[Key(@new, renamed)] = renamed;
        }

        foreach (var row in @new.Seed)
        {
            var key = Key(@new, row);
            if (!oldRows.Remove(key, out var before))
            {
                operations.Inserts.Add(Insert(@new, row));
                continue;
            }

            var changed = @new.Columns.Where(c => !@new.Key.Contains(c.Name) && !Equals(Format(before.GetValueOrDefault(c.Name)), Format(row.GetValueOrDefault(c.Name))))
                .ToList();
            if (changed.Count > 0)
            {
                operations.Updates.Add(new UpdateDataOperation
                {
                    Table = @new.Name,
                    KeyColumns = [.. @new.Key],
                    KeyValues = Matrix(@new.Key.Select(k => row.GetValueOrDefault(k))),
                    Columns = [.. changed.Select(c => c.Name)],
                    Values = Matrix(changed.Select(c => row.GetValueOrDefault(c.Name))),
                });
            }
        }

        foreach (var row in oldRows.Values)
        {
            operations.Deletes.Add(new DeleteDataOperation
            {
                Table = old.Name,
                KeyColumns = [.. old.Key],
                KeyValues = Matrix(old.Key.Select(k => row.GetValueOrDefault(columnPairs.FirstOrDefault(p => p.Key.Name == k).Value?.Name ?? k))),
            });
        }
    }

    private static InsertDataOperation Insert(Table table, IReadOnlyDictionary<string, object?> row)
    {
        var columns = table.Columns.Where(c => row.ContainsKey(c.Name)).Select(c => c.Name).ToArray();
        return new InsertDataOperation { Table = table.Name, Columns = columns, Values = Matrix(columns.Select(c => row[c])) };
    }

    private static object?[,] Matrix(IEnumerable<object?> values)
    {
        var list = values.ToList();
        var matrix = new object?[1, list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            matrix[0, i] = list[i];
        }

        return matrix;
    }

    private static AddColumnOperation AddColumn(string table, Column column, bool newTable = false) =>
        new()
        {
            Name = column.Name,
            Table = table,
            ClrType = column.Type,
            IsNullable = column.Nullable,

            // As EF does, a non-nullable column added to a table with rows needs a value for them: its default, or the CLR one.
            DefaultValue = column.Default ?? (column.Nullable || newTable ? null : DefaultOf(column.Type)),
        };

    private static CreateIndexOperation CreateIndex(string table, Index index) =>
        new()
        {
            Name = index.Name,
            Table = table,
            Columns = [.. index.Columns],
            IsUnique = index.Unique,
            IsDescending = index.Descending.Any(d => d) ? [.. index.Descending] : null,
        };

    private static object? DefaultOf(Type type) =>
        type == typeof(string) ? "" : type == typeof(byte[]) ? Array.Empty<byte>() : type.IsValueType ? Activator.CreateInstance(type) : null;

    private static bool SameStructure(Column a, Column b) => a.Type == b.Type && a.Nullable == b.Nullable;

    private static string Renamed(string column, Table old, Dictionary<Column, Column> pairs) =>
        pairs.FirstOrDefault(p => p.Key.Name == column).Value?.Name ?? column;

    private static string Format(object? value) => Migrations.Internal.StoredValues.Format(value);

    /// <summary>Tables matched by entity type name, then by table name, then (a renamed entity type) by key and columns.</summary>
    private static Dictionary<Table, Table> Match(List<Table> from, List<Table> to)
    {
        var pairs = new Dictionary<Table, Table>();
        foreach (Func<Table, Table, bool> rule in new Func<Table, Table, bool>[]
                 {
                     (a, b) => a.EntityName == b.EntityName,
                     (a, b) => a.Name == b.Name,
                     (a, b) => a.Key.SequenceEqual(b.Key)
                         && a.Columns.Count(c => b.Columns.Any(d => d.Name == c.Name && SameStructure(c, d))) * 2 >= a.Columns.Count,
                 })
        {
            foreach (var a in from.Where(t => !pairs.ContainsKey(t)))
            {
                var candidates = to.Where(b => !pairs.ContainsValue(b) && rule(a, b)).ToList();
                if (candidates.Count == 1)
                {
                    pairs[a] = candidates[0];
                }
            }
        }

        return pairs;
    }

    private sealed record Column(string Name, Type Type, bool Nullable, object? Default);

    private sealed record Index(string Name, IReadOnlyList<string> Columns, bool Unique, IReadOnlyList<bool> Descending)
    {
        public bool SameDefinition(Index other) =>
            Columns.SequenceEqual(other.Columns) && Unique == other.Unique && Descending.SequenceEqual(other.Descending);
    }

    private sealed record Table(
        string Name, string EntityName, List<Column> Columns, List<string> Key, List<Index> Indexes, List<Dictionary<string, object?>> Seed)
    {
        /// <summary>
        /// The members of the elements of the table's complex collections, by stored name (<c>Lines[].Product</c>): no columns,
        /// since each travels inside its collection's value in the row (docs/row_encoding.md, "Complex collections").
        /// </summary>
        public List<ElementMember> ElementMembers { get; init; } = [];
    }

    /// <summary>A member of a complex collection's element type: its stored name, its collection's and its stored type.</summary>
    private sealed record ElementMember(string StoredName, string Collection, string DisplayName, string ProviderType);

    private static List<Table> Tables(IModel? model)
    {
        var tables = new List<Table>();
        if (model is null)
        {
            return tables;
        }

        foreach (var entityType in model.GetEntityTypes().Where(LsmCatalog.HasKeyspace).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            // A hierarchy is one table (TPH): every stored property of its types is a column; a derived type's columns are
            // nullable, since the other types' rows have no value for them, and so are the members of optional owned and
            // complex values (LsmRowLayout.IsAbsentFromSomeRows).
            var stored = LsmRowLayout.For(entityType).ColumnProperties.Select(p => p.Property).ToList();
            if (stored.GroupBy(LsmTableNames.ColumnOf).FirstOrDefault(g => g.Count() > 1) is { } shared)
            {
                throw new NotSupportedException(
                    $"Migrations of the table '{LsmTableNames.Of(entityType)}': the column '{shared.Key}' maps to properties of "
                    + $"{string.Join(", ", shared.Select(p => "'" + p.DeclaringType.DisplayName() + "'"))}, types of the hierarchy of "
                    + $"entity type '{entityType.DisplayName()}' that each store it under an id of their own (TPH); EFCore.Lsm cannot "
                    + "map one column to several of them. Give the properties distinct names or column names (HasColumnName).");
            }

            var columns = stored
                .Select(p => new Column(
                    LsmTableNames.ColumnOf(p), Stored(p), p.IsNullable || LsmRowLayout.IsAbsentFromSomeRows(p, entityType), DefaultValue(p)))
                .ToList();
            var key = entityType.FindPrimaryKey()?.Properties.Select(LsmTableNames.ColumnOf).ToList() ?? [];
            var hierarchy = LsmRowLayout.HierarchyOf(entityType).ToList();
            var indexes = hierarchy.SelectMany(t => t.GetDeclaredIndexes())
                .Select(i => new Index(
                    LsmCatalog.IndexName(i),
                    [.. i.Properties.Select(LsmTableNames.ColumnOf)],
                    i.IsUnique,
                    [.. i.Properties.Select((_, n) => LsmCatalog.IsDescending(i, n))]))
                .ToList();
            var discriminator = entityType.FindDiscriminatorProperty() as IProperty;
            var seed = hierarchy
                .SelectMany(t => t.GetSeedData().Select(row =>
                {
                    var values = row.ToDictionary(
                        kv => LsmTableNames.ColumnOf(t.FindProperty(kv.Key)!),
                        kv => ToProvider(t.FindProperty(kv.Key)!, kv.Value),
                        StringComparer.Ordinal);

                    // A derived type's seed rows say their type through the discriminator, as EF's relational differ writes them.
                    if (discriminator is not null && hierarchy.Count > 1 && !values.ContainsKey(LsmTableNames.ColumnOf(discriminator)))
                    {
                        values[LsmTableNames.ColumnOf(discriminator)] = ToProvider(discriminator, t.GetDiscriminatorValue());
                    }

                    return values;
                }))
                .ToList();
            var layout = LsmRowLayout.For(entityType);
            var elementMembers = layout.ComplexCollections
                .SelectMany(c => c.Members.Select(m => new ElementMember(
                    m.Path, c.StoredName, c.Property.DeclaringType.DisplayName() + "." + c.Property.Name, LsmCatalog.ProviderTypeName(m.Member))))
                .ToList();
            tables.Add(new Table(LsmTableNames.Of(entityType), entityType.Name, columns, key, indexes, seed) { ElementMembers = elementMembers });
        }

        return tables;
    }

    // The stored type (after value conversion), without Nullable: what the operation's ClrType says, as EF writes it.
    private static Type Stored(IProperty property)
    {
        var type = property.GetValueConverter()?.ProviderClrType ?? property.FindTypeMapping()?.Converter?.ProviderClrType ?? property.ClrType;
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    private static object? DefaultValue(IProperty property) =>
        property.FindAnnotation(LsmTableNames.DefaultValueAnnotation)?.Value is { } value and not DBNull ? ToProvider(property, value) : null;

    private static object? ToProvider(IProperty property, object? value)
    {
        var converter = property.GetValueConverter() ?? property.FindTypeMapping()?.Converter;
        return value is null || converter is null ? value : converter.ConvertToProvider(value);
    }

    /// <summary>Operations in the order EF's differ emits them: drops before the changes they would block, data last.</summary>
    private sealed class Phases
    {
        public List<MigrationOperation> Deletes { get; } = [];

        public List<MigrationOperation> DropIndexes { get; } = [];

        public List<MigrationOperation> DropKeys { get; } = [];

        public List<MigrationOperation> DropTables { get; } = [];

        public List<MigrationOperation> RenameTables { get; } = [];

        public List<MigrationOperation> RenameColumns { get; } = [];

        public List<MigrationOperation> RenameIndexes { get; } = [];

        public List<MigrationOperation> DropColumns { get; } = [];

        public List<MigrationOperation> AlterColumns { get; } = [];

        public List<MigrationOperation> AddColumns { get; } = [];

        public List<CreateTableOperation> CreateTables { get; } = [];

        public List<MigrationOperation> AddKeys { get; } = [];

        public List<MigrationOperation> CreateIndexes { get; } = [];

        public List<MigrationOperation> Updates { get; } = [];

        public List<MigrationOperation> Inserts { get; } = [];

        public List<MigrationOperation> All() =>
        [
            .. Deletes, .. DropIndexes, .. DropKeys, .. DropTables, .. RenameTables, .. RenameColumns, .. RenameIndexes,
            .. DropColumns, .. AlterColumns, .. AddColumns, .. CreateTables, .. AddKeys, .. CreateIndexes, .. Updates, .. Inserts,
        ];
    }
}
