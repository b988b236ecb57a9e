using dotnet_etcd;
using EFCore.Lsm.DbBench.Ef.Model;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>
/// EF Core over EFCore.Lsm on an etcd cluster (<c>UseLsmCluster</c>; eng/benchmarks/start-etcd.sh starts three members on
/// loopback). Every SaveChanges is replicated to a majority and fsynced before it returns, so durable and non-durable
/// contexts are the same. The members are other processes: their memory and disk writes are not in this process's figures.
/// </summary>
internal sealed class EtcdEfProvider(string endpoints) : IEfProvider
{
    /// <summary>The --max-txn-ops start-etcd.sh gives the members (ef-bulkinsert saves 1,000 entities at a time).</summary>
    public const int MaxTxnOps = 2048;

    private const string Prefix = "efbench/";

    private readonly DbContextOptions<BenchDbContext> _options = new DbContextOptionsBuilder<BenchDbContext>()
        .UseLsmCluster(endpoints, etcd => etcd.KeyPrefix(Prefix).MaxTxnOps(MaxTxnOps))
        .Options;

    // As for lsm: one context held open keeps the store (its gRPC channel, catalog and key generators) between workloads.
    private BenchDbContext? _keepAlive;

    public string Name => EfProviderCatalog.Etcd;

    public BenchDbContext CreateContext(bool durable) => new(_options);

    public void Recreate()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
        EFCore.Lsm.Storage.LsmStorePool.CloseAll();

        // One range delete empties the prefix (EnsureDeleted would delete in transactions of MaxTxnOps keys).
        var end = System.Text.Encoding.UTF8.GetBytes(Prefix);
        end[^1]++;
        using (var channel = GrpcChannel.ForAddress(endpoints.Split(',')[0]))
        {
            new EtcdClient(channel.CreateCallInvoker()).Delete(
                new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(Prefix), RangeEnd = ByteString.CopyFrom(end) });
        }

        _keepAlive = CreateContext(durable: false);
        _keepAlive.Database.EnsureCreated();
    }

    // The migration workloads run on lsm and sqlite only (the README's Benchmarks section says why).
    public DbContextOptions<TContext>? CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext
        => null;

    public long DatabaseBytes() => 0;

    public void Dispose()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    /// <summary>The cluster's version, or null with <paramref name="failure"/> saying why no member answered.</summary>
    public static string? TryConnect(string endpoints, out string? failure)
    {
        try
        {
            using var channel = GrpcChannel.ForAddress(endpoints.Split(',')[0]);
            var status = new EtcdClient(channel.CreateCallInvoker()).Status(new StatusRequest(), null, DateTime.UtcNow.AddSeconds(3));
            failure = null;
            return status.Version;
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or UriFormatException or InvalidOperationException)
        {
            failure = e.Message;
            return null;
        }
    }
}
