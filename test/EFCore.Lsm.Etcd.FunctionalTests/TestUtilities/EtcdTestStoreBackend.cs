using System.Collections.Concurrent;
using System.Text;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

/// <summary>
/// The functional suite's databases on one shared 3-member etcd cluster, started by the first test that needs it and
/// stopped when the test process exits: the database a test names by a path is the key prefix "ft" + that full path +
/// "/" (so each test has its own, and two paths never nest). When the test's temp folder goes, its prefixes are closed
/// and deleted from the cluster.
/// </summary>
/// <remarks>
/// The cluster allows 1,024 operations per transaction instead of etcd's default 128, because the suite's seeding saves
/// write up to about 200 rows in one SaveChanges; the default limits and their errors are tested on clusters of their own
/// (<see cref="SharedClusters.DefaultLimits"/>).
/// </remarks>
public sealed class EtcdTestStoreBackend : ITestStoreBackend
{
    private readonly ConcurrentDictionary<string, byte> _paths = new(StringComparer.Ordinal);

    public static EtcdTestStoreBackend Instance { get; } = new();

    public void Configure(DbContextOptionsBuilder builder, string path)
    {
        var full = Path.GetFullPath(path);
        _paths.TryAdd(full, 0);
        var cluster = SharedClusters.Suite;
        builder.UseLsmCluster(cluster.ClientUrls, etcd => etcd.KeyPrefix(Prefix(full)).MaxTxnOps(cluster.Settings.MaxTxnOps));
    }

    public void Release(string folder)
    {
        var under = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        foreach (var path in _paths.Keys.Where(p => p.StartsWith(under, StringComparison.Ordinal)).ToList())
        {
            _paths.TryRemove(path, out _);
            var factory = Factory(path);
            LsmStorePool.Close(factory.StoreKey);
            DeletePrefix(Encoding.UTF8.GetBytes(Prefix(path)));
        }
    }

    public bool Close(string path) => LsmStorePool.Close(Factory(Path.GetFullPath(path)).StoreKey);

    private static Storage.Internal.EtcdKeyValueStoreFactory Factory(string fullPath) =>
        new(new Infrastructure.Internal.EtcdClusterOptions(Infrastructure.Internal.EtcdClusterOptions.ParseEndpoints(SharedClusters.Suite.ClientUrls))
        {
            KeyPrefix = Encoding.UTF8.GetBytes(Prefix(fullPath)),
        });

    private static string Prefix(string fullPath) => "ft" + fullPath + "/";

    private static void DeletePrefix(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        end[^1]++;
        SharedClusters.Suite.Members[0].Client.Delete(
            new DeleteRangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = ByteString.CopyFrom(end) },
            null,
            DateTime.UtcNow.AddSeconds(30));
    }
}
