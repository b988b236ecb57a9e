using System.Buffers;
using EFCore.Lsm.Storage;
using Etcdserverpb;
using Grpc.Core;
using Mvccpb;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// A view of the cluster at one revision (docs/etcd_backend.md, "Views"). The revision is taken by the view's first read
/// (a linearizable read, so it includes every commit that returned before the view was opened) and every later read asks
/// for exactly that revision, which any member that has applied it can answer locally (a serializable read). Opening a
/// view costs nothing; a view that is never read never talks to the cluster.
/// </summary>
internal sealed class EtcdReadView(EtcdKeyValueStore store) : ILsmReadView
{
    private long _revision;

    public long Version
    {
        get
        {
            var revision = Volatile.Read(ref _revision);
            if (revision != 0)
            {
                return revision;
            }

            // Nothing was read yet: the probe key's (empty) range answers the current revision.
            var response = store.Connection.Range(
                new RangeRequest { Key = store.Keys.ProbeKey, CountOnly = true }, store.Connection.NewDeadline());
            return Pin(response.Header.Revision);
        }
    }

    public byte[]? Get(ReadOnlySpan<byte> key) => Find(key)?.Value.ToByteArray();

    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value)
    {
        if (Find(key) is not { } found)
        {
            return false;
        }

        value.Write(found.Value.Span);
        return true;
    }

    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys)
    {
        var values = new byte[]?[keys.Count];
        var options = store.Connection.Options;
        var start = 0;
        while (start < keys.Count)
        {
            // One read-only transaction per chunk: within the cluster's operation limit and well within its request limit.
            var txn = new TxnRequest();
            var bytes = 0L;
            var end = start;
            while (end < keys.Count && end - start < options.MaxTxnOps && (end == start || bytes + keys[end].Length < options.MaxRequestBytes / 2))
            {
                bytes += keys[end].Length + store.Keys.PrefixLength + 8;
                txn.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = store.Keys.Key(keys[end]) } });
                end++;
            }

            var response = ReadTransaction(txn);
            for (var i = start; i < end; i++)
            {
                var found = response.Responses[i - start].ResponseRange.Kvs;
                values[i] = found.Count == 0 ? null : found[0].Value.ToByteArray();
            }

            start = end;
        }

        return values;
    }

    public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "A scan limit cannot be negative.");
        }

        return new EtcdScanCursor(this, store.Keys, store.Keys.RangeStart(lower), store.Keys.Key(upper), reverse, limit);
    }

    /// <summary>
    /// The exact number of keys in the range at the view's revision: etcd's Range with count_only returns the count
    /// without sending any key or value (one round trip; the server walks its index of the range).
    /// </summary>
    public long? ApproximateCount(byte[] lower, byte[] upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            return 0;
        }

        return Range(new RangeRequest { Key = store.Keys.RangeStart(lower), RangeEnd = store.Keys.Key(upper), CountOnly = true }).Count;
    }

    public void Dispose()
    {
        // etcd keeps every revision until the cluster is compacted; a view holds nothing on the server.
    }

    /// <summary>
    /// Runs <paramref name="request"/> at the view's revision, taking the revision from this read when it is the first.
    /// </summary>
    internal RangeResponse Range(RangeRequest request)
    {
        var connection = store.Connection;
        var revision = Volatile.Read(ref _revision);
        if (revision == 0)
        {
            var first = Translate(() => connection.Range(request, connection.NewDeadline()));
            revision = Pin(first.Header.Revision);
            if (revision == first.Header.Revision)
            {
                return first;
            }

            // Another thread's first read pinned an earlier revision: read again at that one.
        }

        request.Revision = revision;
        request.Serializable = true;
        return Translate(() =>
        {
            try
            {
                return connection.Range(request, connection.NewDeadline());
            }
            catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
            {
                // The member that answered has not applied the revision yet; a linearizable read waits until it has.
                request.Serializable = false;
                return connection.Range(request, connection.NewDeadline());
            }
        });
    }

    private KeyValue? Find(ReadOnlySpan<byte> key)
    {
        var response = Range(new RangeRequest { Key = store.Keys.Key(key) });
        return response.Kvs.Count == 0 ? null : response.Kvs[0];
    }

    private TxnResponse ReadTransaction(TxnRequest txn)
    {
        var connection = store.Connection;
        var revision = Volatile.Read(ref _revision);
        if (revision == 0)
        {
            var first = Translate(() => connection.ReadTransaction(txn, connection.NewDeadline()));
            revision = Pin(first.Header.Revision);
            if (revision == first.Header.Revision)
            {
                return first;
            }
        }

        foreach (var op in txn.Success)
        {
            op.RequestRange.Revision = revision;
            op.RequestRange.Serializable = true;
        }

        return Translate(() =>
        {
            try
            {
                return connection.ReadTransaction(txn, connection.NewDeadline());
            }
            catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
            {
                foreach (var op in txn.Success)
                {
                    op.RequestRange.Serializable = false;
                }

                return connection.ReadTransaction(txn, connection.NewDeadline());
            }
        });
    }

    private long Pin(long observed)
    {
        var prior = Interlocked.CompareExchange(ref _revision, observed, 0);
        return prior == 0 ? observed : prior;
    }

    private T Translate<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            throw new LsmViewExpiredException(
                $"The {store.Description} has compacted its history past revision {Volatile.Read(ref _revision)}, which this view reads "
                + "at (a query or transaction that ran longer than the cluster keeps revisions). Run it again.",
                e);
        }
        catch (RpcException e)
        {
            throw EtcdErrors.Refused(store.Description, e, "nothing was read");
        }
    }
}
