using EFCore.Lsm.Metadata;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Update.Internal;
using EFCore.Lsm.ValueGeneration.Internal;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// One open store and what the provider keeps per open store: the catalog, the entity mappings built from it and the
/// integer key generators. Shared by every context on the store through <see cref="LsmStorePoolEntries"/>. Every read and
/// write goes through <see cref="KeyValueStore"/>, the storage seam; commits that must check before they write do so
/// with conditions the store evaluates at commit (docs/storage_seam.md), so no lock here spans a commit.
/// </summary>
internal sealed class LsmStore : IDisposable
{
    // Serialises catalog changes in this process (rare: a new model, EnsureCreated/EnsureDeleted); their commits are
    // conditional anyway, so a writer in another process is detected rather than overwritten.
    private readonly Lock _catalogLock = new();
    private LsmCatalog _catalog;
    private Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>> _mappings = new(ReferenceEqualityComparer.Instance);

    // Per model: the schema drift registration tolerated (null once it has been logged).
    private readonly Dictionary<IModel, List<SchemaDriftEntry>?> _drift = new(ReferenceEqualityComparer.Instance);

    // Whether drift is recorded in the catalog keyspace (not for a read-only store, which writes nothing), and the drift records
    // as stored, by context name (docs/catalog.md, "Drift records"), so that an unchanged record is not written again.
    private readonly bool _recordsDrift;
    private Dictionary<string, byte[]> _driftRecords;

    public LsmStore(ILsmKeyValueStore keyValueStore, bool recordsDrift = true)
    {
        KeyValueStore = keyValueStore;
        _recordsDrift = recordsDrift;
        using var view = keyValueStore.OpenView();
        _catalog = LsmCatalog.Load(view);
        _driftRecords = LoadDriftRecords(view);
        Generators = new LsmKeyGenerators(keyValueStore);
    }

    /// <summary>The storage seam: the only way to the stored data.</summary>
    public ILsmKeyValueStore KeyValueStore { get; }

    public LsmKeyGenerators Generators { get; }

    /// <summary>Whether the database has been created (it has a catalog).</summary>
    public bool Exists
    {
        get
        {
            lock (_catalogLock)
            {
                return _catalog.Exists;
            }
        }
    }

    /// <summary>
    /// The mapping of <paramref name="entityType"/> for writing: registers the model's entity types in the catalog first
    /// when some are missing or changed (one atomic batch). Cheap after the first call per model.
    /// </summary>
    public LsmEntityMapping GetMappingForWrite(IEntityType entityType, bool sync) =>
        GetMappings(entityType.Model, sync, register: true)[entityType];

    /// <summary>
    /// The mapping of <paramref name="entityType"/> for reading. Writes nothing: when the catalog lacks part of the model,
    /// the mapping uses the ids registration would assign, which no stored row can have yet, so such reads find nothing,
    /// and a read never re-creates a deleted database.
    /// </summary>
    public LsmEntityMapping GetMappingForRead(IEntityType entityType) =>
        GetMappings(entityType.Model, sync: false, register: false)[entityType];

    public IReadOnlyDictionary<IEntityType, LsmEntityMapping> GetMappings(IModel model, bool sync, bool register)
    {
        if (Volatile.Read(ref _mappings).TryGetValue(model, out var mappings))
        {
            return mappings;
        }

        lock (_catalogLock)
        {
            if (register)
            {
                return RegisterLocked(model, sync);
            }

            var changes = _catalog.PlanRegistration(model, HasRows);
            if (changes.IsEmpty)
            {
                return RegisterLocked(model, sync);
            }

            _drift.TryAdd(model, changes.Drift);

            var entities = new Dictionary<string, CatalogEntity>(_catalog.Entities, StringComparer.Ordinal);
            foreach (var entity in changes.Entities)
            {
                entities[entity.Name] = entity;
            }

            return LsmEntityMapping.CreateAll(model, e => entities[e.Name]);
        }
    }

    /// <summary>Creates the catalog for <paramref name="model"/>; true when the database did not exist before.</summary>
    public bool EnsureCreated(IModel model, bool sync)
    {
        lock (_catalogLock)
        {
            var existed = _catalog.Exists;
            RegisterLocked(model, sync);
            return !existed;
        }
    }

    /// <summary>Creates the catalog header when the database has none, registering no entity type (migrations do that).</summary>
    public void EnsureCreatedEmpty(bool sync)
    {
        lock (_catalogLock)
        {
            CommitCatalogChange(() => new CatalogChanges(_catalog.Exists ? null : _catalog.NextKeyspaceId, []), sync);
        }
    }

    /// <summary>
    /// Deletes every row and the catalog; true when the database existed. Rows go first in chunks and the catalog last,
    /// so a crash part-way leaves a database that still exists and that a second call finishes deleting.
    /// </summary>
    public bool DeleteAll(bool sync)
    {
        lock (_catalogLock)
        {
            var existed = _catalog.Exists;
            var catalogEnd = CatalogKeys.CatalogUpperBound;
            DeleteRange(catalogEnd, CatalogKeys.AllKeysUpperBound, sync);
            DeleteRange([], catalogEnd, sync);
            using (var view = KeyValueStore.OpenView())
            {
                _catalog = LsmCatalog.Empty(view.Version);
            }

            _driftRecords = new Dictionary<string, byte[]>(StringComparer.Ordinal);

            Generators.Clear();
            Volatile.Write(
                ref _mappings, new Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>>(ReferenceEqualityComparer.Instance));
            return existed;
        }
    }

    public void Dispose() => KeyValueStore.Dispose();

    /// <summary>
    /// Reads the catalog again after a migration switched it (docs/migrations.md): mappings and key generators built from the
    /// old catalog are dropped, so the next use of any model maps it against the new one.
    /// </summary>
    public void ReloadCatalog()
    {
        lock (_catalogLock)
        {
            using (var view = KeyValueStore.OpenView())
            {
                _catalog = LsmCatalog.Load(view);
                _driftRecords = LoadDriftRecords(view);
            }

            Generators.Clear();
            _drift.Clear();
            Volatile.Write(
                ref _mappings, new Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>>(ReferenceEqualityComparer.Instance));
        }
    }

    /// <summary>The catalog as this store last read or committed it (for migrations, which plan against it).</summary>
    public LsmCatalog Catalog
    {
        get
        {
            lock (_catalogLock)
            {
                return _catalog;
            }
        }
    }

    /// <summary>
    /// The schema drift between the catalog and <paramref name="model"/> (docs/catalog.md, "Schema drift"), the first time it
    /// is asked for per model, so that it is logged once per open store; empty after that. That first time it is also recorded
    /// as the drift record of <paramref name="contextName"/> (docs/catalog.md, "Drift records"), and so is a refusal of the
    /// model, before it is thrown.
    /// </summary>
    public IReadOnlyList<LsmSchemaDifference> TakeUnreportedDrift(IModel model, string contextName)
    {
        try
        {
            GetMappings(model, sync: false, register: false);
        }
        catch (InvalidOperationException e) when (e.Data[LsmCatalog.RefusalDataKey] is SchemaDriftEntry refusal)
        {
            RecordDrift(contextName, [refusal]);
            throw;
        }

        lock (_catalogLock)
        {
            if (_drift.TryGetValue(model, out var drift) && drift is not null)
            {
                _drift[model] = null;
                RecordDrift(contextName, drift);
                return [.. drift.Select(d => d.ToDifference()!)];
            }

            _drift[model] = null;
            return [];
        }
    }

    /// <summary>The schema drift between the catalog and <paramref name="model"/>, as registration would see it now.</summary>
    public IReadOnlyList<LsmSchemaDifference> CompareWithModel(IModel model)
    {
        lock (_catalogLock)
        {
            return [.. _catalog.PlanRegistration(model, HasRows).Drift.Select(d => d.ToDifference()!)];
        }
    }

    /// <summary>
    /// Writes the drift record of <paramref name="contextName"/> when it differs from the stored one: <paramref name="entries"/>,
    /// or no record when there are none (the model matches the catalog again). Nothing is written to a database that does not
    /// exist (a read never creates one) or to a read-only store. The record is diagnostic: when another writer changed the
    /// schema records meanwhile, what was found is out of date, and it is not written (the next open records afresh).
    /// </summary>
    private void RecordDrift(string contextName, IReadOnlyList<SchemaDriftEntry> entries)
    {
        lock (_catalogLock)
        {
            if (!_recordsDrift || !_catalog.Exists)
            {
                return;
            }

            var encoded = entries.Count == 0 ? null : SchemaDriftRecord.Encode(entries);
            var stored = _driftRecords.GetValueOrDefault(contextName);
            if (encoded is null ? stored is null : stored is not null && stored.AsSpan().SequenceEqual(encoded))
            {
                return;
            }

            var key = CatalogKeys.Drift(contextName);
            var batch = new LsmConditionalBatch();
            if (encoded is null)
            {
                batch.Delete(key);
            }
            else
            {
                batch.Put(key, encoded);
            }

            batch.RequireRangeUnchangedSince(CatalogKeys.SchemaLowerBound, CatalogKeys.SchemaUpperBound, _catalog.Version);
            try
            {
                KeyValueStore.Commit(batch, sync: false);
            }
            catch (LsmWriteConflictException)
            {
                return;
            }

            if (encoded is null)
            {
                _driftRecords.Remove(contextName);
            }
            else
            {
                _driftRecords[contextName] = encoded;
            }
        }
    }

    private static Dictionary<string, byte[]> LoadDriftRecords(ILsmReadView view)
    {
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var prefix = CatalogKeys.KindPrefix(CatalogKeys.DriftKind);
        using var cursor = view.Scan(prefix, KeyEncoding.Internal.KeyRange.PrefixSuccessor(prefix)!);
        while (cursor.MoveNext())
        {
            var reader = new KeyEncoding.Internal.KeyReader(cursor.Key[prefix.Length..]);
            records[reader.ReadString()] = cursor.Value.ToArray();
        }

        return records;
    }

    /// <summary>Whether the keyspace of <paramref name="entity"/> holds at least one row (one seek).</summary>
    private bool HasRows(CatalogEntity entity)
    {
        var lower = CatalogKeys.KeyspacePrefix(entity.KeyspaceId);
        using var view = KeyValueStore.OpenView();
        using var cursor = view.Scan(lower, KeyEncoding.Internal.KeyRange.AfterParts(lower), limit: 1);
        return cursor.MoveNext();
    }

    private Dictionary<IEntityType, LsmEntityMapping> RegisterLocked(IModel model, bool sync)
    {
        if (_mappings.TryGetValue(model, out var existing))
        {
            return existing;
        }

        List<SchemaDriftEntry> drift = [];
        var changes = CommitCatalogChange(
            () =>
            {
                var planned = _catalog.PlanRegistration(model, HasRows);
                drift = planned.Drift;
                return planned;
            },
            sync);
        if (!_drift.TryGetValue(model, out var unreported) || unreported is not null)
        {
            _drift[model] = drift;
        }

        foreach (var dropped in changes?.DroppedIndexes ?? [])
        {
            // The catalog no longer names the index, so nothing reads these entries; they only take room.
            LsmIndexBuilder.DeleteEntries(KeyValueStore, dropped, sync);
        }

        foreach (var entityType in model.GetEntityTypes().Where(LsmCatalog.HasKeyspace))
        {
            var catalogEntity = _catalog.Entities[entityType.Name];
            foreach (var index in catalogEntity.Indexes.Where(i => i.State == CatalogIndexState.Building).ToList())
            {
                // Writes through this model maintain the index from now on; the rows written before get their entries here.
                var entity = new LsmEntityMapping(entityType, _catalog.Entities[entityType.Name]);
                LsmIndexBuilder.Build(KeyValueStore, entity, entity.Indexes.Single(i => i.Name == index.Name), sync);
                CommitCatalogChange(() => _catalog.PlanIndexReady(entityType.Name, index), sync);
            }
        }

        var mappings = LsmEntityMapping.CreateAll(model, e => _catalog.Entities[e.Name]);
        var all = new Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>>(_mappings, ReferenceEqualityComparer.Instance)
        {
            [model] = mappings,
        };
        Volatile.Write(ref _mappings, all);
        return mappings;
    }

    /// <summary>
    /// Plans a catalog change with <paramref name="plan"/> and commits it on condition that the schema records are unchanged
    /// since the catalog was read; when another writer changed them, reads the catalog again and plans again. Returns the
    /// committed change (null when there was nothing to change).
    /// </summary>
    private CatalogChanges? CommitCatalogChange(Func<CatalogChanges> plan, bool sync)
    {
        for (var attempt = 0; ; attempt++)
        {
            var changes = plan();
            if (changes.IsEmpty)
            {
                return null;
            }

            var batch = new LsmConditionalBatch();
            _catalog.AddToBatch(changes, batch);
            try
            {
                _catalog.Apply(changes, KeyValueStore.Commit(batch, sync));
                return changes;
            }
            catch (LsmWriteConflictException) when (attempt < 10)
            {
                using var view = KeyValueStore.OpenView();
                _catalog = LsmCatalog.Load(view);
            }
        }
    }

    private void DeleteRange(byte[] lower, byte[] upper, bool sync) => RangeDeleter.Delete(KeyValueStore, lower, upper, sync);
}
