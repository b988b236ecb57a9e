using System.Text;
using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;
using EFCore.Lsm.FunctionalTests;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Etcdserverpb;
using Google.Protobuf;

namespace EFCore.Lsm.Etcd.FunctionalTests.EtcdBackend;

/// <summary>The linked functional suite really runs on the cluster: what a test context saves is in etcd, under the test's prefix.</summary>
public sealed class SuiteConfigurationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Test_contexts_store_their_rows_in_the_etcd_cluster_under_the_tests_prefix()
    {
        Assert.IsType<EtcdTestStoreBackend>(TestStore.Backend);
        using (var context = TestContext.Create(_temp.Db()))
        {
            context.Add(new Tag { Id = "on-etcd", Note = "x" });
            context.SaveChanges();
        }

        var prefix = Encoding.UTF8.GetBytes("ft" + Path.GetFullPath(_temp.Db()) + "/");
        var end = (byte[])prefix.Clone();
        end[^1]++;
        var stored = SharedClusters.Suite.Members[0].Client.Get(
            new RangeRequest { Key = ByteString.CopyFrom(prefix), RangeEnd = ByteString.CopyFrom(end), CountOnly = true },
            null,
            DateTime.UtcNow.AddSeconds(30));

        // The catalog (header, Tag's record) and the row at least; nothing of it in a folder.
        Assert.True(stored.Count >= 3, $"{stored.Count} keys under the test's prefix");
        Assert.False(Directory.Exists(_temp.Db()));
    }
}
