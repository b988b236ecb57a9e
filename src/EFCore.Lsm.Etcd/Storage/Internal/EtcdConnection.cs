using dotnet_etcd;
using EFCore.Lsm.Etcd.Infrastructure.Internal;
using EFCore.Lsm.Storage;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// One gRPC channel to the cluster, balanced round-robin over every member's client URL, and the retry loop every read
/// goes through. Calls carry etcd's "hasleader" header, so a member cut off from the leader refuses at once and the next
/// attempt goes to another member. gRPC's own retries are off: reads are retried here; commits have a protocol of their
/// own (<see cref="EtcdBatchCommitter"/>), because resending a write is only safe when it cannot apply twice.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private static readonly Grpc.Core.Metadata RequireLeader = new() { { "hasleader", "true" } };
    private readonly GrpcChannel _channel;
    private readonly ServiceProvider _resolverServices;

    public EtcdConnection(EtcdClusterOptions options, string description)
    {
        Options = options;
        Description = description;
        var addresses = options.Endpoints.Select(u => new BalancerAddress(u.Host, u.Port)).ToArray();
        _resolverServices = new ServiceCollection()
            .AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses))
            .BuildServiceProvider();
        _channel = GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = _resolverServices,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
            // Replies are as large as the pages and multi-gets the backend asks for; requests are bounded by MaxRequestBytes.
            MaxReceiveMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(3),
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
            DisposeHttpClient = true,
        });
        Client = new EtcdClient(_channel.CreateCallInvoker());
    }

    public EtcdClusterOptions Options { get; }

    public string Description { get; }

    public EtcdClient Client { get; }

    /// <summary>The deadline of an operation that starts now.</summary>
    public DateTime NewDeadline() => DateTime.UtcNow + Options.OperationTimeout;

    /// <summary>
    /// The deadline of one attempt of an operation that must end by <paramref name="deadline"/>: a third of the operation
    /// timeout (1 to 5 s). A request that a member holds while it waits for a leader that died (a linearizable read's
    /// read index, a forwarded proposal) is abandoned then and sent again, by when the election is usually over, rather
    /// than held until the operation's deadline.
    /// </summary>
    public DateTime AttemptDeadline(DateTime deadline)
    {
        var attempt = TimeSpan.FromTicks(Math.Clamp(Options.OperationTimeout.Ticks / 3, TimeSpan.TicksPerSecond, 5 * TimeSpan.TicksPerSecond));
        var end = DateTime.UtcNow + attempt;
        return end < deadline ? end : deadline;
    }

    /// <summary>A linearizable or serializable range read, retried until <paramref name="deadline"/>.</summary>
    public RangeResponse Range(RangeRequest request, DateTime deadline) =>
        Retry(deadline, d => Client.Get(request, RequireLeader, d));

    /// <summary>A transaction that only reads, retried until <paramref name="deadline"/> (reads never apply twice).</summary>
    public TxnResponse ReadTransaction(TxnRequest request, DateTime deadline) =>
        Retry(deadline, d => Client.Transaction(request, RequireLeader, d));

    /// <summary>One attempt of a transaction that writes; the caller decides whether a failure may be retried.</summary>
    public TxnResponse WriteTransaction(TxnRequest request, DateTime deadline) => Client.Transaction(request, RequireLeader, deadline);

    public LeaseGrantResponse LeaseGrant(long ttlSeconds, DateTime deadline) =>
        Retry(deadline, d => Client.LeaseGrant(new LeaseGrantRequest { TTL = ttlSeconds }, RequireLeader, d));

    public void LeaseRevoke(long leaseId, DateTime deadline) =>
        Client.LeaseRevoke(new LeaseRevokeRequest { ID = leaseId }, RequireLeader, deadline);

    /// <summary>
    /// Runs <paramref name="call"/> until it succeeds, fails with an error retrying cannot help, or
    /// <paramref name="deadline"/> passes; then the cluster is unavailable (<see cref="LsmStoreUnavailableException"/>).
    /// </summary>
    public T Retry<T>(DateTime deadline, Func<DateTime, T> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return call(AttemptDeadline(deadline));
            }
            catch (RpcException e) when (EtcdErrors.IsTransient(e))
            {
                if (!Backoff(attempt, deadline))
                {
                    throw Unavailable(e, "the read was not answered");
                }
            }
        }
    }

    /// <summary>Waits before attempt <paramref name="attempt"/> + 1; false when that would pass <paramref name="deadline"/>.</summary>
    public static bool Backoff(int attempt, DateTime deadline)
    {
        // 10 ms doubling to 500 ms: a leader election on a healthy cluster takes about one election timeout (1 s by default).
        var delay = TimeSpan.FromMilliseconds(Math.Min(500, 10 << Math.Min(attempt, 6)));
        if (DateTime.UtcNow + delay >= deadline)
        {
            return false;
        }

        Thread.Sleep(delay);
        return true;
    }

    public LsmStoreUnavailableException Unavailable(RpcException e, string outcome) =>
        new(
            $"The {Description} did not serve the request within {Options.OperationTimeout.TotalSeconds:0.#} s ({EtcdErrors.Describe(e)}); "
            + $"{outcome}. A cluster needs a majority of its members up to serve reads and writes.",
            e);

    public void Dispose()
    {
        _channel.Dispose();
        _resolverServices.Dispose();
    }
}
