using System.Text;
using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;
using EFCore.Lsm.FunctionalTests;
using EFCore.Lsm.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.Etcd.FunctionalTests.EtcdBackend;

/// <summary>
/// The provider on etcd through <c>UseLsmCluster</c>: configuration, lifecycle, the cluster's limits as EF users meet them,
/// a compacted revision and an unreachable cluster, each a clear typed error with nothing written.
/// </summary>
public sealed class EtcdProviderTests
{
    private static EtcdCluster Cluster => SharedClusters.DefaultLimits;

    [Fact]
    public void Ensure_created_and_deleted_work_on_a_key_prefix_and_leave_no_provider_key_behind()
    {
        var prefix = ClusterContexts.NewPrefix("life");
        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            Assert.True(context.Database.EnsureCreated());
            Assert.False(context.Database.EnsureCreated());
            context.Add(new Customer { Name = "Ada" });
            context.Add(new Tag { Id = "t" });
            context.SaveChanges();
        }

        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            Assert.Equal("Ada", context.Customers.Single().Name);
            Assert.True(context.Database.EnsureDeleted());
            Assert.False(context.Database.EnsureDeleted());
            Assert.Empty(context.Customers.ToList());
        }

        Assert.Equal(0, CountProviderKeys(prefix));
    }

    [Fact]
    public void Dependency_injection_and_shared_stores_work_as_with_UseLsm()
    {
        var prefix = ClusterContexts.NewPrefix("di");
        using var services = new ServiceCollection()
            .AddDbContext<TestContext>(o => o.UseLsmCluster(Cluster.ClientUrls, etcd => etcd.KeyPrefix(prefix)))
            .BuildServiceProvider();
        using (var scope = services.CreateScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<TestContext>();
            context.Add(new Tag { Id = "from-di" });
            context.SaveChanges();
        }

        using var other = ClusterContexts.Create(Cluster, prefix);
        Assert.Equal("from-di", other.Tags.Single().Id);

        // Contexts on one store must agree on its settings.
        using var different = ClusterContexts.Create(Cluster, prefix, etcd => etcd.MaxTxnOps(64));
        var e = Assert.Throws<InvalidOperationException>(() => different.Tags.ToList());
        Assert.Contains("MaxTxnOps=64", e.Message);
    }

    [Fact]
    public void Unsupported_and_malformed_cluster_settings_are_refused_by_name()
    {
        var builder = new DbContextOptionsBuilder<TestContext>();
        Assert.Contains("TLS", Assert.Throws<NotSupportedException>(() => builder.UseLsmCluster("https://127.0.0.1:2379")).Message);
        Assert.Contains("authentication", Assert.Throws<NotSupportedException>(() => builder.UseLsmCluster("http://u:p@127.0.0.1:2379")).Message);
        Assert.Throws<ArgumentException>(() => builder.UseLsmCluster("http://127.0.0.1:2379/path"));
        Assert.Throws<ArgumentException>(() => builder.UseLsmCluster(" , "));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseLsmCluster("127.0.0.1:2379", e => e.MaxTxnOps(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseLsmCluster("127.0.0.1:2379", e => e.OperationTimeout(TimeSpan.Zero)));
    }

    [Fact]
    public void A_SaveChanges_over_the_clusters_operation_limit_fails_before_anything_is_written()
    {
        var prefix = ClusterContexts.NewPrefix("ops");
        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            // 127 inserts: 127 puts and 127 "absent" compares, plus the commit slot's put and compare = 128 each.
            context.AddRange(Enumerable.Range(0, 127).Select(i => new Tag { Id = $"a{i:D3}" }));
            Assert.Equal(127, context.SaveChanges());
        }

        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            context.AddRange(Enumerable.Range(0, 128).Select(i => new Tag { Id = $"b{i:D3}" }));
            var e = Assert.Throws<LsmBatchTooLargeException>(() => context.SaveChanges());
            Assert.Contains("128", e.Message);
            Assert.Contains("--max-txn-ops", e.Message);
        }

        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            Assert.Equal(127, context.Tags.Count());

            // A transaction's saves commit as one batch: over the limit at commit, nothing of it is written.
            using var transaction = context.Database.BeginTransaction();
            for (var save = 0; save < 3; save++)
            {
                context.AddRange(Enumerable.Range(0, 50).Select(i => new Tag { Id = $"t{save}-{i:D2}" }));
                context.SaveChanges();
            }

            Assert.Throws<LsmBatchTooLargeException>(() => transaction.Commit());
        }

        using var check = ClusterContexts.Create(Cluster, prefix);
        Assert.Equal(127, check.Tags.Count());
    }

    [Fact]
    public void Rows_and_saves_over_the_request_limit_fail_by_name_before_anything_is_written()
    {
        var prefix = ClusterContexts.NewPrefix("bytes");
        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            context.Add(new Tag { Id = "ok" });
            context.Add(new Tag { Id = "huge", Note = new string('n', 1_600_000) });
            var e = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
            Assert.Contains("'Note'", e.Message);
            Assert.Contains("limit of the store", e.Message);
        }

        using (var context = ClusterContexts.Create(Cluster, prefix))
        {
            context.AddRange(Enumerable.Range(0, 20).Select(i => new Tag { Id = $"r{i}", Note = new string('n', 100_000) }));
            Assert.Contains("--max-request-bytes", Assert.Throws<LsmBatchTooLargeException>(() => context.SaveChanges()).Message);
        }

        using var check = ClusterContexts.Create(Cluster, prefix);
        Assert.Empty(check.Tags.ToList());
    }

    [Fact]
    public void A_view_whose_revision_was_compacted_fails_with_a_typed_error_never_wrong_data()
    {
        // Compacting removes history every other test's views may read: this test has a cluster of its own.
        using var cluster = EtcdCluster.Start(new EtcdClusterSettings { Members = 1 });
        var prefix = ClusterContexts.NewPrefix("compact");
        using (var seed = ClusterContexts.Create(cluster, prefix))
        {
            seed.Add(new Tag { Id = "k", Note = "v1" });
            seed.SaveChanges();
        }

        using var reader = ClusterContexts.Create(cluster, prefix);
        using var transaction = reader.Database.BeginTransaction();
        var tag = reader.Tags.Single();
        Assert.Equal("v1", tag.Note);

        // The same at the seam: a condition on the revision a view read at.
        using var seam = new EtcdTestStore(cluster);
        var key = EtcdTestStore.Key("c");
        var put = new LsmConditionalBatch();
        put.Put(key, [1]);
        seam.Store.Commit(put, sync: true);
        using var view = seam.Store.OpenView();
        Assert.NotNull(view.Get(key));

        using (var writer = ClusterContexts.Create(cluster, prefix))
        {
            writer.Tags.Single().Note = "v2";
            writer.SaveChanges();
        }

        var member = cluster.Members[0].Client;
        var current = member.Get(new RangeRequest { Key = ByteString.CopyFromUtf8("x") }).Header.Revision;
        member.Compact(new CompactionRequest { Revision = current, Physical = true });

        // The transaction's view reads at a revision the cluster no longer has: its queries and saves say so.
        var e = Assert.Throws<LsmViewExpiredException>(() => reader.Tags.AsNoTracking().Single(t => t.Id == "k"));
        Assert.Contains("compacted", e.Message);
        tag.Note = "from the old view";
        Assert.Throws<LsmViewExpiredException>(() => reader.SaveChanges());
        transaction.Rollback();

        // A commit cannot check that what the view read is unchanged: a conflict, nothing written.
        var stale = new LsmConditionalBatch();
        stale.RequireUnchangedSince(key, view.Version);
        stale.Put(key, [2]);
        Assert.Contains("compacted", Assert.Throws<LsmWriteConflictException>(() => seam.Store.Commit(stale, sync: true)).Message);
        Assert.Throws<LsmViewExpiredException>(() => view.Get(key));

        using var check = ClusterContexts.Create(cluster, prefix);
        Assert.Equal("v2", check.Tags.Single().Note);
        using var fresh = seam.Store.OpenView();
        Assert.Equal([1], fresh.Get(key));
    }

    [Fact]
    public void A_cluster_over_its_space_quota_refuses_saves_clearly_and_writes_nothing_of_them()
    {
        using var cluster = EtcdCluster.Start(new EtcdClusterSettings { Members = 1, QuotaBackendBytes = 4L << 20 });
        var prefix = ClusterContexts.NewPrefix("quota");
        var saved = 0;
        LsmStoreUnavailableException? full = null;
        for (var save = 0; save < 200 && full is null; save++)
        {
            using var context = ClusterContexts.Create(cluster, prefix);
            context.AddRange(Enumerable.Range(0, 4).Select(i => new Tag { Id = $"s{save}-{i}", Note = new string('q', 100_000) }));
            try
            {
                context.SaveChanges();
                saved++;
            }
            catch (LsmStoreUnavailableException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.Contains("--quota-backend-bytes", full.Message);
        Assert.Contains("Nothing of the batch was written", full.Message);
        using var check = ClusterContexts.Create(cluster, prefix);
        Assert.Equal(4 * saved, check.Tags.Count());
    }

    [Fact]
    public void An_unreachable_cluster_fails_with_an_unavailability_error_naming_it()
    {
        var unused = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        unused.Start();
        var port = ((System.Net.IPEndPoint)unused.LocalEndpoint).Port;
        unused.Stop();

        var endpoint = $"http://127.0.0.1:{port}";
        using var context = new TestContext(new DbContextOptionsBuilder<TestContext>()
            .UseLsmCluster(endpoint, etcd => etcd.OperationTimeout(TimeSpan.FromSeconds(1)).KeyPrefix(ClusterContexts.NewPrefix("down")))
            .Options);
        var e = Assert.Throws<LsmStoreUnavailableException>(() => context.Database.EnsureCreated());
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("majority", e.Message);
    }

    private static long CountProviderKeys(string prefix)
    {
        // The provider's keys are below prefix + 0xFF; the backend's commit slots are above.
        var start = Encoding.UTF8.GetBytes(prefix);
        byte[] end = [.. start, 0xFF];
        return Cluster.Members[0].Client.Get(
            new RangeRequest { Key = ByteString.CopyFrom(start), RangeEnd = ByteString.CopyFrom(end), CountOnly = true }).Count;
    }
}
