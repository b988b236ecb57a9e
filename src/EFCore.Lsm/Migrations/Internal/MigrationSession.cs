using System.Runtime.CompilerServices;
using MessagePack;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>An entity type as a migration is changing it: its record as it will be after the migration, and where it came from.</summary>
internal sealed class StagedEntity(string? originalName, CatalogEntity record)
{
    /// <summary>The catalog name before the migration (null for a table the migration creates).</summary>
    public string? OriginalName { get; } = originalName;

    /// <summary>The record as it will be committed. An index with keyspace id 0 is still to be built.</summary>
    public CatalogEntity Record { get; set; } = record;

    /// <summary>The keyspace the rows lived in before the migration (null for a created table).</summary>
    public long? OriginalKeyspaceId { get; } = originalName is null ? null : record.KeyspaceId;

    public bool Changed { get; set; }

    public bool Dropped { get; set; }

    /// <summary>A <c>DropPrimaryKey</c> waits for its <c>AddPrimaryKey</c>, which re-keys the rows.</summary>
    public bool KeyPending { get; set; }

    /// <summary>The largest explicit value given to a generated integer key (seed data), which its generator must pass.</summary>
    public long? MaxInsertedKey { get; set; }

    /// <summary>Whether the rows are in a keyspace this migration wrote (so reads need no guard, writes are invisible until the switch).</summary>
    public bool RowsBuilt => Record.KeyspaceId != OriginalKeyspaceId;
}

/// <summary>
/// One migration applied (or reverted) as one atomic switch (docs/migrations.md, "Crash safety"). The session reserves
/// keyspace ids in the catalog header with a state record (0, 4) that says so, then reads the old rows at one pinned view,
/// builds every new keyspace (re-keyed or converted rows, indexes) into the reserved ids, where nothing reads them, and
/// finally commits the new catalog records, the history row and the state's switch to <see cref="MigrationPhase.Committed"/>
/// in one conditional batch that requires the schema and every keyspace it read to be unchanged since that view. A crash
/// before the switch leaves the old catalog (the reserved keyspaces are garbage, removed by the next <c>Migrate</c>); after
/// it, the new one (the old keyspaces are garbage). Memory is bounded by the batch size: rows stream through in batches
/// (<see cref="MigrationBatch"/>) of at most <c>MigrationBatchBytes</c> and <c>MigrationBatchRows</c>.
/// </summary>
internal sealed class MigrationSession : IDisposable
{
    private readonly LsmStore _store;
    private readonly ILsmKeyValueStore _kv;
    private readonly string _migrationId;
    private readonly bool _down;
    private readonly int _batchRows;
    private readonly long _batchBytes;
    private readonly bool _sync;
    private readonly IDiagnosticsLogger<DbLoggerCategory.Migrations> _logger;
    private readonly Dictionary<string, StagedEntity> _entities = new(StringComparer.Ordinal);
    private readonly List<StagedEntity> _dropped = [];
    private readonly HashSet<long> _guarded = [];
    private readonly HashSet<long> _written = [];
    private ILsmReadView? _baseView;
    private LsmCatalog? _catalog;
    private long _reservedFrom;
    private long _reservedTo;
    private long _nextReserved;

    public MigrationSession(
        LsmStore store,
        string migrationId,
        bool down,
        IReadOnlyList<IReadOnlyModel?> models,
        int batchRows,
        long batchBytes,
        bool sync,
        IDiagnosticsLogger<DbLoggerCategory.Migrations> logger)
    {
        _store = store;
        _kv = store.KeyValueStore;
        _migrationId = migrationId;
        _down = down;
        _batchRows = Math.Max(1, Math.Min(batchRows, (_kv.Limits.MaxOperations ?? int.MaxValue) / 3));
        _batchBytes = batchBytes;
        _sync = sync;
        _logger = logger;
        Values = new StoredValues(models);
        Models = models;
    }

    public StoredValues Values { get; }

    /// <summary>The models that name tables and columns: the migration's target model, the one before it, the context's.</summary>
    public IReadOnlyList<IReadOnlyModel?> Models { get; }

    /// <summary>What the progress events name: "migration id: k/n operation".</summary>
    public string Step { get; set; } = "";

    public IEnumerable<StagedEntity> Entities => _entities.Values;

    /// <summary>
    /// Reserves <paramref name="keyspaces"/> keyspace ids and records the migration as in progress (refused when another
    /// migration is: its state record exists), then pins the view every old row is read at.
    /// </summary>
    public void Begin(int keyspaces)
    {
        LsmCatalog before;
        using (var view = _kv.OpenView())
        {
            if (view.Get(CatalogKeys.MigrationState()) is not null)
            {
                throw new InvalidOperationException(
                    $"Another migration of the {_kv.Description} is in progress (its state record exists); wait for it to finish.");
            }

            before = LsmCatalog.Load(view);
            _reservedFrom = before.NextKeyspaceId;
            _reservedTo = _reservedFrom + keyspaces;
            var batch = new LsmConditionalBatch();
            batch.Put(CatalogKeys.Header(), LsmCatalog.EncodeHeader(_reservedTo));
            batch.Put(CatalogKeys.MigrationState(), State(MigrationPhase.Building, []).Encode());
            batch.RequireAbsent(CatalogKeys.MigrationState());
            batch.RequireRangeUnchangedSince(CatalogKeys.SchemaLowerBound, CatalogKeys.SchemaUpperBound, view.Version);
            try
            {
                _kv.Commit(batch, _sync);
            }
            catch (LsmWriteConflictException e)
            {
                throw new LsmMigrationConflictException(
                    $"The {_kv.Description} changed while migration '{_migrationId}' started (another migration or a new model); retry.", e);
            }
        }

        _nextReserved = _reservedFrom;
        _baseView = _kv.OpenView();
        _catalog = LsmCatalog.Load(_baseView);
        foreach (var entity in _catalog.Entities.Values)
        {
            _entities[entity.Name] = new StagedEntity(entity.Name, entity);
        }
    }

    /// <summary>A keyspace id reserved for this migration.</summary>
    public long NewKeyspaceId()
    {
        if (_nextReserved >= _reservedTo)
        {
            throw new InvalidOperationException(
                $"Migration '{_migrationId}' needs more new keyspaces than it reserved ({_reservedTo - _reservedFrom}).");
        }

        return _nextReserved++;
    }

    /// <summary>The entity whose table is <paramref name="table"/>, or null.</summary>
    public StagedEntity? FindTable(string table)
    {
        foreach (var entity in _entities.Values)
        {
            if (entity.Record.TableName == table)
            {
                return entity;
            }
        }

        foreach (var entity in _entities.Values)
        {
            if (entity.Record.TableName is null && LsmTableNames.ShortName(entity.Record.Name) == table)
            {
                return entity;
            }
        }

        return null;
    }

    public StagedEntity Table(string table, string operation) =>
        FindTable(table) ?? throw new InvalidOperationException(
            $"{operation}: the EFCore.Lsm database has no table '{table}' (tables: {string.Join(", ", _entities.Values.Select(e => e.Record.DisplayTableName))}).");

    public StagedEntity? FindEntity(string name) => _entities.GetValueOrDefault(name);

    public void Add(StagedEntity entity) => _entities.Add(entity.Record.Name, entity);

    public void Drop(StagedEntity entity)
    {
        _entities.Remove(entity.Record.Name);
        entity.Dropped = true;
        _dropped.Add(entity);
    }

    public void Rename(StagedEntity entity, string newName, string newTable)
    {
        if (newName != entity.Record.Name && _entities.ContainsKey(newName))
        {
            throw new InvalidOperationException(
                $"RenameTable: the EFCore.Lsm database already has an entity type '{newName}'.");
        }

        _entities.Remove(entity.Record.Name);
        entity.Record = entity.Record with { Name = newName, TableName = newTable };
        entity.Changed = true;
        _entities.Add(newName, entity);
    }

    /// <summary>
    /// Copies the rows of <paramref name="entity"/> into a new keyspace, each through <paramref name="transform"/> (null
    /// deletes the row), keyed by the record's key parts when <paramref name="rekey"/> (refusing two rows with one key), then
    /// appends <paramref name="extra"/> rows; every index of the entity is then rebuilt. Streams in batches.
    /// </summary>
    public void Rewrite(
        StagedEntity entity,
        CatalogEntity newRecord,
        Func<byte[], byte[], byte[]?>? transform,
        bool rekey,
        string description,
        IEnumerable<byte[]>? extra = null)
    {
        var targetId = NewKeyspaceId();
        var target = newRecord with
        {
            KeyspaceId = targetId,
            Indexes = [.. newRecord.Indexes.Select(i => i with { KeyspaceId = 0, State = CatalogIndexState.Ready })],
        };
        var targetPrefix = CatalogKeys.KeyspacePrefix(targetId);
        var keyCodecs = target.KeyParts.Select(k => (k.PropertyId, Values.CodecOf(k.ProviderType))).ToArray();
        var batch = new MigrationBatch(
            _kv, _batchRows, _batchBytes, _logger, $"{Step}: {description}", rekey ? (row, e) => Duplicate(target, row, e) : null);

        void Put(byte[] key, byte[] value)
        {
            if (!rekey)
            {
                batch.Put(key, value);
            }
            else if (!batch.TryInsert(key, value))
            {
                throw Duplicate(target, value, null);
            }
        }

        _written.Add(targetId);

        // The rows are visited in the cursor's buffers: the only copy a row gets is the value the batch holds until it is
        // written (and, for a transform, what the transform is given), so a large table leaves no garbage per row beyond it.
        ForEachRow(entity, (suffix, value) =>
        {
            var row = transform is null ? value.ToArray() : transform(suffix.ToArray(), value.ToArray());
            batch.Rows++;
            if (row is null)
            {
                return;
            }

            Put(rekey ? Key(targetPrefix, target, keyCodecs, row) : Concat(targetPrefix, suffix), row);
        });

        foreach (var row in extra ?? [])
        {
            batch.Rows++;
            Put(Key(targetPrefix, target, keyCodecs, row), row);
        }

        batch.Flush();
        entity.Record = target;
        entity.Changed = true;
    }

    /// <summary>
    /// The key of a row of <paramref name="entity"/> in keyspace <paramref name="prefix"/>, from the row's key values (a value the
    /// row lacks is the column's stored default), encoded straight from the stored values without boxing them.
    /// </summary>
    public byte[] Key(byte[] prefix, CatalogEntity entity, (uint Id, ProviderValueCodec Codec)[] keyCodecs, ReadOnlySpan<byte> row)
    {
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(prefix);
            foreach (var (id, codec) in keyCodecs)
            {
                if (!TryWriteKeyPart(row, entity, id, codec, ref writer))
                {
                    throw new InvalidOperationException(
                        $"{Step}: a row of table '{entity.DisplayTableName}' has no value for its key column "
                        + $"'{entity.Properties.First(p => p.Id == id).Name}'; a key part cannot be null.");
                }
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static bool TryWriteKeyPart(ReadOnlySpan<byte> row, CatalogEntity entity, uint id, ProviderValueCodec codec, ref KeyWriter writer)
    {
        using var reader = new RowReader(row);
        if (reader.TryFind(id))
        {
            var value = reader.ValueReader;
            return codec.TryWriteKeyPart(ref value, ref writer);
        }

        if (entity.FindDefault(id) is { } stored)
        {
            var value = new MessagePackReader(stored);
            return codec.TryWriteKeyPart(ref value, ref writer);
        }

        return false;
    }

    private static byte[] Concat(byte[] prefix, ReadOnlySpan<byte> suffix)
    {
        var key = new byte[prefix.Length + suffix.Length];
        prefix.CopyTo(key, 0);
        suffix.CopyTo(key.AsSpan(prefix.Length));
        return key;
    }

    /// <summary>The key of a row of <paramref name="entity"/> from key values given in key order (seed data).</summary>
    public byte[] KeyOf(CatalogEntity entity, IReadOnlyList<object?> keyValues)
    {
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(CatalogKeys.KeyspacePrefix(entity.KeyspaceId));
            for (var i = 0; i < entity.KeyParts.Count; i++)
            {
                var part = entity.KeyParts[i];
                var value = StoredValues.Coerce(keyValues[i], Values.TypeOf(part.ProviderType), $"key column of '{entity.DisplayTableName}'")
                    ?? throw new InvalidOperationException($"{Step}: a key value of table '{entity.DisplayTableName}' is null.");
                Values.CodecOf(part.ProviderType).WriteKeyPart(ref writer, value);
            }

            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>What <see cref="ForEachRow"/> calls per row: the key without its keyspace part, and the value, valid for the call only.</summary>
    public delegate void RowVisitor(ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> value);

    /// <summary>
    /// Calls <paramref name="visit"/> for each row of <paramref name="entity"/> as it is now in this migration, in key order, with
    /// the cursor's own buffers: what a caller keeps of a row it copies itself.
    /// </summary>
    public void ForEachRow(StagedEntity entity, RowVisitor visit)
    {
        var prefix = CatalogKeys.KeyspacePrefix(entity.Record.KeyspaceId);
        var (view, own) = ViewOf(entity);
        try
        {
            using var cursor = view.Scan(prefix, KeyRange.AfterParts(prefix));
            while (cursor.MoveNext())
            {
                visit(cursor.Key[prefix.Length..], cursor.Value);
            }
        }
        finally
        {
            if (own)
            {
                view.Dispose();
            }
        }
    }

    // The view the rows of an entity are read at: the pinned one (whose keyspace the switch then requires unchanged), or for
    // a keyspace this migration wrote after it, a view of now (to dispose; nobody else writes there).
    private (ILsmReadView View, bool Own) ViewOf(StagedEntity entity)
    {
        if (entity.RowsBuilt)
        {
            return (_kv.OpenView(), true);
        }

        _guarded.Add(entity.Record.KeyspaceId);
        return (_baseView!, false);
    }

    /// <summary>The rows of <paramref name="entity"/> as they are now in this migration: (key without keyspace part, value).</summary>
    public IEnumerable<(byte[] Suffix, byte[] Value)> Rows(StagedEntity entity)
    {
        var prefix = CatalogKeys.KeyspacePrefix(entity.Record.KeyspaceId);
        var upper = KeyRange.AfterParts(prefix);
        var (view, own) = ViewOf(entity);

        try
        {
            using var cursor = view.Scan(prefix, upper);
            while (cursor.MoveNext())
            {
                yield return (cursor.Key[prefix.Length..].ToArray(), cursor.Value.ToArray());
            }
        }
        finally
        {
            if (own)
            {
                view.Dispose();
            }
        }
    }

    /// <summary>The row of <paramref name="entity"/> under <paramref name="key"/> as it is now in this migration.</summary>
    public byte[]? Get(StagedEntity entity, byte[] key)
    {
        if (entity.RowsBuilt)
        {
            using var view = _kv.OpenView();
            return view.Get(key);
        }

        _guarded.Add(entity.Record.KeyspaceId);
        return _baseView!.Get(key);
    }

    /// <summary>Builds every index still to be built (keyspace id 0) of every entity from its rows; unique ones refuse duplicates.</summary>
    public void BuildIndexes()
    {
        foreach (var entity in _entities.Values)
        {
            if (entity.Record.Indexes.All(i => i.KeyspaceId != 0))
            {
                continue;
            }

            var indexes = entity.Record.Indexes.ToList();
            for (var i = 0; i < indexes.Count; i++)
            {
                if (indexes[i].KeyspaceId == 0)
                {
                    indexes[i] = BuildIndex(entity, indexes[i] with { KeyspaceId = NewKeyspaceId(), State = CatalogIndexState.Ready });
                }
            }

            entity.Record = entity.Record with { Indexes = indexes };
            entity.Changed = true;
        }
    }

    private CatalogIndex BuildIndex(StagedEntity entity, CatalogIndex index)
    {
        var record = entity.Record;
        var prefix = CatalogKeys.KeyspacePrefix(index.KeyspaceId);
        var codecs = index.PropertyIds.Select(id => Values.CodecOf(StoredValues.PropertyType(record, id))).ToArray();
        var values = new object?[codecs.Length];
        var batch = new MigrationBatch(_kv, _batchRows, _batchBytes, _logger, $"{Step}: index '{index.Name}' of '{record.DisplayTableName}'");
        _written.Add(index.KeyspaceId);

        ForEachRow(entity, (suffix, value) =>
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = StoredValues.Read(value, record, index.PropertyIds[i], codecs[i]);
            }

            IndexEntry entry;
            try
            {
                entry = IndexEntryFormat.Encode(prefix, suffix, codecs, values, index.Descending, index.Unique);
            }
            catch (Exception e) when (e is IndexPartException or LsmKeyTooLargeException)
            {
                throw new InvalidOperationException(
                    $"{Step}: the index '{index.Name}' of table '{record.DisplayTableName}' cannot hold the values "
                    + $"({string.Join(", ", values.Select(StoredValues.Format))}): {e.Message}", e);
            }

            if (entry.Unique)
            {
                if (!batch.TryGetPending(entry.Key, out var owner))
                {
                    using var view = _kv.OpenView();
                    owner = view.Get(entry.Key);
                }

                if (owner is not null && !owner.AsSpan().SequenceEqual(entry.Value))
                {
                    var columns = index.PropertyIds.Select(id => record.Properties.First(p => p.Id == id).Name);
                    throw new InvalidOperationException(
                        $"{Step}: the unique index '{index.Name}' of table '{record.DisplayTableName}' cannot be built: two rows have "
                        + $"({string.Join(", ", columns)}) = ({string.Join(", ", values.Select(StoredValues.Format))}). Make the values "
                        + "unique (for example in an earlier migration step), then migrate again.");
                }

            }

            batch.Rows++;
            if (entry.Unique)
            {
                batch.Claim(entry.Key, entry.Value);
            }
            else
            {
                batch.Put(entry.Key, entry.Value);
            }
        });

        batch.Flush();
        return index;
    }

    /// <summary>
    /// The switch: every changed record, the history row and the state's move to Committed in one batch, on condition that
    /// the schema, the state record and every keyspace read are unchanged since the pinned view. Then the garbage goes.
    /// </summary>
    public void Commit()
    {
        BuildIndexes();
        foreach (var entity in _entities.Values)
        {
            if (entity.KeyPending)
            {
                throw new InvalidOperationException(
                    $"{Step}: table '{entity.Record.DisplayTableName}' has no primary key at the end of the migration "
                    + "(DropPrimaryKey without AddPrimaryKey); EFCore.Lsm stores every row under its primary key.");
            }
        }

        var referenced = new HashSet<long>();
        foreach (var entity in _entities.Values)
        {
            referenced.Add(entity.Record.KeyspaceId);
            foreach (var index in entity.Record.Indexes)
            {
                referenced.Add(index.KeyspaceId);
            }
        }

        var garbage = new List<long>();
        foreach (var id in _written)
        {
            if (!referenced.Contains(id))
            {
                garbage.Add(id);
            }
        }

        var batch = new LsmConditionalBatch();
        foreach (var entity in _catalog!.Entities.Values)
        {
            foreach (var id in (IEnumerable<long>)[entity.KeyspaceId, .. entity.Indexes.Select(i => i.KeyspaceId)])
            {
                if (!referenced.Contains(id))
                {
                    garbage.Add(id);
                }
            }
        }

        foreach (var entity in _dropped.Where(e => e.OriginalName is not null))
        {
            batch.Delete(CatalogKeys.Entity(entity.OriginalName!));
        }

        foreach (var entity in _entities.Values.Where(e => e.Changed))
        {
            if (entity.OriginalName is not null && entity.OriginalName != entity.Record.Name && !_entities.ContainsKey(entity.OriginalName))
            {
                batch.Delete(CatalogKeys.Entity(entity.OriginalName));
            }

            batch.Put(CatalogKeys.Entity(entity.Record.Name), entity.Record.Encode());
            CarryGenerators(entity, batch);
        }

        batch.Put(CatalogKeys.Header(), LsmCatalog.EncodeHeader(Math.Max(_catalog.NextKeyspaceId, _reservedTo)));
        if (_down)
        {
            batch.Delete(CatalogKeys.History(_migrationId));
        }
        else
        {
            batch.Put(CatalogKeys.History(_migrationId), HistoryRecord.Encode(LsmHistoryRepository.ProductVersion));
        }

        var state = State(MigrationPhase.Committed, garbage);
        batch.Put(CatalogKeys.MigrationState(), state.Encode());
        batch.RequireRangeUnchangedSince(CatalogKeys.SchemaLowerBound, CatalogKeys.SchemaUpperBound, _baseView!.Version);
        batch.RequireUnchangedSince(CatalogKeys.MigrationState(), _baseView.Version);
        foreach (var id in _guarded)
        {
            var lower = CatalogKeys.KeyspacePrefix(id);
            batch.RequireRangeUnchangedSince(lower, KeyRange.AfterParts(lower), _baseView.Version);
        }

        try
        {
            _kv.Commit(batch, _sync);
        }
        catch (LsmWriteConflictException e)
        {
            throw new LsmMigrationConflictException(
                $"Migration '{_migrationId}' was not switched in: the {_kv.Description} was written while it ran (a save to a table it "
                + "rebuilt, or another schema change). Nothing of it is visible; it is retried.", e);
        }

        _logger.MigrationCommitted(_migrationId, _down);
        _baseView.Dispose();
        _baseView = null;
        _store.ReloadCatalog();
        FinishCleanup(_kv, state, _sync);
    }

    /// <summary>Removes what the migration built (the catalog never referenced it) and its state record: the database is as before.</summary>
    public void Abandon()
    {
        _baseView?.Dispose();
        _baseView = null;
        RollBack(_kv, State(MigrationPhase.Building, []), _sync);
        _store.ReloadCatalog();
    }

    public void Dispose() => _baseView?.Dispose();

    /// <summary>Deletes the keyspaces a migration in the Building phase reserved, then its state record.</summary>
    public static void RollBack(ILsmKeyValueStore kv, MigrationState state, bool sync)
    {
        foreach (var (from, to) in state.Reserved)
        {
            RangeDeleter.Delete(kv, CatalogKeys.KeyspacePrefix(from), CatalogKeys.KeyspacePrefix(to), sync);
            for (var id = from; id < to; id++)
            {
                var (lower, upper) = CatalogKeys.GeneratorsOf(id);
                RangeDeleter.Delete(kv, lower, upper, sync);
            }
        }

        var batch = new LsmConditionalBatch();
        batch.Delete(CatalogKeys.MigrationState());
        kv.Commit(batch, sync);
    }

    /// <summary>Deletes the garbage keyspaces of a switched migration, then its state record.</summary>
    public static void FinishCleanup(ILsmKeyValueStore kv, MigrationState state, bool sync)
    {
        foreach (var id in state.Garbage)
        {
            var lower = CatalogKeys.KeyspacePrefix(id);
            RangeDeleter.Delete(kv, lower, KeyRange.AfterParts(lower), sync);
            var (generatorsLower, generatorsUpper) = CatalogKeys.GeneratorsOf(id);
            RangeDeleter.Delete(kv, generatorsLower, generatorsUpper, sync);
        }

        var batch = new LsmConditionalBatch();
        batch.Delete(CatalogKeys.MigrationState());
        kv.Commit(batch, sync);
    }

    private MigrationState State(MigrationPhase phase, IReadOnlyList<long> garbage) =>
        new(_migrationId, _down, phase, [(_reservedFrom, _reservedTo)], garbage);

    /// <summary>
    /// Key generator positions follow rows into their new keyspace, and pass seed data's explicit keys, so no generated key
    /// repeats one that exists.
    /// </summary>
    private void CarryGenerators(StagedEntity entity, LsmConditionalBatch batch)
    {
        if (!entity.RowsBuilt && entity.MaxInsertedKey is null)
        {
            return;
        }

        var positions = new Dictionary<uint, long>();
        if (entity.OriginalKeyspaceId is { } original)
        {
            var (lower, upper) = CatalogKeys.GeneratorsOf(original);
            using var cursor = _baseView!.Scan(lower, upper);
            while (cursor.MoveNext())
            {
                var reader = new KeyReader(cursor.Key[lower.Length..]);
                positions[(uint)reader.ReadInt64()] = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(cursor.Value);
            }
        }

        if (entity.MaxInsertedKey is { } max && entity.Record.KeyParts.Count == 1)
        {
            var id = entity.Record.KeyParts[0].PropertyId;
            positions[id] = Math.Max(positions.GetValueOrDefault(id), max + 1);
        }

        foreach (var (propertyId, position) in positions)
        {
            var value = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(value, position);
            batch.Put(CatalogKeys.Generator(entity.Record.KeyspaceId, propertyId), value);
        }
    }

    private Exception Duplicate(CatalogEntity target, byte[] row, Exception? inner)
    {
        var columns = target.KeyParts.Select(k => target.Properties.First(p => p.Id == k.PropertyId).Name);
        var values = target.KeyParts.Select(k => StoredValues.Format(Values.Read(row, target, k.PropertyId)));
        return new InvalidOperationException(
            $"{Step}: two rows of table '{target.DisplayTableName}' have the key ({string.Join(", ", columns)}) = "
            + $"({string.Join(", ", values)}); a primary key must be unique. Make the values unique, then migrate again.",
            inner);
    }
}

/// <summary>The value of a history record (0, 3, migration id): a map {1: product version}.</summary>
internal static class HistoryRecord
{
    private const uint ProductVersionField = 1;

    public static byte[] Encode(string productVersion)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.Write(ProductVersionField);
        writer.WriteStrictString(productVersion);
        writer.Flush();
        return buffer.ToArray();
    }

    /// <summary>The product version of the history record of <paramref name="migrationId"/> ("" when it has none).</summary>
    public static string Decode(string migrationId, ReadOnlySpan<byte> value) =>
        CatalogRecordReader.Read(
            value,
            CatalogRecordReader.History(migrationId),
            new StrongBox<string>(""),
            static (ref MessagePackReader reader, uint field, StrongBox<string> version) =>
            {
                if (field != ProductVersionField)
                {
                    return false;
                }

                version.Value = reader.ReadStrictString();
                return true;
            }).Value!;
}

/// <summary>A migration could not switch in because the store was written while it ran; nothing of it is visible.</summary>
public sealed class LsmMigrationConflictException(string message, Exception inner) : InvalidOperationException(message, inner);
