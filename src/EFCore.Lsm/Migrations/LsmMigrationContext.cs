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
    /// not fit in memory); the row's columns can be read and set (by column name, as stored: after value conversion), or the
    /// row deleted. Changing a key column moves the row; two rows with one key stop the migration.
    /// </summary>
    public void UpdateRows(string table, Action<LsmMigrationRow> update)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(update);
        _interpreter.UpdateRows(table, update, _session.Step + $": rows of '{table}'");
    }
}

/// <summary>One row of a table in a custom migration step: its stored column values by name.</summary>
public sealed class LsmMigrationRow
{
    private readonly CatalogEntity _entity;
    private readonly IReadOnlyDictionary<string, CatalogProperty> _columns;
    private readonly SortedDictionary<uint, byte[]> _values = [];
    private readonly StoredValues _stored;

    internal LsmMigrationRow(CatalogEntity entity, IReadOnlyDictionary<string, CatalogProperty> columns, byte[] row, StoredValues stored)
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
            var property = Column(column);
            return _stored.Read(Encode(), _entity, property.Id);
        }

        set
        {
            var property = Column(column);
            var coerced = StoredValues.Coerce(value, _stored.TypeOf(property.ProviderType), $"column '{column}'");
            _values[property.Id] = _stored.EncodeValue(property.ProviderType, coerced);
        }
    }

    /// <summary>Removes the row from the table.</summary>
    public void Delete() => Deleted = true;

    internal byte[] Encode() => OperationInterpreter.EncodeRow(_values);

    private CatalogProperty Column(string column) =>
        _columns.TryGetValue(column, out var property)
            ? property
            : throw new ArgumentException(
                $"The table '{_entity.DisplayTableName}' has no column '{column}' (columns: {string.Join(", ", _columns.Keys)}).", nameof(column));
}
