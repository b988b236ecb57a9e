using System.Runtime.InteropServices;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Storage.Internal.Catalog;
using EFCore.Lsm.Storage.Internal.KeyEncoding;
using EFCore.Lsm.Storage.Internal.MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// One open engine and what the provider keeps per engine instance: the catalog, the entity mappings built from it,
/// the integer key generators, and the commit lock under which every check-then-write happens. Shared by every context
/// on the path through <see cref="LsmEngineRegistry"/>.
/// </summary>
/// <remarks>
/// The engine is single-process (its LOCK file), so a process-local lock is enough to make "check the latest committed
/// rows, then append the batch" atomic: no commit can land between a check and its write.
/// </remarks>
internal sealed class LsmStore : IDisposable
{
    /// <summary>Values an integer key generator reserves per catalog write. Gaps of up to this many are allowed.</summary>
    public const int GeneratorBlockSize = 64;

    private const int DeleteChunk = 4096;

    private readonly Lock _commitLock = new();
    private readonly Dictionary<(long KeyspaceId, uint PropertyId), GeneratorState> _generators = [];
    private LsmCatalog _catalog;
    private Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>> _mappings = new(ReferenceEqualityComparer.Instance);

    public LsmStore(string path, LsmDatabase engine)
    {
        Path = path;
        Engine = engine;
        _catalog = LsmCatalog.Load(engine);
    }

    public string Path { get; }

    public LsmDatabase Engine { get; }

    /// <summary>Whether the database has been created (it has a catalog).</summary>
    public bool Exists
    {
        get
        {
            lock (_commitLock)
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

        lock (_commitLock)
        {
            if (register)
            {
                return RegisterLocked(model, sync, out _);
            }

            var changes = _catalog.PlanRegistration(model);
            if (changes.IsEmpty)
            {
                return RegisterLocked(model, sync, out _);
            }

            var entities = new Dictionary<string, CatalogEntity>(_catalog.Entities, StringComparer.Ordinal);
            foreach (var entity in changes.Entities)
            {
                entities[entity.Name] = entity;
            }

            return model.GetEntityTypes().ToDictionary(e => e, e => new LsmEntityMapping(e, entities[e.Name]));
        }
    }

    /// <summary>Creates the catalog for <paramref name="model"/>; true when the database did not exist before.</summary>
    public bool EnsureCreated(IModel model, bool sync)
    {
        lock (_commitLock)
        {
            var existed = _catalog.Exists;
            RegisterLocked(model, sync, out _);
            return !existed;
        }
    }

    /// <summary>
    /// Deletes every row and the catalog; true when the database existed. Rows go first in chunks and the catalog last,
    /// so a crash part-way leaves a database that still exists and that a second call finishes deleting.
    /// </summary>
    public bool DeleteAll(bool sync)
    {
        lock (_commitLock)
        {
            var existed = _catalog.Exists;
            var catalogEnd = KeyRange.AfterParts(CatalogKeys.KeyspacePrefix(CatalogKeys.CatalogKeyspaceId));
            DeleteRange(catalogEnd, null, sync);
            DeleteRange(null, catalogEnd, sync);
            _catalog = LsmCatalog.Empty();
            _generators.Clear();
            Volatile.Write(
                ref _mappings, new Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>>(ReferenceEqualityComparer.Instance));
            return existed;
        }
    }

    /// <summary>The next value of an integer key generator, reserving a new block in the catalog when the last is used up.</summary>
    public long NextGeneratedValue(LsmEntityMapping mapping, bool sync)
    {
        lock (_commitLock)
        {
            var state = GetGeneratorLocked(mapping);
            if (state.Next >= state.Limit)
            {
                // The block's end is committed before any value in it is handed out. A save that uses a value is a later
                // WAL record than the reservation, so whatever survives a crash, the reservation that covers it does too.
                var limit = checked(state.Next + GeneratorBlockSize);
                var batch = new WriteBatch();
                batch.Put(CatalogKeys.Generator(mapping.KeyspaceId, mapping.GeneratedIntegerKey!.Id), EncodeInt64(limit));
                Engine.Write(batch, new WriteOptions { Sync = sync });
                state.Limit = limit;
            }

            return state.Next++;
        }
    }

    /// <summary>
    /// Checks every write against the latest committed state and appends them all as one batch (one WAL record), under
    /// the commit lock. On a failed check nothing is written and a <see cref="DbUpdateException"/> (or its concurrency
    /// subclass) names the entry.
    /// </summary>
    public void Commit(IReadOnlyList<RowWrite> writes, bool sync)
    {
        var batch = new WriteBatch();
        using var scratch = new PooledByteBufferWriter();
        lock (_commitLock)
        {
            // Writes earlier in this save shadow committed rows for later checks (a delete and an insert of one key).
            var pending = new Dictionary<byte[], byte[]?>(ByteArrayEqualityComparer.Instance);
            List<(GeneratorState State, long Limit, byte[] Key)>? generatorRaises = null;
            foreach (var write in writes)
            {
                var current = pending.TryGetValue(write.Key, out var shadow) ? shadow : Engine.Get(write.Key);
                Check(write, current, scratch);
                pending[write.Key] = write.Value;
                if (write.Value is null)
                {
                    batch.Delete(write.Key);
                }
                else
                {
                    batch.Put(write.Key, write.Value);
                    if (write.Check == RowCheck.MustBeAbsent || write.Check == RowCheck.Unchanged)
                    {
                        ObserveGeneratedKeyLocked(write, batch, ref generatorRaises);
                    }
                }
            }

            Engine.Write(batch, new WriteOptions { Sync = sync });
            if (generatorRaises is not null)
            {
                foreach (var (state, limit, _) in generatorRaises)
                {
                    state.Limit = Math.Max(state.Limit, limit);
                    state.Next = Math.Max(state.Next, limit);
                }
            }
        }
    }

    public void Dispose() => Engine.Dispose();

    /// <summary>Throws the save's exception when <paramref name="write"/>'s check fails against <paramref name="current"/>.</summary>
    public static void Check(RowWrite write, byte[]? current, PooledByteBufferWriter scratch)
    {
        var entry = write.Entry;
        var entries = entry is null ? Array.Empty<IUpdateEntry>() : [entry];
        var name = write.Mapping.EntityType.DisplayName();
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent when current is not null:
                throw new DbUpdateException(
                    $"Cannot insert the '{name}' entity: a row with the same key ({KeyNames(write.Mapping)}) already exists.",
                    (Exception?)null,
                    entries);
            case RowCheck.MustExist when current is null:
                // As EF's other providers report it: the row the update or delete expected is gone.
                throw new DbUpdateConcurrencyException(
                    $"Cannot {(write.Value is null ? "delete" : "update")} the '{name}' entity: its row does not exist "
                    + "(it was deleted, or never saved). Reload the entity and retry.",
                    entries);
            case RowCheck.MustExist when write.Mapping.HasConcurrencyTokens && write.TokenEntry is { } tokens
                && !write.Mapping.ConcurrencyTokensMatch(current!, tokens, scratch):
                throw new DbUpdateConcurrencyException(
                    $"Cannot {(write.Value is null ? "delete" : "update")} the '{name}' entity: its concurrency token changed since it was "
                    + "read. Reload the entity and retry.",
                    entries);
            case RowCheck.Unchanged when !BytesEqual(current, write.Expected):
                throw new DbUpdateConcurrencyException(
                    $"The transaction cannot commit: the '{name}' row it writes was changed by another commit after the transaction "
                    + "started.",
                    entries);
        }
    }

    private void ObserveGeneratedKeyLocked(
        RowWrite write, WriteBatch batch, ref List<(GeneratorState State, long Limit, byte[] Key)>? raises)
    {
        // A row inserted with an explicit value (seed data, imports) must not be handed out again by the generator, so a
        // value at or past the reserved block moves the reservation past it, in the same batch as the row.
        if (write.GeneratedKeyValue is not { } value || value < 0 || value == long.MaxValue)
        {
            return;
        }

        var state = GetGeneratorLocked(write.Mapping);
        var next = value + 1;
        if (next <= state.Next)
        {
            return;
        }

        if (next > state.Limit)
        {
            batch.Put(CatalogKeys.Generator(write.Mapping.KeyspaceId, write.Mapping.GeneratedIntegerKey!.Id), EncodeInt64(next));
        }

        (raises ??= []).Add((state, next, write.Key));
    }

    private GeneratorState GetGeneratorLocked(LsmEntityMapping mapping)
    {
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(
            _generators, (mapping.KeyspaceId, mapping.GeneratedIntegerKey!.Id), out var exists);
        if (!exists)
        {
            // After a restart, start past the whole last reservation: values inside it may have been handed out.
            var stored = Engine.Get(CatalogKeys.Generator(mapping.KeyspaceId, mapping.GeneratedIntegerKey.Id));
            var limit = stored is null ? 1 : DecodeInt64(stored);
            state = new GeneratorState { Next = limit, Limit = limit };
        }

        return state!;
    }

    private Dictionary<IEntityType, LsmEntityMapping> RegisterLocked(IModel model, bool sync, out bool changed)
    {
        if (_mappings.TryGetValue(model, out var existing))
        {
            changed = false;
            return existing;
        }

        var changes = _catalog.PlanRegistration(model);
        changed = !changes.IsEmpty;
        if (changed)
        {
            var batch = new WriteBatch();
            LsmCatalog.AddToBatch(changes, batch);
            Engine.Write(batch, new WriteOptions { Sync = sync });
            _catalog.Apply(changes);
        }

        var mappings = model.GetEntityTypes().ToDictionary(e => e, e => new LsmEntityMapping(e, _catalog.Entities[e.Name]));
        var all = new Dictionary<IModel, Dictionary<IEntityType, LsmEntityMapping>>(_mappings, ReferenceEqualityComparer.Instance)
        {
            [model] = mappings,
        };
        Volatile.Write(ref _mappings, all);
        return mappings;
    }

    private void DeleteRange(byte[]? lower, byte[]? upper, bool sync)
    {
        using var iterator = Engine.NewIterator(new ReadOptions { LowerBound = lower, UpperBound = upper, FillCache = false });
        var batch = new WriteBatch();
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            batch.Delete(iterator.Key);
            if (batch.Count == DeleteChunk)
            {
                Engine.Write(batch, new WriteOptions { Sync = false });
                batch = new WriteBatch();
            }
        }

        Engine.Write(batch, new WriteOptions { Sync = sync });
    }

    private static byte[] EncodeInt64(long value)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static long DecodeInt64(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 8
            ? System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(bytes)
            : throw new LsmCorruptionException("catalog", 0, $"a key generator record is {bytes.Length} bytes, not 8");

    private static bool BytesEqual(byte[]? a, byte[]? b) =>
        a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static string KeyNames(LsmEntityMapping mapping) => string.Join(", ", mapping.KeyProperties.Select(p => p.Property.Name));

    private sealed class GeneratorState
    {
        public long Next { get; set; }

        public long Limit { get; set; }
    }
}
