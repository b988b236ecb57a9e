using System.Text;
using EFCore.Lsm.Etcd.Infrastructure.Internal;

namespace EFCore.Lsm.Etcd.Infrastructure;

/// <summary>
/// Settings for <c>UseLsmCluster</c>: <c>options.UseLsmCluster("http://10.0.0.1:2379,http://10.0.0.2:2379", etcd =&gt;
/// etcd.KeyPrefix("shop/").MaxTxnOps(1024))</c>. The limits must be the cluster's own (etcd does not publish them).
/// </summary>
public sealed class LsmClusterDbContextOptionsBuilder
{
    private EtcdClusterOptions _options;

    internal LsmClusterDbContextOptionsBuilder(EtcdClusterOptions options) => _options = options;

    internal EtcdClusterOptions Options => _options;

    /// <summary>
    /// Stores every key under <paramref name="prefix"/> (UTF-8), so several databases share one cluster; the default is
    /// none (the whole key space).
    /// </summary>
    public LsmClusterDbContextOptionsBuilder KeyPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return KeyPrefix(Encoding.UTF8.GetBytes(prefix));
    }

    /// <summary>Stores every key under the bytes <paramref name="prefix"/>.</summary>
    public LsmClusterDbContextOptionsBuilder KeyPrefix(byte[] prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return With(_options with { KeyPrefix = [.. prefix] });
    }

    /// <summary>The cluster's <c>--max-txn-ops</c> (default 128): one SaveChanges may write one row fewer than this.</summary>
    public LsmClusterDbContextOptionsBuilder MaxTxnOps(int operations) => With(_options with { MaxTxnOps = operations });

    /// <summary>The cluster's <c>--max-request-bytes</c> (default 1.5 MiB): the largest SaveChanges, in encoded bytes.</summary>
    public LsmClusterDbContextOptionsBuilder MaxRequestBytes(int bytes) => With(_options with { MaxRequestBytes = bytes });

    /// <summary>
    /// How long a read or a save keeps retrying through member failures and leader elections before it fails with
    /// <c>LsmStoreUnavailableException</c> (default 10 s).
    /// </summary>
    public LsmClusterDbContextOptionsBuilder OperationTimeout(TimeSpan timeout) => With(_options with { OperationTimeout = timeout });

    private LsmClusterDbContextOptionsBuilder With(EtcdClusterOptions options)
    {
        options.Validate();
        _options = options;
        return this;
    }
}
