using EFCore.Lsm.Storage;
using Grpc.Core;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// What an etcd gRPC error means for the storage seam. etcd reports its conditions as gRPC status codes with fixed
/// messages (etcd's api/v3rpc/rpctypes): the code says whether retrying can help, the message which limit was hit.
/// </summary>
internal static class EtcdErrors
{
    /// <summary>
    /// Whether another attempt (possibly on another member) may succeed: a member is down or has no leader, a leader
    /// election is under way, the member is overloaded, or the connection broke.
    /// </summary>
    public static bool IsTransient(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable => true,
        // The attempt's deadline passed: on the client (DeadlineExceeded) or on the member, which reports its expired request
        // context as Unknown "context deadline exceeded" (a read index or a proposal waiting for a leader that died).
        StatusCode.DeadlineExceeded => true,
        StatusCode.Unknown when e.Status.Detail.Contains("deadline exceeded", StringComparison.Ordinal) => true,
        StatusCode.ResourceExhausted => e.Status.Detail.Contains("too many requests", StringComparison.Ordinal),
        // A connection that breaks in the middle of a call surfaces as Internal or Unknown with the I/O error inside.
        StatusCode.Internal or StatusCode.Unknown => e.Status.DebugException is IOException or HttpRequestException
            || e.Status.Detail.Contains("Error starting gRPC call", StringComparison.Ordinal)
            || e.Status.Detail.Contains("Error reading next message", StringComparison.Ordinal),
        _ => false,
    };

    public static bool IsCompacted(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("compacted", StringComparison.Ordinal);

    public static bool IsFutureRevision(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("future revision", StringComparison.Ordinal);

    public static bool IsTooManyOperations(RpcException e) =>
        e.StatusCode == StatusCode.InvalidArgument && e.Status.Detail.Contains("too many operations", StringComparison.Ordinal);

    /// <summary>etcd's own request limit, or gRPC's message limit in front of it (which etcd sets at the limit + 512 KiB).</summary>
    public static bool IsRequestTooLarge(RpcException e) =>
        (e.StatusCode == StatusCode.InvalidArgument && e.Status.Detail.Contains("request is too large", StringComparison.Ordinal))
        || (e.StatusCode == StatusCode.ResourceExhausted && e.Status.Detail.Contains("larger than max", StringComparison.Ordinal));

    public static bool IsNoSpace(RpcException e) =>
        e.StatusCode == StatusCode.ResourceExhausted && e.Status.Detail.Contains("database space exceeded", StringComparison.Ordinal);

    public static bool IsLeaseNotFound(RpcException e) =>
        e.StatusCode == StatusCode.NotFound && e.Status.Detail.Contains("lease not found", StringComparison.Ordinal);

    public static string Describe(RpcException e) => $"{e.StatusCode}: {e.Status.Detail}";

    /// <summary>An error the backend has no meaning for (a permission, an unexpected status): the request was refused.</summary>
    public static LsmStoreUnavailableException Refused(string description, RpcException e, string outcome) =>
        new($"The {description} refused the request ({Describe(e)}); {outcome}.", e);
}
