using System.Text;
using EFCore.Lsm.Etcd.Infrastructure.Internal;
using EFCore.Lsm.Etcd.Storage.Internal;
using Etcdserverpb;
using Google.Protobuf;

namespace EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

/// <summary>A store of the backend on a fresh key prefix of a test cluster, deleted from the cluster on dispose.</summary>
public sealed class EtcdTestStore : IDisposable
{
    private readonly EtcdCluster _cluster;

    public EtcdTestStore(EtcdCluster cluster, Func<EtcdClusterOptions, EtcdClusterOptions>? configure = null)
    {
        _cluster = cluster;
        Prefix = Encoding.UTF8.GetBytes("t/" + Guid.NewGuid().ToString("N") + "/");
        var options = new EtcdClusterOptions(EtcdClusterOptions.ParseEndpoints(cluster.ClientUrls))
        {
            KeyPrefix = Prefix,
            MaxTxnOps = cluster.Settings.MaxTxnOps,
            MaxRequestBytes = cluster.Settings.MaxRequestBytes,
        };
        Store = new EtcdKeyValueStore(configure?.Invoke(options) ?? options);
    }

    public byte[] Prefix { get; }

    internal EtcdKeyValueStore Store { get; }

    /// <summary>The number of etcd keys under the prefix (the backend's own keys included), read from member 0.</summary>
    public long CountKeys()
    {
        var end = (byte[])Prefix.Clone();
        end[^1]++;
        var running = _cluster.Members.First(m => m.IsRunning);
        return running.Client.Get(
            new RangeRequest { Key = ByteString.CopyFrom(Prefix), RangeEnd = ByteString.CopyFrom(end), CountOnly = true },
            null,
            DateTime.UtcNow.AddSeconds(30)).Count;
    }

    public void Dispose()
    {
        Store.Dispose();
        var end = (byte[])Prefix.Clone();
        end[^1]++;
        try
        {
            _cluster.Members.First(m => m.IsRunning).Client.Delete(
                new DeleteRangeRequest { Key = ByteString.CopyFrom(Prefix), RangeEnd = ByteString.CopyFrom(end) },
                null,
                DateTime.UtcNow.AddSeconds(30));
        }
        catch (Grpc.Core.RpcException)
        {
            // A cluster a test left without quorum: it is disposed with its data.
        }
    }

    public static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);
}
