using System.Buffers;

namespace EFCore.Lsm.Storage;

/// <summary>
/// The storage seam of the provider: an ordered key-value store with consistent views and conditional atomic batches.
/// Everything above storage (the catalog, rows, indexes, queries, transactions, key generation, migrations) reads and
/// writes only through it, so the same EF model runs on the embedded engine or on a distributed backend. What each
/// member promises is specified in docs/storage_seam.md; an implementation must keep all of it.
/// </summary>
/// <remarks>
/// Keys and values are byte strings; keys order bytewise (unsigned, shorter prefix first). Versions are the store's
/// commit counter (the engine's sequence number, a cluster's revision): a view at version v sees exactly the batches
/// committed at or before v. Thread-safe: any number of views and commits may run concurrently.
/// </remarks>
public interface ILsmKeyValueStore : IDisposable
{
    /// <summary>What the store is, for messages: "EFCore.Lsm database '/data/app'", "etcd cluster …".</summary>
    string Description { get; }

    /// <summary>Limits a single <see cref="Commit"/> must respect; a batch over them is refused before anything is written.</summary>
    LsmStoreLimits Limits { get; }

    /// <summary>
    /// A consistent view at the latest committed version. Dispose it: it pins that version (the engine keeps the versions
    /// it can see from compaction). Conditions that refer to the view's <see cref="ILsmReadView.Version"/> are only
    /// meaningful while it is open.
    /// </summary>
    ILsmReadView OpenView();

    /// <summary>
    /// Checks every condition of <paramref name="batch"/> against the latest committed state and, when all hold, applies all
    /// of its puts and deletes atomically (after a crash or a failover: all or none). With <paramref name="sync"/> the batch
    /// is durable when this returns. Throws <see cref="LsmWriteConflictException"/> (nothing written) when a condition fails,
    /// <see cref="LsmBatchTooLargeException"/> (nothing written) when the batch exceeds <see cref="Limits"/>, and
    /// <see cref="LsmStoreUnavailableException"/> when the store cannot be reached (the outcome may then be unknown; see
    /// docs/storage_seam.md). Returns the version the batch committed at: a view at that version or later sees all of it.
    /// </summary>
    long Commit(LsmConditionalBatch batch, bool sync);
}

/// <summary>A consistent, read-only view of an <see cref="ILsmKeyValueStore"/> at one version.</summary>
public interface ILsmReadView : IDisposable
{
    /// <summary>The version the view reads at; the argument of "unchanged since" conditions.</summary>
    long Version { get; }

    /// <summary>A copy of the value of <paramref name="key"/>, or null when the key has no value at this version.</summary>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>Appends the value of <paramref name="key"/> to <paramref name="value"/>; false when the key has no value.</summary>
    bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value);

    /// <summary>The values of <paramref name="keys"/> at this version, in the same order (null where absent): one round trip.</summary>
    byte[]?[] GetMany(IReadOnlyList<byte[]> keys);

    /// <summary>
    /// The values of <paramref name="keys"/> at this version, each handed to <paramref name="sink"/> with its index in
    /// <paramref name="keys"/> (keys without a value are not reported), in one round trip; returns how many keys had a value.
    /// The calls come in whatever order the store resolves keys, and each value is valid only during its call, so a store
    /// can pass values straight from its own memory with no copy per key (the embedded engine does). By default, the values of
    /// <see cref="GetMany(IReadOnlyList{byte[]})"/>.
    /// </summary>
    int GetMany(IReadOnlyList<byte[]> keys, ILsmValueSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var values = GetMany(keys);
        var found = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } value)
            {
                sink.Found(i, value);
                found++;
            }
        }

        return found;
    }

    /// <summary>
    /// The entries with keys in [<paramref name="lower"/>, <paramref name="upper"/>), ascending (or descending when
    /// <paramref name="reverse"/>), at most <paramref name="limit"/> of them when given. Dispose the cursor.
    /// </summary>
    ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null);

    /// <summary>
    /// About how many entries lie in [<paramref name="lower"/>, <paramref name="upper"/>), from statistics the store keeps
    /// anyway (the engine's table indexes and memtable levels, a cluster's count of a range), so that a query can choose
    /// between access paths before reading any of them; null when the store has no cheap estimate. Never exact by
    /// contract: the engine counts versions and deletion markers not yet compacted, and reads its current state, not the
    /// view's version. The query planner asks once per candidate range per execution.
    /// </summary>
    long? ApproximateCount(byte[] lower, byte[] upper) => null;
}

/// <summary>Receives the values of <see cref="ILsmReadView.GetMany(IReadOnlyList{byte[]}, ILsmValueSink)"/>.</summary>
public interface ILsmValueSink
{
    /// <summary>
    /// The key at <paramref name="index"/> of the caller's list has <paramref name="value"/>, valid only during the call (copy or
    /// decode what you keep). The call must not read the store.
    /// </summary>
    void Found(int index, ReadOnlySpan<byte> value);
}

/// <summary>A forward-only cursor over the entries of a scan. <see cref="Key"/> and <see cref="Value"/> are valid until the next <see cref="MoveNext"/>.</summary>
public interface ILsmCursor : IDisposable
{
    /// <summary>Moves to the next entry; false at the end of the range (or the limit).</summary>
    bool MoveNext();

    /// <summary>The current entry's key.</summary>
    ReadOnlySpan<byte> Key { get; }

    /// <summary>The current entry's value.</summary>
    ReadOnlySpan<byte> Value { get; }
}

/// <summary>Opens the <see cref="ILsmKeyValueStore"/> a context's options name; one store per <see cref="StoreKey"/> per process.</summary>
public interface ILsmKeyValueStoreFactory
{
    /// <summary>
    /// Identifies the store: contexts whose factories have equal keys share one open store (the full path of an embedded
    /// database, the endpoint list of a cluster).
    /// </summary>
    string StoreKey { get; }

    /// <summary>
    /// Settings that must agree among every context sharing the store (compared as text); a context that asks for other
    /// settings while the store is open gets an error naming both.
    /// </summary>
    string SharedSettings { get; }

    /// <summary>Opens the store; the provider's pool calls this once per <see cref="StoreKey"/> and shares the result.</summary>
    ILsmKeyValueStore Open();
}

/// <summary>What a single commit of a store may hold; null means no limit beyond memory.</summary>
/// <param name="MaxKeyBytes">The longest key the store accepts.</param>
/// <param name="MaxValueBytes">The longest value the store accepts.</param>
/// <param name="MaxOperations">The most puts, deletes and conditions in one batch (etcd's --max-txn-ops).</param>
/// <param name="MaxBytes">The most bytes of keys and values in one batch (etcd's request size limit).</param>
public sealed record LsmStoreLimits(int MaxKeyBytes, int MaxValueBytes, int? MaxOperations, long? MaxBytes);
