using System.Security.Cryptography;
using Google.Protobuf;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// The commit slots that make a resent commit apply at most once (docs/etcd_backend.md, "Exactly-once commits"). Every
/// commit transaction also writes one slot key, on condition that the slot's mod_revision is still the one the previous
/// commit through it left: a resend of a transaction that did apply then fails on the slot, and the slot's mod_revision
/// is that commit's revision. A slot is used by one commit at a time and is written by no one else (its key holds a
/// random client id), so a slot that moved can only have been moved by the commit being resent.
/// </summary>
/// <remarks>
/// Slots are attached to a lease, so the keys of a process that goes away expire with it. A lease serves new commits for
/// <see cref="EpochLength"/> and lives <see cref="LeaseTtl"/>, longer than any commit started in it can keep retrying,
/// so no slot expires under a commit that still uses it; then a new client id and lease (an epoch) take over.
/// </remarks>
internal sealed class EtcdCommitSlots(EtcdConnection connection, EtcdKeys keys) : IDisposable
{
    /// <summary>How long one epoch hands out slots.</summary>
    public static readonly TimeSpan EpochLength = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly List<(long Lease, DateTime Granted)> _leases = [];
    private Epoch? _current;

    /// <summary>The lease TTL: an epoch's length, plus twice the longest a commit retries, plus a minute of margin for clocks.</summary>
    public long LeaseTtlSeconds => (long)Math.Ceiling((EpochLength + 2 * connection.Options.OperationTimeout + TimeSpan.FromMinutes(1)).TotalSeconds);

    /// <summary>A slot for one commit (granting a lease for a new epoch when the current one is over).</summary>
    public Slot Acquire(DateTime deadline)
    {
        lock (_lock)
        {
            if (_current is null || DateTime.UtcNow - _current.Started > EpochLength)
            {
                long lease;
                try
                {
                    lease = connection.LeaseGrant(LeaseTtlSeconds, deadline).ID;
                }
                catch (Grpc.Core.RpcException e)
                {
                    throw EtcdErrors.Refused(connection.Description, e, "nothing was written");
                }

                var now = DateTime.UtcNow;
                _leases.RemoveAll(l => now - l.Granted > TimeSpan.FromSeconds(LeaseTtlSeconds)); // expired: nothing to revoke
                _leases.Add((lease, now));
                _current = new Epoch(RandomNumberGenerator.GetBytes(16), lease, now);
            }

            return _current.Free.TryPop(out var slot) ? slot : new Slot(_current, keys.SlotKey(_current.ClientId, _current.NextIndex++));
        }
    }

    /// <summary>The commit through <paramref name="slot"/> is over and left it at <paramref name="modRevision"/>.</summary>
    public void Release(Slot slot, long modRevision)
    {
        slot.ModRevision = modRevision;
        lock (_lock)
        {
            if (slot.Epoch == _current)
            {
                slot.Epoch.Free.Push(slot);
            }
        }
    }

    /// <summary>
    /// The slot's state is unknown (its commit's outcome is) or its lease is gone: it is never used again, and when the
    /// lease is gone, neither is its epoch.
    /// </summary>
    public void Retire(Slot slot, bool leaseLost)
    {
        if (leaseLost)
        {
            lock (_lock)
            {
                if (slot.Epoch == _current)
                {
                    _current = null;
                }
            }
        }
    }

    /// <summary>Revokes the leases this store granted, which deletes its slot keys now rather than at their expiry.</summary>
    public void Dispose()
    {
        long[] leases;
        lock (_lock)
        {
            leases = [.. _leases.Select(l => l.Lease)];
            _leases.Clear();
            _current = null;
        }

        foreach (var lease in leases)
        {
            try
            {
                connection.LeaseRevoke(lease, DateTime.UtcNow + TimeSpan.FromSeconds(2));
            }
            catch (Grpc.Core.RpcException)
            {
                // Unreachable, or expired already: the keys go when the lease expires.
            }
        }
    }

    /// <summary>One client id and lease, and the slots made under them.</summary>
    internal sealed class Epoch(byte[] clientId, long leaseId, DateTime started)
    {
        public byte[] ClientId { get; } = clientId;

        public long LeaseId { get; } = leaseId;

        public DateTime Started { get; } = started;

        public Stack<Slot> Free { get; } = new();

        public int NextIndex { get; set; }
    }

    /// <summary>One slot key and the mod_revision the last commit through it left (0: never written).</summary>
    internal sealed class Slot(Epoch epoch, ByteString key)
    {
        public Epoch Epoch { get; } = epoch;

        public ByteString Key { get; } = key;

        public long ModRevision { get; set; }
    }
}
