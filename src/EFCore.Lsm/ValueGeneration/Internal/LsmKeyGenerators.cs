using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.ValueGeneration.Internal;

/// <summary>
/// The integer key generators of one open store (docs/catalog.md, "Integer key generation"): per generated key property
/// a block of <see cref="BlockSize"/> values is reserved in the catalog (a conditional commit, so two processes sharing a
/// store never reserve the same block) before any value of it is handed out; after a restart generation starts past the
/// last reservation. Inserts with explicit values at or past a generator's position move it past them (in the same batch
/// as the rows, see <see cref="ObserveExplicitValues"/>).
/// </summary>
internal sealed class LsmKeyGenerators(ILsmKeyValueStore store)
{
    /// <summary>Values reserved per catalog write. Gaps of up to this many are allowed.</summary>
    public const int BlockSize = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<(long KeyspaceId, uint PropertyId), State> _states = [];

    /// <summary>The next value of the generator of <paramref name="mapping"/>'s key part <paramref name="key"/>.</summary>
    public long Next(LsmEntityMapping mapping, LsmEntityMapping.PropertyMapping key, bool sync)
    {
        lock (_lock)
        {
            var state = GetLocked(mapping, key);
            if (state.Next >= state.Limit)
            {
                Reserve(mapping, key, state, sync);
            }

            return state.Next++;
        }
    }

    /// <summary>
    /// For a save: the inserts of <paramref name="values"/> (explicit values of generated keys) that reach past a
    /// generator's reservation put the new reservation end into <paramref name="batch"/>, on condition that no other
    /// reservation committed since <paramref name="view"/>. Returns what to apply to the in-memory generators once the
    /// batch committed (<see cref="Apply"/>), or null when nothing moves.
    /// </summary>
    public List<(LsmEntityMapping Mapping, LsmEntityMapping.PropertyMapping Key, long Next)>? ObserveExplicitValues(
        IEnumerable<(LsmEntityMapping Mapping, LsmEntityMapping.PropertyMapping Key, long Value)> values,
        LsmConditionalBatch batch,
        ILsmReadView view)
    {
        Dictionary<(long, uint), (LsmEntityMapping Mapping, LsmEntityMapping.PropertyMapping Key, long Next)>? raised = null;
        lock (_lock)
        {
            foreach (var (mapping, keyPart, value) in values)
            {
                if (value < 0 || value == long.MaxValue)
                {
                    continue;
                }

                var state = GetLocked(mapping, keyPart);
                var next = value + 1;
                var id = (mapping.KeyspaceId, keyPart.Id);
                if (next > state.Next && (raised is null || !raised.TryGetValue(id, out var earlier) || earlier.Next < next))
                {
                    (raised ??= [])[id] = (mapping, keyPart, next);
                }
            }

            if (raised is null)
            {
                return null;
            }

            foreach (var (mapping, keyPart, next) in raised.Values)
            {
                var state = GetLocked(mapping, keyPart);
                if (next > state.Limit)
                {
                    var key = CatalogKeys.Generator(mapping.KeyspaceId, keyPart.Id);
                    var stored = Decode(view.Get(key));
                    if (next > stored)
                    {
                        batch.Put(key, Encode(next));
                        batch.RequireUnchangedSince(key, view.Version);
                    }
                }
            }

            return [.. raised.Values];
        }
    }

    /// <summary>Takes the committed result of <see cref="ObserveExplicitValues"/> into the generators.</summary>
    public void Apply(List<(LsmEntityMapping Mapping, LsmEntityMapping.PropertyMapping Key, long Next)> raised)
    {
        lock (_lock)
        {
            foreach (var (mapping, key, next) in raised)
            {
                var state = GetLocked(mapping, key);
                state.Next = Math.Max(state.Next, next);
                state.Limit = Math.Max(state.Limit, next);
            }
        }
    }

    /// <summary>Forgets every generator (the database was deleted).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _states.Clear();
        }
    }

    private void Reserve(LsmEntityMapping mapping, LsmEntityMapping.PropertyMapping keyPart, State state, bool sync)
    {
        var key = CatalogKeys.Generator(mapping.KeyspaceId, keyPart.Id);
        for (var attempt = 0; ; attempt++)
        {
            // The block's end is committed before any value in it is handed out. A save that uses a value is a later
            // commit than the reservation, so whatever survives a crash, the reservation that covers it does too.
            using var view = store.OpenView();
            var start = Math.Max(state.Next, Decode(view.Get(key)));
            var limit = checked(start + BlockSize);
            var batch = new LsmConditionalBatch();
            batch.Put(key, Encode(limit));
            batch.RequireUnchangedSince(key, view.Version);
            try
            {
                store.Commit(batch, sync);
                state.Next = start;
                state.Limit = limit;
                return;
            }
            catch (LsmWriteConflictException) when (attempt < 100)
            {
                // Another writer reserved a block (or moved the generator past an explicit value) meanwhile: start after it.
            }
        }
    }

    private State GetLocked(LsmEntityMapping mapping, LsmEntityMapping.PropertyMapping keyPart)
    {
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_states, (mapping.KeyspaceId, keyPart.Id), out var exists);
        if (!exists)
        {
            // After a restart, start past the whole last reservation: values inside it may have been handed out.
            using var view = store.OpenView();
            var limit = Decode(view.Get(CatalogKeys.Generator(mapping.KeyspaceId, keyPart.Id)));
            state = new State { Next = limit, Limit = limit };
        }

        return state!;
    }

    private static byte[] Encode(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static long Decode(byte[]? bytes) =>
        bytes is null ? 1
        : bytes.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(bytes)
        : throw new LsmStoredDataException($"The catalog is damaged: a key generator record is {bytes.Length} bytes, not 8.");

    private sealed class State
    {
        public long Next { get; set; }

        public long Limit { get; set; }
    }
}
