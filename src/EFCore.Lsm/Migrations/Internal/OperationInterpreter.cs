using MessagePack;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// What each EF migration operation does to the key schemas of an EFCore.Lsm database (the table in docs/migrations.md):
/// catalog-only changes (renames, added and dropped columns, dropped indexes) change records; changes of what keys or values
/// hold (a new primary key, a type conversion, seed data, custom steps) rebuild the table into a new keyspace; new indexes
/// are built from the rows. All of it lands in the session and becomes visible in its one switch.
/// </summary>
internal sealed class OperationInterpreter(MigrationSession session)
{
    public void Apply(MigrationOperation operation)
    {
        switch (operation)
        {
            case CreateTableOperation create:
                CreateTable(create);
                break;
            case DropTableOperation drop:
                session.Drop(session.Table(drop.Name, "DropTable"));
                break;
            case RenameTableOperation rename:
                RenameTable(rename);
                break;
            case AddColumnOperation add:
                AddColumn(ColumnTable(add.Table, add.Name, "AddColumn"), add);
                break;
            case DropColumnOperation drop:
                DropColumn(drop);
                break;
            case RenameColumnOperation rename:
                RenameColumn(rename);
                break;
            case AlterColumnOperation alter:
                AlterColumn(alter);
                break;
            case DropPrimaryKeyOperation drop:
                session.Table(drop.Table, "DropPrimaryKey").KeyPending = true;
                break;
            case AddPrimaryKeyOperation add:
                AddPrimaryKey(add);
                break;
            case CreateIndexOperation create:
                CreateIndex(session.Table(create.Table, "CreateIndex"), create);
                break;
            case DropIndexOperation drop:
                DropIndex(drop);
                break;
            case RenameIndexOperation rename:
                RenameIndex(rename);
                break;
            case InsertDataOperation insert:
                InsertData(insert);
                break;
            case DeleteDataOperation delete:
                DeleteData(delete);
                break;
            case UpdateDataOperation update:
                UpdateData(update);
                break;
            case LsmCustomOperation custom:
                custom.Apply(new LsmMigrationContext(session, this));
                break;
            case AddForeignKeyOperation or DropForeignKeyOperation:
                // Relationships are the model's: the provider enforces them from the model at save time (and EF's index per
                // foreign key comes as its own CreateIndex), so the store records nothing for the constraint itself.
                break;
            case AlterDatabaseOperation or AlterTableOperation:
                // Collations, comments and provider annotations: the store has none of them.
                break;
            case SqlOperation sql:
                throw new NotSupportedException(
                    $"migrationBuilder.Sql(\"{Truncate(sql.Sql)}\"): an EFCore.Lsm database has no SQL. Write the step as "
                    + "migrationBuilder.LsmOperation(description, context => ...), a C# callback over the rows.");
            default:
                throw new NotSupportedException(
                    $"The migration operation {operation.GetType().Name} is not supported by EFCore.Lsm (docs/migrations.md lists the "
                    + "operations and what each does to keys).");
        }
    }

    private void CreateTable(CreateTableOperation create)
    {
        if (session.FindTable(create.Name) is not null)
        {
            throw new InvalidOperationException($"CreateTable: the EFCore.Lsm database already has a table '{create.Name}'.");
        }

        if (create.UniqueConstraints.Count > 0 || create.CheckConstraints.Count > 0)
        {
            throw new NotSupportedException(
                $"CreateTable '{create.Name}': unique and check constraints are not stored by EFCore.Lsm; use a unique index "
                + "(CreateIndex with unique: true) instead of a unique constraint.");
        }

        // A table no model knows (a later migration renames it to one) is recorded under its table name until then.
        var name = EntityName(create.Name, fallback: create.Name);
        if (session.FindEntity(name) is not null)
        {
            throw new InvalidOperationException(
                $"CreateTable '{create.Name}': the EFCore.Lsm database already has the entity type '{name}' (under another table name).");
        }

        var entity = new StagedEntity(
            null,
            new CatalogEntity(name, session.NewKeyspaceId(), RowFormat.CurrentVersion, 1, [], []) { TableName = create.Name })
        {
            Changed = true,
        };
        session.Add(entity);
        foreach (var column in create.Columns)
        {
            AddColumn(entity, column);
        }

        if (create.PrimaryKey is null)
        {
            throw new InvalidOperationException(
                $"CreateTable '{create.Name}' has no primary key; EFCore.Lsm stores every row under its primary key.");
        }

        entity.Record = entity.Record with { KeyParts = KeyParts(entity, create.PrimaryKey.Columns, "CreateTable") };
    }

    private void RenameTable(RenameTableOperation rename)
    {
        var entity = session.Table(rename.Name, "RenameTable");
        var newTable = rename.NewName ?? rename.Name;
        var newName = EntityName(newTable, fallback: entity.Record.Name);
        session.Rename(entity, newName, newTable);
    }

    private void AddColumn(StagedEntity entity, AddColumnOperation add)
    {
        var record = entity.Record;
        var propertyName = PropertyName(record.DisplayTableName, add.Name, "AddColumn");
        var providerType = ProviderTypeOf(record.Name, propertyName, add.ClrType);
        var defaults = record.Defaults.ToList();
        CatalogProperty property;
        if (record.FindProperty(propertyName) is { } existing)
        {
            // A property the model had dropped without a migration kept its values: adding it back brings them back.
            if (existing.ProviderType != providerType)
            {
                throw new InvalidOperationException(
                    $"AddColumn '{add.Name}' on '{record.DisplayTableName}': the table already has stored values of that column as "
                    + $"{existing.ProviderType}, not {providerType}; use AlterColumn to convert them.");
            }

            property = existing;
        }
        else
        {
            property = new CatalogProperty(record.NextPropertyId, propertyName, providerType, Retired: false);
            record = record with { NextPropertyId = record.NextPropertyId + 1, Properties = [.. record.Properties, property] };
        }

        // A member of an owned reference is a pair of the nested map stored under the reference's id (docs/row_encoding.md,
        // "Owned values"): the references on its path get ids too, as registering the model gives them. No row changes: a row
        // whose owned value is null has no map, and a map without the member reads it as its default.
        record = WithOwnedReferences(record, propertyName, $"AddColumn '{add.Name}' on '{record.DisplayTableName}'");

        defaults.RemoveAll(d => d.PropertyId == property.Id);
        if (add.DefaultValue is { } value and not DBNull)
        {
            var coerced = StoredValues.Coerce(value, session.Values.TypeOf(providerType), $"the default of column '{add.Name}'");
            defaults.Add(new CatalogDefault(property.Id, session.Values.EncodeValue(providerType, coerced)));
        }

        if (add.DefaultValueSql is not null || add.ComputedColumnSql is not null)
        {
            throw new NotSupportedException(
                $"AddColumn '{add.Name}' on '{record.DisplayTableName}': SQL defaults and computed columns need SQL, which an EFCore.Lsm "
                + "database does not have; give a defaultValue.");
        }

        entity.Record = record with { Defaults = defaults };
        entity.Changed = true;
    }

    /// <summary>
    /// The table of a column operation. The table EF's relational mapping would give an owned collection's elements (the
    /// element type's table name) is refused naming the collection: its elements are an array inside the owner's row.
    /// </summary>
    private StagedEntity ColumnTable(string table, string column, string what)
    {
        if (session.FindTable(table) is { } entity)
        {
            return entity;
        }

        foreach (var model in session.Models)
        {
            if (model?.GetEntityTypes().FirstOrDefault(e => e.IsOwned() && e.FindOwnership() is { IsUnique: false } && LsmTableNames.Of(e) == table)
                is { } element)
            {
                var ownership = element.FindOwnership()!;
                throw OwnedRowValues.OwnedCollectionMember(
                    $"{what} '{column}' on '{table}'",
                    column,
                    ownership.PrincipalEntityType.DisplayName() + "." + ownership.PrincipalToDependent?.Name,
                    LsmTableNames.Of(ownership.PrincipalEntityType));
            }
        }

        return session.Table(table, what);
    }

    /// <summary>The owned references a stored name's value is nested in (<c>Home/Geo</c> for <c>Home/Geo/Latitude</c>), "" for the row.</summary>
    private static string OwnerPath(string storedName) =>
        storedName.LastIndexOf(LsmRowLayout.PathSeparator) is var cut and > 0 ? storedName[..cut] : "";

    /// <summary><paramref name="record"/> with a record for each owned reference on the path of <paramref name="storedName"/> it lacks.</summary>
    private static CatalogEntity WithOwnedReferences(CatalogEntity record, string storedName, string what)
    {
        for (var cut = storedName.IndexOf(LsmRowLayout.PathSeparator); cut > 0; cut = storedName.IndexOf(LsmRowLayout.PathSeparator, cut + 1))
        {
            var navigation = storedName[..cut];
            if (record.FindProperty(navigation) is { } existing)
            {
                if (existing.ProviderType != CatalogProperty.OwnedReferenceType)
                {
                    throw OwnedRowValues.OwnedCollectionMember(what, storedName, navigation, record.DisplayTableName);
                }

                continue;
            }

            record = record with
            {
                NextPropertyId = record.NextPropertyId + 1,
                Properties = [.. record.Properties, new CatalogProperty(record.NextPropertyId, navigation, CatalogProperty.OwnedReferenceType, Retired: false)],
            };
        }

        return record;
    }

    private void DropColumn(DropColumnOperation drop)
    {
        var entity = ColumnTable(drop.Table, drop.Name, "DropColumn");
        var property = Property(entity, drop.Name, "DropColumn");
        var record = entity.Record;
        if (record.KeyParts.Any(k => k.PropertyId == property.Id) && !entity.KeyPending)
        {
            throw new InvalidOperationException(
                $"DropColumn '{drop.Name}' on '{record.DisplayTableName}': the column is part of the primary key; change the key first.");
        }

        if (record.Indexes.FirstOrDefault(i => i.PropertyIds.Contains(property.Id)) is { } index)
        {
            throw new InvalidOperationException(
                $"DropColumn '{drop.Name}' on '{record.DisplayTableName}': the index '{index.Name}' uses it; drop the index first.");
        }

        // Retired: readers skip its values from now on and its id is never reused; the rows are not rewritten. An owned
        // reference left with no live member is retired too (its nested maps then hold only retired values), as the model
        // that dropped the owned type has no navigation for it.
        var retired = new HashSet<uint> { property.Id };
        var live = record.Properties.Where(p => !p.Retired && p.Id != property.Id).ToList();
        for (var cut = property.Name.LastIndexOf(LsmRowLayout.PathSeparator); cut > 0; cut = property.Name.LastIndexOf(LsmRowLayout.PathSeparator, cut - 1))
        {
            var prefix = property.Name[..(cut + 1)];
            if (live.Any(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)) || live.Find(p => p.Name == prefix[..^1]) is not { } navigation)
            {
                break;
            }

            retired.Add(navigation.Id);
            live.Remove(navigation);
        }

        entity.Record = record with
        {
            Properties = [.. record.Properties.Select(p => retired.Contains(p.Id) ? p with { Retired = true } : p)],
            Defaults = [.. record.Defaults.Where(d => d.PropertyId != property.Id)],
        };
        entity.Changed = true;
    }

    private void RenameColumn(RenameColumnOperation rename)
    {
        var entity = ColumnTable(rename.Table, rename.Name, "RenameColumn");
        var property = Property(entity, rename.Name, "RenameColumn");
        var newName = PropertyName(entity.Record.DisplayTableName, rename.NewName, "RenameColumn");
        if (entity.Record.FindProperty(newName) is not null)
        {
            throw new InvalidOperationException(
                $"RenameColumn '{rename.Name}' on '{entity.Record.DisplayTableName}': the table already has a column '{newName}'.");
        }

        // The id, and so the values, stay where they are: in the row, or in the nested map of an owned reference. A new name in
        // another map would leave the values behind.
        if (OwnerPath(property.Name) != OwnerPath(newName))
        {
            throw new NotSupportedException(
                $"RenameColumn '{rename.Name}' on '{entity.Record.DisplayTableName}' to '{rename.NewName}': '{property.Name}' and "
                + $"'{newName}' are stored in different maps of the row (an owned reference's nested map or the row itself); "
                + "EFCore.Lsm renames a column only within its map. Add the new column, copy the values (LsmOperation), then drop "
                + "the old one.");
        }

        entity.Record = entity.Record with
        {
            Properties = [.. entity.Record.Properties.Select(p => p.Id == property.Id ? p with { Name = newName } : p)],
        };
        entity.Changed = true;
    }

    private void AlterColumn(AlterColumnOperation alter)
    {
        var entity = ColumnTable(alter.Table, alter.Name, "AlterColumn");
        var property = Property(entity, alter.Name, "AlterColumn");
        var record = entity.Record;
        var newType = ProviderTypeOf(record.Name, property.Name, alter.ClrType);
        var defaults = record.Defaults.Where(d => d.PropertyId != property.Id).ToList();
        if (alter.DefaultValue is { } value and not DBNull)
        {
            defaults.Add(new CatalogDefault(
                property.Id,
                session.Values.EncodeValue(newType, StoredValues.Coerce(value, session.Values.TypeOf(newType), $"the default of '{alter.Name}'"))));
        }

        var changed = record with
        {
            Properties = [.. record.Properties.Select(p => p.Id == property.Id ? p with { ProviderType = newType } : p)],
            KeyParts = [.. record.KeyParts.Select(k => k.PropertyId == property.Id ? k with { ProviderType = newType } : k)],
            Defaults = defaults,
        };

        var oldType = session.Values.TypeOf(property.ProviderType);
        var toType = session.Values.TypeOf(newType);
        var what = $"AlterColumn '{alter.Name}' on '{record.DisplayTableName}'";
        if (!alter.IsNullable)
        {
            CheckNoNulls(entity, property, what);
        }

        if (oldType == toType)
        {
            entity.Record = changed;
            entity.Changed = true;
            return;
        }

        if (IsInteger(oldType) && IsInteger(toType))
        {
            // Integers have one encoding whatever their width, in keys and in rows: only the range can stop the change.
            CheckEveryValue(entity, property, what, v => StoredValues.Coerce(v, toType, what));
            entity.Record = changed;
            entity.Changed = true;
            return;
        }

        var oldCodec = session.Values.CodecOf(property.ProviderType);
        var codec = session.Values.CodecOf(newType);
        var rekey = record.KeyParts.Any(k => k.PropertyId == property.Id);

        // A member of an owned reference is converted inside its nested map; a row whose owned value is null has none.
        var path = OwnedRowValues.PathOf(record, property.Name, what) ?? [];
        session.Rewrite(
            entity,
            changed,
            (_, row) => OwnedRowValues.UpdateMap(row, path, map => ReplaceValue(map, property.Id, v => Convert(v, oldType, toType, what), oldCodec, codec)),
            rekey,
            what);
    }

    private void AddPrimaryKey(AddPrimaryKeyOperation add)
    {
        var entity = session.Table(add.Table, "AddPrimaryKey");
        var parts = KeyParts(entity, add.Columns, "AddPrimaryKey");
        entity.KeyPending = false;
        if (parts.SequenceEqual(entity.Record.KeyParts))
        {
            return;
        }

        // A new primary key re-keys every row into a new keyspace (the values are copied byte for byte) and rebuilds the indexes.
        session.Rewrite(entity, entity.Record with { KeyParts = parts }, transform: null, rekey: true,
            $"AddPrimaryKey ({string.Join(", ", add.Columns)}) on '{add.Table}'");
    }

    private void CreateIndex(StagedEntity entity, CreateIndexOperation create)
    {
        if (create.Filter is not null)
        {
            throw new NotSupportedException(
                $"CreateIndex '{create.Name}' on '{create.Table}': filtered indexes (HasFilter) are not supported by EFCore.Lsm.");
        }

        if (entity.Record.Indexes.Any(i => i.Name == create.Name))
        {
            throw new InvalidOperationException($"CreateIndex: the table '{create.Table}' already has an index '{create.Name}'.");
        }

        var ids = create.Columns.Select(c => Property(entity, c, "CreateIndex").Id).ToArray();
        var descending = create.IsDescending is null
            ? new bool[ids.Length]
            : create.IsDescending.Length == 0 ? Enumerable.Repeat(true, ids.Length).ToArray() : create.IsDescending;
        entity.Record = entity.Record with
        {
            Indexes = [.. entity.Record.Indexes, new CatalogIndex(create.Name, 0, ids, descending, create.IsUnique, CatalogIndexState.Ready)],
        };
        entity.Changed = true;
    }

    private void DropIndex(DropIndexOperation drop)
    {
        var entity = drop.Table is null
            ? session.Entities.FirstOrDefault(e => e.Record.Indexes.Any(i => i.Name == drop.Name))
            : session.Table(drop.Table, "DropIndex");
        if (entity is null || entity.Record.Indexes.All(i => i.Name != drop.Name))
        {
            throw new InvalidOperationException($"DropIndex: the EFCore.Lsm database has no index '{drop.Name}' on '{drop.Table}'.");
        }

        entity.Record = entity.Record with { Indexes = [.. entity.Record.Indexes.Where(i => i.Name != drop.Name)] };
        entity.Changed = true;
    }

    private void RenameIndex(RenameIndexOperation rename)
    {
        var entity = rename.Table is null
            ? session.Entities.FirstOrDefault(e => e.Record.Indexes.Any(i => i.Name == rename.Name))
            : session.Table(rename.Table, "RenameIndex");
        if (entity is null || entity.Record.Indexes.All(i => i.Name != rename.Name))
        {
            throw new InvalidOperationException($"RenameIndex: the EFCore.Lsm database has no index '{rename.Name}'.");
        }

        entity.Record = entity.Record with
        {
            Indexes = [.. entity.Record.Indexes.Select(i => i.Name == rename.Name ? i with { Name = rename.NewName } : i)],
        };
        entity.Changed = true;
    }

    private void InsertData(InsertDataOperation insert)
    {
        var entity = session.Table(insert.Table, "InsertData");
        var record = entity.Record;
        var ids = insert.Columns.Select(c => Property(entity, c, "InsertData")).ToArray();

        // Members of owned references go into the nested maps of their references (null references when all their values are).
        var paths = ids.Select(p => OwnedRowValues.PathOf(record, p.Name, $"InsertData into '{insert.Table}'")
            ?? throw new InvalidOperationException(
                $"InsertData into '{insert.Table}': the owned reference holding '{p.Name}' has no record in the EFCore.Lsm database."))
            .ToArray();
        var rows = new List<byte[]>();
        for (var r = 0; r < insert.Values.GetLength(0); r++)
        {
            var row = new OwnedRowValues.MapBuilder();
            for (var c = 0; c < ids.Length; c++)
            {
                var value = StoredValues.Coerce(
                    insert.Values[r, c], session.Values.TypeOf(ids[c].ProviderType), $"column '{insert.Columns[c]}' of '{insert.Table}'");
                row.Set(paths[c], ids[c].Id, session.Values.EncodeValue(ids[c].ProviderType, value));
            }

            var values = row.Build();
            rows.Add(EncodeRow(values));
            if (record.KeyParts.Count == 1 && values.ContainsKey(record.KeyParts[0].PropertyId)
                && session.Values.Read(rows[^1], record, record.KeyParts[0].PropertyId) is { } key && IsInteger(key.GetType()))
            {
                var asLong = System.Convert.ToInt64(key, System.Globalization.CultureInfo.InvariantCulture);
                entity.MaxInsertedKey = Math.Max(entity.MaxInsertedKey ?? long.MinValue, asLong);
            }
        }

        // The rows join the table in a new keyspace, with the old rows; a key that exists already is refused.
        session.Rewrite(entity, record, transform: null, rekey: true, $"InsertData into '{insert.Table}'", rows);
    }

    private void DeleteData(DeleteDataOperation delete)
    {
        var entity = session.Table(delete.Table, "DeleteData");
        var keys = Keys(entity, delete.KeyColumns, delete.KeyValues);
        session.Rewrite(entity, entity.Record, (suffix, row) => keys.Contains(suffix) ? null : row, rekey: false,
            $"DeleteData from '{delete.Table}'");
    }

    private void UpdateData(UpdateDataOperation update)
    {
        var entity = session.Table(update.Table, "UpdateData");
        var record = entity.Record;
        var columns = update.Columns.Select(c => Property(entity, c, "UpdateData")).ToArray();
        var changes = new Dictionary<byte[], SortedDictionary<uint, byte[]>>(Storage.Internal.ByteArrayEqualityComparer.Instance);
        for (var r = 0; r < update.KeyValues.GetLength(0); r++)
        {
            var values = new SortedDictionary<uint, byte[]>();
            for (var c = 0; c < columns.Length; c++)
            {
                var value = StoredValues.Coerce(
                    update.Values[r, c], session.Values.TypeOf(columns[c].ProviderType), $"column '{update.Columns[c]}' of '{update.Table}'");
                values[columns[c].Id] = session.Values.EncodeValue(columns[c].ProviderType, value);
            }

            changes[KeySuffix(entity, update.KeyColumns, update.KeyValues, r)] = values;
        }

        session.Rewrite(
            entity,
            record,
            (suffix, row) => changes.TryGetValue(suffix, out var values) ? Merge(row, values) : row,
            rekey: false,
            $"UpdateData in '{update.Table}'");
    }

    /// <summary>Rewrites every row of <paramref name="table"/> through a callback (LsmOperation's UpdateRows).</summary>
    internal void UpdateRows(string table, Action<LsmMigrationRow> update, string description)
    {
        var entity = session.Table(table, "LsmOperation");
        var record = entity.Record;
        var columns = RowColumns(record);
        session.Rewrite(
            entity,
            record,
            (_, raw) =>
            {
                var row = new LsmMigrationRow(record, columns, raw, session.Values);
                update(row);
                if (row.Deleted)
                {
                    return null;
                }

                return row.Encode();
            },
            rekey: true,
            description);
    }

    /// <summary>
    /// The columns of a table as a custom step sees them, by EF's column names (<see cref="LsmTableNames.ColumnOf"/> of the
    /// models' properties, else the stored name's path joined with '_'): every live scalar value of the row, with the path of
    /// owned-reference ids to the nested map a member of an owned reference lives in (docs/row_encoding.md, "Owned values").
    /// Owned navigations are maps, not columns; the members of owned collection elements and of complex collection elements
    /// are values of arrays, not columns of this table.
    /// </summary>
    private Dictionary<string, LsmMigrationColumn> RowColumns(CatalogEntity record)
    {
        var columnNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in session.Models)
        {
            if (model?.FindEntityType(record.Name) is IEntityType root)
            {
                foreach (var (property, name) in LsmRowLayout.For(root).ColumnProperties)
                {
                    columnNames.TryAdd(name, LsmTableNames.ColumnOf(property));
                }
            }
        }

        var columns = new Dictionary<string, LsmMigrationColumn>(StringComparer.Ordinal);
        foreach (var property in record.Properties.Where(p => !p.Retired))
        {
            if (property.ProviderType is CatalogProperty.OwnedReferenceType or CatalogProperty.OwnedCollectionType
                || property.Name.Contains("[]", StringComparison.Ordinal)
                || OwnedReferencePath(record, property.Name) is not { } path)
            {
                continue;
            }

            var column = columnNames.GetValueOrDefault(property.Name) ?? LsmCatalog.ColumnOfStoredName(property.Name);
            if (!columns.TryAdd(column, new LsmMigrationColumn(property, path)))
            {
                throw new InvalidOperationException(
                    $"LsmOperation: the table '{record.DisplayTableName}' has two stored properties named by the column '{column}' "
                    + $"('{columns[column].Property.Name}' and '{property.Name}'); rename one with a migration (RenameColumn) first.");
            }
        }

        return columns;
    }

    /// <summary>
    /// The ids of the owned references on the path of the value stored as <paramref name="storedName"/> (empty for a top-level
    /// value); null when one of them is an owned collection or has no record.
    /// </summary>
    private static uint[]? OwnedReferencePath(CatalogEntity record, string storedName)
    {
        var parts = storedName.Split(LsmRowLayout.PathSeparator);
        var path = new uint[parts.Length - 1];
        for (var i = 0; i < path.Length; i++)
        {
            if (record.FindProperty(string.Join(LsmRowLayout.PathSeparator, parts[..(i + 1)])) is not
                { ProviderType: CatalogProperty.OwnedReferenceType } navigation)
            {
                return null;
            }

            path[i] = navigation.Id;
        }

        return path;
    }

    private HashSet<byte[]> Keys(StagedEntity entity, string[] keyColumns, object?[,] keyValues)
    {
        var keys = new HashSet<byte[]>(Storage.Internal.ByteArrayEqualityComparer.Instance);
        for (var r = 0; r < keyValues.GetLength(0); r++)
        {
            keys.Add(KeySuffix(entity, keyColumns, keyValues, r));
        }

        return keys;
    }

    private byte[] KeySuffix(StagedEntity entity, string[] keyColumns, object?[,] keyValues, int r)
    {
        var record = entity.Record;
        var byColumn = keyColumns.Select((c, i) => (Property(entity, c, "seed data").Id, i)).ToDictionary(x => x.Id, x => x.i);
        var ordered = record.KeyParts.Select(k => byColumn.TryGetValue(k.PropertyId, out var i)
            ? keyValues[r, i]
            : throw new InvalidOperationException(
                $"Seed data of '{record.DisplayTableName}' names rows by ({string.Join(", ", keyColumns)}), not by the primary key."))
            .ToList();
        var key = session.KeyOf(record, ordered);
        return key[CatalogKeys.KeyspacePrefix(record.KeyspaceId).Length..];
    }

    private List<CatalogKeyPart> KeyParts(StagedEntity entity, string[] columns, string what) =>
    [
        .. columns.Select(c =>
        {
            var property = Property(entity, c, what);
            if (!ProviderValueCodec.IsKeyEncodable(session.Values.TypeOf(property.ProviderType)))
            {
                throw new InvalidOperationException(
                    $"{what}: column '{c}' of '{entity.Record.DisplayTableName}' has type {property.ProviderType}, which has no "
                    + "order-preserving key encoding.");
            }

            return new CatalogKeyPart(property.Id, property.ProviderType, Descending: false);
        }),
    ];

    private CatalogProperty Property(StagedEntity entity, string column, string what)
    {
        var name = PropertyName(entity.Record.DisplayTableName, column, what);
        return entity.Record.FindProperty(name) ?? entity.Record.FindProperty(column) ?? throw new InvalidOperationException(
            $"{what}: the table '{entity.Record.DisplayTableName}' has no column '{column}' (columns: "
            + $"{string.Join(", ", entity.Record.Properties.Where(p => !p.Retired).Select(p => p.Name))}).");
    }

    private void CheckNoNulls(StagedEntity entity, CatalogProperty property, string what) =>
        CheckEveryValue(entity, property, what, v => v ?? throw new InvalidOperationException(
            $"{what}: a row has no value (null) for the column, which is no longer nullable; give those rows a value first "
            + "(UpdateData or LsmOperation)."), checkMissing: true, rows: RowsStoring(entity, property));

    /// <summary>
    /// Runs <paramref name="check"/> on the stored value of <paramref name="property"/> in every row that stores it (for a member
    /// of an owned reference, every row whose owned value is not null), its stored default standing in for a missing value.
    /// </summary>
    private void CheckEveryValue(
        StagedEntity entity,
        CatalogProperty property,
        string what,
        Func<object?, object?> check,
        bool checkMissing = false,
        Func<byte[], bool>? rows = null)
    {
        var path = OwnedRowValues.PathOf(entity.Record, property.Name, what);
        if (path is null)
        {
            // An owned reference on the column's path has no record: no row holds a value of it.
            return;
        }

        foreach (var (_, row) in session.Rows(entity))
        {
            if ((rows is not null && !rows(row)) || !OwnedRowValues.TryFindMap(row, path, out var map))
            {
                continue;
            }

            var value = session.Values.Read(map, entity.Record, property.Id);
            if (value is not null || checkMissing)
            {
                check(value);
            }
        }
    }

    /// <summary>
    /// Which rows of a table store <paramref name="property"/>: every row (null), unless a model says the column is a property
    /// of a derived type of the hierarchy (TPH), whose rows only are those whose discriminator names that type or one derived
    /// from it; the rows of sibling types have no such column at all.
    /// </summary>
    private Func<byte[], bool>? RowsStoring(StagedEntity entity, CatalogProperty property)
    {
        foreach (var model in session.Models)
        {
            if (model?.FindEntityType(entity.Record.Name) is not IEntityType root)
            {
                continue;
            }

            var layout = LsmRowLayout.For(root);
            if (layout.ColumnProperties.FirstOrDefault(p => p.Name == property.Name).Property is not { } stored)
            {
                continue;
            }

            // The type whose rows hold the column: for a member of a complex value, the entity type the value is on; for a member
            // of an owned reference, the type of the hierarchy that owns it.
            if (RowEntityType(stored) is not { BaseType: not null } declaring
                || root.FindDiscriminatorProperty() is not { } discriminator
                || entity.Record.FindProperty(layout.StoredNameOf(discriminator)) is not { } discriminatorColumn)
            {
                return null;
            }

            var values = declaring.GetDerivedTypesInclusive().Select(t => t.GetDiscriminatorValue()).ToHashSet();
            return row => values.Contains(session.Values.Read(row, entity.Record, discriminatorColumn.Id));
        }

        return null;
    }

    /// <summary>The entity type of the hierarchy whose rows hold <paramref name="property"/>: out of complex types, then out of owned references.</summary>
    private static IEntityType RowEntityType(IProperty property)
    {
        var type = LsmRowLayout.DeclaringEntityType(property);
        while (type.FindOwnership() is { } ownership)
        {
            type = ownership.PrincipalEntityType;
        }

        return type;
    }

    private static object? Convert(object? value, Type from, Type to, string what)
    {
        if (value is null)
        {
            return null;
        }

        if (StoredTypeConversion.Find(from, to) is { } lossless)
        {
            return lossless.ToModel(value);
        }

        // A conversion that can lose: each value must come back unchanged, or the migration stops naming it.
        var converted = StoredValues.Coerce(value, to, what);
        return converted;
    }

    private static byte[] ReplaceValue(byte[] row, uint id, Func<object?, object?> convert, ProviderValueCodec oldCodec, ProviderValueCodec codec)
    {
        var values = OwnedRowValues.Pairs(row);
        if (!values.TryGetValue(id, out var raw))
        {
            return row;
        }

        var old = new MessagePackReader(raw);
        var value = oldCodec.ReadValue(ref old);
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        codec.WriteValue(ref writer, convert(value));
        writer.Flush();
        values[id] = buffer.ToArray();
        return EncodeRow(values);
    }

    private static byte[] Merge(byte[] row, SortedDictionary<uint, byte[]> changes)
    {
        var reader = new RowReader(row);
        var values = new SortedDictionary<uint, byte[]>(changes);
        while (reader.MoveNext())
        {
            values.TryAdd(reader.PropertyId, reader.RawValue.ToArray());
        }

        return EncodeRow(values);
    }

    internal static byte[] EncodeRow(SortedDictionary<uint, byte[]> values)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new RowWriter(buffer, values.Count);
        foreach (var (id, raw) in values)
        {
            writer.WriteRawValue(id, raw);
        }

        writer.Complete();
        return buffer.ToArray();
    }

    /// <summary>The entity type name a table maps to, from the models (as EF's relational conventions name tables).</summary>
    private string EntityName(string table, string? fallback = null)
    {
        foreach (var model in session.Models)
        {
            if (model?.GetEntityTypes().FirstOrDefault(e => e.BaseType is null && LsmTableNames.Of(e) == table) is { } entityType)
            {
                return entityType.Name;
            }
        }

        return fallback ?? throw new InvalidOperationException(
            $"The table '{table}' maps to no entity type of the migration's target model or of the context's model, so EFCore.Lsm "
            + "cannot tell which entity type's rows it holds. Add the migration's Designer file (BuildTargetModel) or the entity type.");
    }

    /// <summary>
    /// The name the catalog records a column's property under, from the models: the property of the table's hierarchy (TPH:
    /// the root and its derived types share the table) whose column (its <c>HasColumnName</c>, else its name) it is, by its
    /// stored name (<see cref="LsmRowLayout.StoredNameOf"/>); the column name when no model has it. A column that is a
    /// property of several types of the hierarchy is refused: each of them is stored under an id of its own, and a column
    /// operation cannot say which one it means.
    /// </summary>
    private string PropertyName(string table, string column, string what)
    {
        foreach (var model in session.Models)
        {
            // Models a migration builds are finalized (IEntityType); an unfinalized one has no layout and is not consulted.
            if (model?.GetEntityTypes().FirstOrDefault(e => e.BaseType is null && LsmTableNames.Of(e) == table) is not IEntityType root)
            {
                continue;
            }

            var matches = LsmRowLayout.For(root).ColumnProperties.Where(p => LsmTableNames.ColumnOf(p.Property) == column).ToList();
            if (matches.Count > 1)
            {
                throw new NotSupportedException(
                    $"{what} '{column}' on '{table}': the column maps to properties of "
                    + $"{string.Join(", ", matches.Select(m => "'" + m.Property.DeclaringType.DisplayName() + "'"))}, types of the "
                    + $"hierarchy of entity type '{root.DisplayName()}' that each store it under an id of their own (TPH); EFCore.Lsm "
                    + "cannot map one column to several of them. Give the properties distinct names or column names (HasColumnName).");
            }

            if (matches.Count == 1)
            {
                if (matches[0].Name.Contains(LsmRowLayout.PathSeparator) && !OwnedMembersSupported(what))
                {
                    // Owned references are nested maps of their owner's row (docs/row_encoding.md, "Owned values"); the column
                    // operations below find their members there, the other operations work on top-level values only.
                    throw new NotSupportedException(
                        $"{what} '{column}' on '{table}': the column is the member '{matches[0].Name}' of an owned type, stored "
                        + $"inside its owner's row; EFCore.Lsm migrations change owned members by {string.Join(", ", OwnedMemberOperations)} "
                        + $"and InsertData, not by {what}.");
                }

                return matches[0].Name;
            }
        }

        if (column.Contains(LsmRowLayout.ComplexCollectionElementSuffix + LsmRowLayout.ComplexPathSeparator, StringComparison.Ordinal))
        {
            // The members of complex collection elements live inside each row's collection value (docs/row_encoding.md,
            // "Complex collections"), which no column operation rewrites: without this, an AlterColumn would find no
            // top-level value to convert and leave every element's value as it was.
            throw new NotSupportedException(
                $"{what} '{column}' on '{table}': the column names a member of the elements of a complex collection, stored inside "
                + "each row's collection value; EFCore.Lsm migrations do not change members of complex collection elements. Keep "
                + "the member in the element type.");
        }

        return column;
    }

    // The operations that find an owned reference's members in the nested maps of the rows.
    private static readonly string[] OwnedMemberOperations = ["AddColumn", "DropColumn", "RenameColumn", "AlterColumn"];

    private static bool OwnedMembersSupported(string what) => what == "InsertData" || OwnedMemberOperations.Contains(what);

    /// <summary>
    /// The provider type recorded for a column of CLR type <paramref name="clrType"/> (a migration's column type is the
    /// provider type): an enum the models store as that integer type keeps the enum's name, as registration records it.
    /// </summary>
    private string ProviderTypeOf(string entityName, string propertyName, Type clrType)
    {
        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        foreach (var model in session.Models)
        {
            if (model?.FindEntityType(entityName) is IEntityType root
                && LsmRowLayout.For(root).StoredProperties.FirstOrDefault(p => p.Name == propertyName).Property is { } property)
            {
                var providerType = property.GetValueConverter()?.ProviderClrType ?? property.ClrType;
                providerType = Nullable.GetUnderlyingType(providerType) ?? providerType;
                if (providerType.IsEnum && Enum.GetUnderlyingType(providerType) == type)
                {
                    return providerType.FullName!;
                }
            }
        }

        return type.FullName!;
    }

    private static bool IsInteger(Type type)
    {
        type = type.IsEnum ? Enum.GetUnderlyingType(type) : type;
        return Type.GetTypeCode(type) is TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32
            or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64;
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
