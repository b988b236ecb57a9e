using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Migrations.Internal;
using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Migrations;

/// <summary>What a custom migration step (<c>migrationBuilder.LsmOperation</c>) can do to the rows of the database.</summary>
public sealed class LsmMigrationContext
{
    private readonly MigrationSession _session;
    private readonly OperationInterpreter _interpreter;

    internal LsmMigrationContext(MigrationSession session, OperationInterpreter interpreter)
    {
        _session = session;
        _interpreter = interpreter;
    }

    /// <summary>
    /// Calls <paramref name="update"/> for every row of <paramref name="table"/> (in key order, in batches: the table need
    /// not fit in memory); the row's columns can be read and set (by EF's column name, as migrations name them, <c>Home_City</c>
    /// for a member of an owned reference or a complex property; values as stored: after value conversion), or the row
    /// deleted. Changing a key column moves the row; two rows with one key stop the migration.
    /// </summary>
    public void UpdateRows(string table, Action<LsmMigrationRow> update)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(update);
        _interpreter.UpdateRows(table, update, _session.Step + $": rows of '{table}'");
    }
}

/// <summary>
/// One row of a table in a custom migration step: its stored column values by EF's column names. A member of an owned
/// reference (<c>Home_City</c>) is read from and written to the owned value's nested map inside the row; it reads as null
/// while the owned value is null, and setting a value other than null there creates the owned value.
/// </summary>
public sealed class LsmMigrationRow
{
    private readonly CatalogEntity _entity;
    private readonly IReadOnlyDictionary<string, LsmMigrationColumn> _columns;
    private readonly SortedDictionary<uint, byte[]> _values = [];
    private readonly StoredValues _stored;

    internal LsmMigrationRow(CatalogEntity entity, IReadOnlyDictionary<string, LsmMigrationColumn> columns, byte[] row, StoredValues stored)
    {
        _entity = entity;
        _columns = columns;
        _stored = stored;
        var reader = new RowReader(row);
        while (reader.MoveNext())
        {
            _values[reader.PropertyId] = reader.RawValue.ToArray();
        }
    }

    /// <summary>Whether <see cref="Delete"/> was called.</summary>
    public bool Deleted { get; private set; }

    /// <summary>The column names of the table.</summary>
    public IEnumerable<string> Columns => _columns.Keys;

    /// <summary>A column's stored value (null when the row has none); setting it stores the value, converted to the column's type.</summary>
    public object? this[string column]
    {
        get
        {
            var (property, path) = Column(column);
            return OwnedRowValues.TryFindMap(Encode(), path, out var map) ? _stored.Read(map, _entity, property.Id) : null;
        }

        set
        {
            var (property, path) = Column(column);
            var coerced = StoredValues.Coerce(value, _stored.TypeOf(property.ProviderType), $"column '{column}'");
            Set(_values, path, property.Id, _stored.EncodeValue(property.ProviderType, coerced));
        }
    }

    /// <summary>
    /// Stores <paramref name="raw"/> under <paramref name="id"/> in the map at <paramref name="path"/> of <paramref name="map"/>,
    /// creating the nested maps of owned values on the way unless the value is null (a null member of a null owned value
    /// changes nothing).
    /// </summary>
    private static void Set(SortedDictionary<uint, byte[]> map, ReadOnlySpan<uint> path, uint id, byte[] raw)
    {
        if (path.IsEmpty)
        {
            map[id] = raw;
            return;
        }

        var present = map.TryGetValue(path[0], out var nested) && nested[0] != MessagePack.MessagePackCode.Nil;
        if (!present && raw[0] == MessagePack.MessagePackCode.Nil)
        {
            return;
        }

        var pairs = present ? OwnedRowValues.Pairs(nested) : [];
        Set(pairs, path[1..], id, raw);
        map[path[0]] = OperationInterpreter.EncodeRow(pairs);
    }

    /// <summary>Removes the row from the table.</summary>
    public void Delete() => Deleted = true;

    internal byte[] Encode() => OperationInterpreter.EncodeRow(_values);

    private LsmMigrationColumn Column(string column) =>
        _columns.TryGetValue(column, out var property)
            ? property
            : throw new ArgumentException(
                $"The table '{_entity.DisplayTableName}' has no column '{column}' (columns: {string.Join(", ", _columns.Keys)}).", nameof(column));
}

/// <summary>A column of a custom step's row: its stored property, and the owned-reference ids to the map that holds it.</summary>
internal sealed record LsmMigrationColumn(CatalogProperty Property, uint[] Path);
