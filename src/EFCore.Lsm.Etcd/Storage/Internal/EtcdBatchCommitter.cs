using EFCore.Lsm.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// Commits a conditional batch as one etcd transaction (docs/etcd_backend.md, "Commits"): the batch's conditions become
/// the transaction's compares, its puts and deletes the success branch, and one commit slot (<see cref="EtcdCommitSlots"/>)
/// makes the transaction safe to resend after a failover: a transaction whose answer was lost is sent again, as often as
/// the operation timeout allows, and applies once. A batch over the cluster's limits is refused before anything is sent.
/// </summary>
internal sealed class EtcdBatchCommitter(
    EtcdConnection connection, EtcdKeys keys, EtcdConditionCompiler compiler, EtcdCommitSlots slots, string description)
{
    private long _commits;
    private long _resends;
    private long _appliedBeforeResend;
    private long _unknownOutcomes;
    /// <summary>
    /// Room kept in a request for what a member wraps around it before checking the request limit (etcd's raft request
    /// header: a request id and an auth header, a few dozen bytes).
    /// </summary>
    public const int RequestOverhead = 512;

    /// <summary>What the commits of this store went through, for tests and diagnostics.</summary>
    public EtcdCommitStatistics Statistics => new(
        Interlocked.Read(ref _commits), Interlocked.Read(ref _resends), Interlocked.Read(ref _appliedBeforeResend),
        Interlocked.Read(ref _unknownOutcomes));

    /// <summary>
    /// Test hook: called after each send of a commit transaction that got an answer; an error it returns replaces the
    /// answer (the transaction applied, the caller hears only the error): an Unavailable status as a broken connection
    /// gives, to exercise the resend path, the NOSPACE error etcd answers for the transaction that crossed the quota, or any
    /// other refusal (the slot then tells whether the batch applied).
    /// </summary>
    internal Func<TxnResponse, RpcException?>? ReplaceAnswer { get; set; }

    public long Commit(LsmConditionalBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var options = connection.Options;
        var operations = Operations(batch);
        if (operations.Count + 1 > options.MaxTxnOps)
        {
            throw TooLarge($"{operations.Count} puts and deletes (and the commit slot's put)", "operations", "--max-txn-ops", options.MaxTxnOps);
        }

        var deadline = connection.NewDeadline();
        var (compares, conditionOf) = compiler.Compile(batch, deadline, options.MaxTxnOps - 1);
        if (compares.Count + 1 > options.MaxTxnOps)
        {
            throw TooLarge(
                $"{compares.Count} compares for its {batch.Conditions.Count} conditions (and the commit slot's)", "compares", "--max-txn-ops",
                options.MaxTxnOps);
        }

        var maybeApplied = false;
        for (var epochs = 0; ; epochs++)
        {
            var slot = slots.Acquire(deadline);
            var txn = new TxnRequest();
            txn.Compare.Add(EtcdConditionCompiler.ModCompare(slot.Key, CompareResult.Equal, slot.ModRevision));
            txn.Compare.AddRange(compares);
            txn.Success.AddRange(operations);
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = slot.Key, Lease = slot.Epoch.LeaseId } });
            var size = txn.CalculateSize();
            if (size > options.MaxRequestBytes - RequestOverhead)
            {
                slots.Release(slot, slot.ModRevision);
                throw TooLarge($"{size:N0} bytes as an etcd transaction", "bytes", "--max-request-bytes", options.MaxRequestBytes - RequestOverhead);
            }

            for (var attempt = 0; ; attempt++)
            {
                TxnResponse response;
                try
                {
                    if (attempt > 0)
                    {
                        Interlocked.Increment(ref _resends);
                    }

                    response = connection.WriteTransaction(txn, connection.AttemptDeadline(deadline));
                    if (ReplaceAnswer?.Invoke(response) is { } replaced)
                    {
                        throw replaced;
                    }
                }
                catch (RpcException e) when (EtcdErrors.IsTransient(e))
                {
                    // The answer was lost (a member died, a leader election): the transaction may have applied. Sending the
                    // same transaction again is safe, the slot compare lets it apply only if it did not.
                    maybeApplied = true;
                    if (EtcdConnection.Backoff(attempt, deadline))
                    {
                        continue;
                    }

                    slots.Retire(slot, leaseLost: false);
                    Interlocked.Increment(ref _unknownOutcomes);
                    throw connection.Unavailable(e, "the batch may or may not have been applied");
                }
                catch (RpcException e) when (EtcdErrors.IsLeaseNotFound(e))
                {
                    // The slot's lease expired (the cluster was unavailable for longer than its TTL): the transaction did not
                    // apply now, but an earlier send may have, and its slot is gone with the lease.
                    slots.Retire(slot, leaseLost: true);
                    if (maybeApplied || epochs > 2)
                    {
                        Interlocked.Increment(ref _unknownOutcomes);
                        throw new LsmStoreUnavailableException(
                            $"The {description} lost the commit slot's lease while the batch was being retried ({EtcdErrors.Describe(e)}); "
                            + "the batch may or may not have been applied.",
                            e);
                    }

                    break;
                }
                catch (RpcException e) when (EtcdErrors.IsTooManyOperations(e) || EtcdErrors.IsRequestTooLarge(e))
                {
                    // The cluster's limits are lower than the client was told; the member refused the request before raft.
                    slots.Release(slot, slot.ModRevision);
                    throw new LsmBatchTooLargeException(
                        $"The {description} refused the batch as too large ({EtcdErrors.Describe(e)}): its --max-txn-ops or "
                        + "--max-request-bytes is lower than MaxTxnOps/MaxRequestBytes given to UseLsmCluster. Nothing was written.");
                }
                catch (RpcException e) when (EtcdErrors.IsNoSpace(e))
                {
                    // etcd answers NOSPACE both for a request it refused before raft (the alarm was already raised) and for
                    // the transaction whose apply took the database over its quota, which HAS applied. The slot tells them
                    // apart: only this commit writes it, so a slot moved past its last revision means the batch is in.
                    if (AppliedRevision(slot, deadline, e) is { } applied)
                    {
                        slots.Release(slot, applied);
                        Interlocked.Increment(ref _commits);
                        return applied;
                    }

                    slots.Release(slot, slot.ModRevision);
                    throw new LsmStoreUnavailableException(
                        $"The {description} is out of space: its database reached --quota-backend-bytes and it raised the NOSPACE alarm, "
                        + "so it refuses writes until it is compacted, defragmented and the alarm is disarmed. Nothing of the batch was written.",
                        e);
                }
                catch (RpcException e)
                {
                    // Any other refusal. An earlier send whose answer was lost may have applied; only this commit moves the
                    // slot, so reading it tells whether the batch is in (then the refusal is of a resend that the slot
                    // compare kept from applying again) or not at all.
                    if (AppliedRevision(slot, deadline, e) is { } applied)
                    {
                        slots.Release(slot, applied);
                        Interlocked.Increment(ref _commits);
                        if (maybeApplied)
                        {
                            Interlocked.Increment(ref _appliedBeforeResend);
                        }

                        return applied;
                    }

                    slots.Release(slot, slot.ModRevision);
                    throw new LsmStoreUnavailableException(
                        $"The {description} refused the batch ({EtcdErrors.Describe(e)}); nothing was written.",
                        e);
                }

                if (response.Succeeded)
                {
                    slots.Release(slot, response.Header.Revision);
                    Interlocked.Increment(ref _commits);
                    return response.Header.Revision;
                }

                var (failed, state) = compiler.FirstFailed(txn.Compare, response.Header.Revision, deadline);
                if (failed == 0)
                {
                    var slotState = state.Responses[0].ResponseRange.Kvs;
                    if (slotState.Count > 0)
                    {
                        // Only this commit writes the slot: an earlier send of it applied, at the slot's mod_revision.
                        slots.Release(slot, slotState[0].ModRevision);
                        Interlocked.Increment(ref _commits);
                        Interlocked.Increment(ref _appliedBeforeResend);
                        return slotState[0].ModRevision;
                    }

                    slots.Retire(slot, leaseLost: true);
                    if (maybeApplied || epochs > 2)
                    {
                        Interlocked.Increment(ref _unknownOutcomes);
                        throw new LsmStoreUnavailableException(
                            $"The {description} expired the commit slot's lease while the batch was being retried; the batch may or "
                            + "may not have been applied.");
                    }

                    break;
                }

                if (failed < 0)
                {
                    // The failed revision was compacted before it could be examined and nothing fails now: send again.
                    continue;
                }

                slots.Release(slot, slot.ModRevision);
                var condition = conditionOf[failed - 1];
                throw new LsmWriteConflictException(
                    condition,
                    batch.Conditions[condition].Kind,
                    $"Condition {condition} ({batch.Conditions[condition].Kind}) of the batch does not hold on the {description} at revision "
                    + $"{response.Header.Revision}; nothing was written.");
            }
        }
    }

    /// <summary>
    /// The revision at which this commit's transaction applied, read from its slot (moved past <see cref="EtcdCommitSlots.Slot.ModRevision"/>
    /// only by this commit), or null when it did not apply. A slot that cannot be read leaves the outcome unknown.
    /// </summary>
    private long? AppliedRevision(EtcdCommitSlots.Slot slot, DateTime deadline, RpcException refusal)
    {
        RangeResponse state;
        try
        {
            state = connection.Range(new RangeRequest { Key = slot.Key }, deadline);
        }
        catch (LsmStoreUnavailableException unavailable)
        {
            slots.Retire(slot, leaseLost: false);
            Interlocked.Increment(ref _unknownOutcomes);
            throw new LsmStoreUnavailableException(
                $"The {description} answered the batch with {EtcdErrors.Describe(refusal)} and then could not be read to learn whether "
                + "the batch had applied; the batch may or may not have been applied.",
                unavailable);
        }

        return state.Kvs.Count > 0 && state.Kvs[0].ModRevision != slot.ModRevision ? state.Kvs[0].ModRevision : null;
    }

    /// <summary>The batch's puts and deletes as transaction operations: one per key, the last operation on a key winning.</summary>
    private List<RequestOp> Operations(LsmConditionalBatch batch)
    {
        // etcd refuses a transaction that writes a key twice, and the batch promises that the last operation on a key wins.
        var operations = new List<RequestOp>(batch.Operations.Count + 1);
        var byKey = new Dictionary<ByteString, int>(batch.Operations.Count);
        foreach (var operation in batch.Operations)
        {
            var key = keys.Key(operation.Key);
            var op = operation.Value is { } value
                ? new RequestOp { RequestPut = new PutRequest { Key = key, Value = UnsafeByteOperations.UnsafeWrap(value) } }
                : new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } };
            if (byKey.TryGetValue(key, out var index))
            {
                operations[index] = op;
            }
            else
            {
                byKey[key] = operations.Count;
                operations.Add(op);
            }
        }

        return operations;
    }

    private LsmBatchTooLargeException TooLarge(string what, string unit, string setting, int limit) =>
        new(
            $"The batch needs {what}; one transaction of the {description} allows {limit:N0} {unit} ({setting}). Nothing was written. "
            + "Save fewer entities per SaveChanges, or raise the limit on every member and in UseLsmCluster to match.");
}

/// <summary>Counts of one store's commits.</summary>
/// <param name="Commits">Batches that committed.</param>
/// <param name="Resends">Sends after the first of a commit transaction, after its answer was lost.</param>
/// <param name="AppliedBeforeResend">Commits whose answer was lost but which had applied: a resend found the slot moved.</param>
/// <param name="UnknownOutcomes">Commits given up with LsmStoreUnavailableException, applied or not.</param>
internal readonly record struct EtcdCommitStatistics(long Commits, long Resends, long AppliedBeforeResend, long UnknownOutcomes);
