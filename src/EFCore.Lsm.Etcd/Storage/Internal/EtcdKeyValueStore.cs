using EFCore.Lsm.Etcd.Infrastructure.Internal;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Storage;
using Etcdserverpb;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// The storage seam (<see cref="ILsmKeyValueStore"/>) over an etcd v3 cluster (docs/etcd_backend.md): versions are etcd
/// revisions, a view reads at one revision, a conditional batch is one etcd transaction whose compares are the batch's
/// conditions. etcd replicates every transaction to a majority of its members before it answers, so a commit that
/// returned survives the loss of any minority of them.
/// </summary>
internal sealed class EtcdKeyValueStore : ILsmKeyValueStore
{
    private readonly EtcdCommitSlots _slots;
    private readonly EtcdBatchCommitter _committer;

    public EtcdKeyValueStore(EtcdClusterOptions options)
    {
        options.Validate();
        Description = $"etcd cluster {options.CanonicalEndpoints}"
            + (options.KeyPrefix.Length == 0 ? "" : $" (key prefix '{options.KeyPrefixText}')");
        Keys = new EtcdKeys(options.KeyPrefix);
        Connection = new EtcdConnection(options, Description);
        Limits = LimitsOf(options);
        _slots = new EtcdCommitSlots(Connection, Keys);
        _committer = new EtcdBatchCommitter(Connection, Keys, new EtcdConditionCompiler(Connection, Keys, Description), _slots, Description);
    }

    public string Description { get; }

    public LsmStoreLimits Limits { get; }

    internal EtcdConnection Connection { get; }

    internal EtcdKeys Keys { get; }

    internal EtcdBatchCommitter Committer => _committer;

    public ILsmReadView OpenView() => new EtcdReadView(this);

    /// <summary>
    /// Commits <paramref name="batch"/> as one etcd transaction. <paramref name="sync"/> changes nothing: etcd answers a write
    /// only once a majority of the members has it in their fsynced logs.
    /// </summary>
    public long Commit(LsmConditionalBatch batch, bool sync)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            using var view = OpenView();
            return view.Version;
        }

        return _committer.Commit(batch);
    }

    public void Dispose()
    {
        _slots.Dispose();
        Connection.Dispose();
    }

    /// <summary>
    /// What one commit may hold: a row and its key must fit in one request together with the compare on the key and the
    /// commit slot; the operation limit leaves room for the slot's put.
    /// </summary>
    private static LsmStoreLimits LimitsOf(EtcdClusterOptions options)
    {
        var maxKey = KeyEncodingLimits.MaxKeySize;
        var perKey = maxKey + options.KeyPrefix.Length;
        return new LsmStoreLimits(
            MaxKeyBytes: maxKey,
            MaxValueBytes: options.MaxRequestBytes - EtcdBatchCommitter.RequestOverhead - 2 * perKey - 1024,
            MaxOperations: options.MaxTxnOps - 1,
            MaxBytes: options.MaxRequestBytes - EtcdBatchCommitter.RequestOverhead);
    }
}
