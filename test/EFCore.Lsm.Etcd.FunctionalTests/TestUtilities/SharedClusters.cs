namespace EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

/// <summary>
/// The clusters tests share (each started on first use, stopped when the test process exits). Tests that kill members
/// start clusters of their own.
/// </summary>
public static class SharedClusters
{
    private static readonly Lazy<EtcdCluster> s_suite = new(() => Track(EtcdCluster.Start(new EtcdClusterSettings { MaxTxnOps = 1024 })));
    private static readonly Lazy<EtcdCluster> s_defaultLimits = new(() => Track(EtcdCluster.Start(new EtcdClusterSettings())));

    /// <summary>3 members, --max-txn-ops 1024 (the functional suite's seeding saves are larger than etcd's default 128).</summary>
    public static EtcdCluster Suite => s_suite.Value;

    /// <summary>3 members with etcd's default limits: 128 operations and 1.5 MiB per request.</summary>
    public static EtcdCluster DefaultLimits => s_defaultLimits.Value;

    private static EtcdCluster Track(EtcdCluster cluster)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        return cluster;
    }
}
