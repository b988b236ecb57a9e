using EFCore.Lsm.Etcd.Storage.Internal;
using Grpc.Core;

namespace EFCore.Lsm.Etcd.FunctionalTests.EtcdBackend;

/// <summary>How etcd's gRPC errors are classified (the messages are etcd 3.4's, api/v3rpc/rpctypes).</summary>
public sealed class EtcdErrorsTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, "etcdserver: leader changed")]
    [InlineData(StatusCode.Unavailable, "etcdserver: no leader")]
    [InlineData(StatusCode.Unavailable, "etcdserver: request timed out")]
    [InlineData(StatusCode.DeadlineExceeded, "Deadline Exceeded")]
    // Regression: a member whose request context expires (a read index waiting for a killed leader) answers Unknown
    // "context deadline exceeded". It was not retried and escaped reads as a raw RpcException in the quorum fault test.
    [InlineData(StatusCode.Unknown, "context deadline exceeded")]
    [InlineData(StatusCode.ResourceExhausted, "etcdserver: too many requests")]
    public void Errors_another_attempt_may_get_past_are_transient(StatusCode code, string detail) =>
        Assert.True(EtcdErrors.IsTransient(new RpcException(new Status(code, detail))));

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request")]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: request is too large")]
    [InlineData(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted")]
    [InlineData(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded")]
    [InlineData(StatusCode.NotFound, "etcdserver: requested lease not found")]
    [InlineData(StatusCode.PermissionDenied, "etcdserver: permission denied")]
    public void Errors_that_resending_cannot_fix_are_not_transient(StatusCode code, string detail) =>
        Assert.False(EtcdErrors.IsTransient(new RpcException(new Status(code, detail))));

    [Fact]
    public void Limits_and_states_are_told_apart()
    {
        Assert.True(EtcdErrors.IsTooManyOperations(new RpcException(new Status(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request"))));
        Assert.True(EtcdErrors.IsRequestTooLarge(new RpcException(new Status(StatusCode.InvalidArgument, "etcdserver: request is too large"))));
        Assert.True(EtcdErrors.IsRequestTooLarge(new RpcException(new Status(StatusCode.ResourceExhausted, "grpc: received message larger than max (3000010 vs. 2097152)"))));
        Assert.True(EtcdErrors.IsCompacted(new RpcException(new Status(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"))));
        Assert.True(EtcdErrors.IsFutureRevision(new RpcException(new Status(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"))));
        Assert.True(EtcdErrors.IsNoSpace(new RpcException(new Status(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"))));
        Assert.True(EtcdErrors.IsLeaseNotFound(new RpcException(new Status(StatusCode.NotFound, "etcdserver: requested lease not found"))));
    }
}
