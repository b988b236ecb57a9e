using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>
/// The embedded engine behind batch limits such as a distributed store has (etcd's --max-txn-ops and request size limit):
/// a commit over them is refused with <see cref="LsmBatchTooLargeException"/>, as the seam specifies, and every commit's
/// size is recorded. <see cref="BeforeCommit"/> lets a test look at a batch, or race it with another writer, before it commits.
/// </summary>
public sealed class LimitedStoreFactory(string path, int maxOperations, long? maxBytes = null) : ILsmKeyValueStoreFactory
{
    private readonly EngineKeyValueStoreFactory _engine = new(path, 1L << 20, 1L << 20);

    public string StoreKey => _engine.StoreKey;

    public string SharedSettings => _engine.SharedSettings + ", MaxOperations=" + maxOperations + ", MaxBytes=" + maxBytes;

    /// <summary>Operations plus conditions of each batch committed.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<int> CommittedSizes { get; } = new();

    /// <summary>Bytes (<see cref="LsmConditionalBatch.ApproximateSize"/>) of each batch committed.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<long> CommittedBytes { get; } = new();

    /// <summary>Called with each batch before it is checked and committed (on the committing thread).</summary>
    public Action<LsmConditionalBatch>? BeforeCommit { get; set; }

    public ILsmKeyValueStore Open() => new LimitedStore(_engine.Open(), maxOperations, maxBytes, CommittedSizes, CommittedBytes, this);

    private sealed class LimitedStore(
        ILsmKeyValueStore inner,
        int maxOperations,
        long? maxBytes,
        System.Collections.Concurrent.ConcurrentQueue<int> sizes,
        System.Collections.Concurrent.ConcurrentQueue<long> bytes,
        LimitedStoreFactory factory)
        : ILsmKeyValueStore
    {
        public string Description => inner.Description + " (limited)";

        public LsmStoreLimits Limits { get; } = inner.Limits with { MaxOperations = maxOperations, MaxBytes = maxBytes };

        public ILsmReadView OpenView() => inner.OpenView();

        public long Commit(LsmConditionalBatch batch, bool sync)
        {
            factory.BeforeCommit?.Invoke(batch);
            var size = batch.Operations.Count + batch.Conditions.Count;
            if (size > maxOperations)
            {
                throw new LsmBatchTooLargeException($"{size} operations and conditions, over the limit of {maxOperations}");
            }

            if (batch.ApproximateSize > maxBytes)
            {
                throw new LsmBatchTooLargeException($"{batch.ApproximateSize} bytes, over the limit of {maxBytes}");
            }

            var version = inner.Commit(batch, sync);
            sizes.Enqueue(size);
            bytes.Enqueue(batch.ApproximateSize);
            return version;
        }

        public void Dispose() => inner.Dispose();
    }
}
