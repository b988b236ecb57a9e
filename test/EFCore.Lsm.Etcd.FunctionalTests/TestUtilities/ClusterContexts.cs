using EFCore.Lsm.Etcd.Infrastructure;
using EFCore.Lsm.FunctionalTests;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

/// <summary>Test contexts on a given cluster and key prefix, with the cluster's limits.</summary>
public static class ClusterContexts
{
    public static TestContext Create(EtcdCluster cluster, string prefix, Action<LsmClusterDbContextOptionsBuilder>? configure = null) =>
        new(new DbContextOptionsBuilder<TestContext>()
            .UseLsmCluster(cluster.ClientUrls, etcd =>
            {
                etcd.KeyPrefix(prefix).MaxTxnOps(cluster.Settings.MaxTxnOps).MaxRequestBytes(cluster.Settings.MaxRequestBytes);
                configure?.Invoke(etcd);
            })
            .Options);

    public static string NewPrefix(string name) => $"{name}/{Guid.NewGuid():N}/";
}
