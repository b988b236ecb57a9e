using EFCore.Lsm.Etcd.Infrastructure.Internal;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// Opens the etcd backend (<c>UseLsmCluster</c>). Contexts naming the same endpoints and key prefix share one open store
/// (one gRPC channel, one catalog cache, one set of key generators) through the provider's store pool.
/// </summary>
public sealed class EtcdKeyValueStoreFactory : ILsmKeyValueStoreFactory
{
    private readonly EtcdClusterOptions _options;

    public EtcdKeyValueStoreFactory(EtcdClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        StoreKey = $"etcd://{options.CanonicalEndpoints}/{Convert.ToHexString(options.KeyPrefix)}";
    }

    public EtcdClusterOptions Options => _options;

    /// <summary>etcd://host:port,…/key-prefix-in-hex: the name <c>LsmStorePool.Close</c> takes for this store.</summary>
    public string StoreKey { get; }

    public string SharedSettings => _options.SharedSettings;

    public ILsmKeyValueStore Open() => new EtcdKeyValueStore(_options);
}
