using EFCore.Lsm.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// Turns the conditions of a batch into etcd transaction compares (docs/etcd_backend.md, "Conditions"), and tells which
/// condition failed when a transaction did not succeed. etcd compares see only the current state of keys, so "unchanged
/// since revision v" is compiled from what the key (or range) was at v, read first from the cluster's history:
/// <list type="bullet">
/// <item>absent: version(k) = 0; present: version(k) &gt; 0;</item>
/// <item>unchanged since v: mod_revision(k) = m when k had mod_revision m at v (a rewrite raises it, a delete makes it
/// 0, a delete and re-insert raises it); mod_revision(k) &lt; v + 1 when k was absent at v (an insert raises it);</item>
/// <item>range unchanged since v: mod_revision &lt; v + 1 over [lower, upper) (no insert or update), and version &gt; 0 for
/// each key the range held at v (no delete).</item>
/// </list>
/// </summary>
internal sealed class EtcdConditionCompiler(EtcdConnection connection, EtcdKeys keys, string description)
{
    /// <summary>The compares of <paramref name="batch"/>'s conditions, each with the index of the condition it checks.</summary>
    public (List<Compare> Compares, List<int> ConditionOf) Compile(LsmConditionalBatch batch, DateTime deadline, int compareBudget)
    {
        var facts = ReadFacts(batch, deadline, compareBudget);
        var compares = new List<Compare>(batch.Conditions.Count);
        var conditionOf = new List<int>(batch.Conditions.Count);
        for (var i = 0; i < batch.Conditions.Count; i++)
        {
            var condition = batch.Conditions[i];
            switch (condition.Kind)
            {
                case LsmConditionKind.Absent:
                    Add(VersionCompare(keys.Key(condition.Key), CompareResult.Equal), i);
                    break;
                case LsmConditionKind.Present:
                    Add(VersionCompare(keys.Key(condition.Key), CompareResult.Greater), i);
                    break;
                case LsmConditionKind.UnchangedSince:
                {
                    var key = keys.Key(condition.Key);
                    var modAtVersion = condition.Version <= 0 ? 0 : facts.Points[(key, condition.Version)];
                    Add(
                        modAtVersion > 0
                            ? ModCompare(key, CompareResult.Equal, modAtVersion)
                            : ModCompare(key, CompareResult.Less, Math.Max(condition.Version, 0) + 1),
                        i);
                    break;
                }

                case LsmConditionKind.RangeUnchangedSince:
                {
                    var (start, end) = (keys.RangeStart(condition.Key), keys.Key(condition.Upper!));
                    if (EtcdKeys.IsEmptyRange(start, end))
                    {
                        break;
                    }

                    var range = ModCompare(start, CompareResult.Less, Math.Max(condition.Version, 0) + 1);
                    range.RangeEnd = end;
                    Add(range, i);
                    if (condition.Version > 0)
                    {
                        foreach (var present in facts.Ranges[(start, end, condition.Version)])
                        {
                            Add(VersionCompare(present.Key, CompareResult.Greater), i);
                        }
                    }

                    break;
                }
            }
        }

        return (compares, conditionOf);

        void Add(Compare compare, int condition)
        {
            compares.Add(compare);
            conditionOf.Add(condition);
        }
    }

    /// <summary>
    /// Which compare of <paramref name="compares"/> failed at <paramref name="revision"/> (the revision etcd evaluated a
    /// failed transaction at, which its response reports): the first that does not hold on the state at that revision.
    /// -1 when every one holds there (the revision was compacted meanwhile and the current state was read instead). The
    /// state read is returned with it, one range response per compare.
    /// </summary>
    public (int Failed, TxnResponse State) FirstFailed(IReadOnlyList<Compare> compares, long revision, DateTime deadline)
    {
        var txn = new TxnRequest();
        foreach (var compare in compares)
        {
            var range = new RangeRequest { Key = compare.Key, KeysOnly = true, Revision = revision, Serializable = true };
            if (!compare.RangeEnd.IsEmpty)
            {
                // A range compare (mod_revision < v + 1) fails when some key of the range has mod_revision ≥ v + 1.
                range.RangeEnd = compare.RangeEnd;
                range.MinModRevision = compare.ModRevision;
                range.Limit = 1;
            }

            txn.Success.Add(new RequestOp { RequestRange = range });
        }

        TxnResponse state;
        try
        {
            state = ReadHistory(txn, deadline);
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            foreach (var op in txn.Success)
            {
                op.RequestRange.Revision = 0;
                op.RequestRange.Serializable = false;
            }

            try
            {
                state = connection.ReadTransaction(txn, deadline);
            }
            catch (RpcException again)
            {
                throw EtcdErrors.Refused(description, again, "nothing was written");
            }
        }

        for (var i = 0; i < compares.Count; i++)
        {
            if (!Holds(compares[i], state.Responses[i].ResponseRange))
            {
                return (i, state);
            }
        }

        return (-1, state);
    }

    /// <summary>Whether <paramref name="compare"/> holds on the state <paramref name="state"/> shows (read by <see cref="FirstFailed"/>).</summary>
    private static bool Holds(Compare compare, RangeResponse state)
    {
        if (!compare.RangeEnd.IsEmpty)
        {
            return state.Kvs.Count == 0;
        }

        var kv = state.Kvs.Count == 0 ? new KeyValue() : state.Kvs[0];
        var (actual, expected) = compare.Target switch
        {
            CompareTarget.Version => (kv.Version, compare.Version),
            CompareTarget.Mod => (kv.ModRevision, compare.ModRevision),
            CompareTarget.Create => (kv.CreateRevision, compare.CreateRevision),
            _ => throw new InvalidOperationException($"The backend does not write {compare.Target} compares."),
        };
        return compare.Result switch
        {
            CompareResult.Equal => actual == expected,
            CompareResult.Greater => actual > expected,
            CompareResult.Less => actual < expected,
            _ => actual != expected,
        };
    }

    public static Compare VersionCompare(ByteString key, CompareResult result) =>
        new() { Key = key, Target = CompareTarget.Version, Result = result, Version = 0 };

    public static Compare ModCompare(ByteString key, CompareResult result, long modRevision) =>
        new() { Key = key, Target = CompareTarget.Mod, Result = result, ModRevision = modRevision };

    /// <summary>
    /// Reads, from the cluster's history, what each "unchanged since" condition needs to know about its version: the key's
    /// mod_revision then, or the keys the range held then. One read-only transaction per chunk of the cluster's operation
    /// limit; none at all for a batch without such conditions.
    /// </summary>
    private Facts ReadFacts(LsmConditionalBatch batch, DateTime deadline, int compareBudget)
    {
        var facts = new Facts();
        var lookups = new List<Lookup>();
        for (var index = 0; index < batch.Conditions.Count; index++)
        {
            var condition = batch.Conditions[index];
            if (condition.Version <= 0)
            {
                continue;
            }

            if (condition.Kind == LsmConditionKind.UnchangedSince)
            {
                var key = keys.Key(condition.Key);
                if (facts.Points.TryAdd((key, condition.Version), 0))
                {
                    lookups.Add(new Lookup(index, key, ByteString.Empty, condition.Version));
                }
            }
            else if (condition.Kind == LsmConditionKind.RangeUnchangedSince)
            {
                var (start, end) = (keys.RangeStart(condition.Key), keys.Key(condition.Upper!));
                if (!EtcdKeys.IsEmptyRange(start, end) && facts.Ranges.TryAdd((start, end, condition.Version), []))
                {
                    lookups.Add(new Lookup(index, start, end, condition.Version));
                }
            }
        }

        for (var first = 0; first < lookups.Count; first += connection.Options.MaxTxnOps)
        {
            var chunk = lookups.GetRange(first, Math.Min(connection.Options.MaxTxnOps, lookups.Count - first));
            var txn = new TxnRequest();
            foreach (var lookup in chunk)
            {
                var range = new RangeRequest { Key = lookup.Start, Revision = lookup.Version, KeysOnly = true, Serializable = true };
                if (lookup.IsRange)
                {
                    // One more than the budget tells "too many" without reading a large range whole.
                    range.RangeEnd = lookup.End;
                    range.Limit = compareBudget + 1;
                }

                txn.Success.Add(new RequestOp { RequestRange = range });
            }

            TxnResponse response;
            try
            {
                response = ReadHistory(txn, deadline);
            }
            catch (RpcException e) when (EtcdErrors.IsCompacted(e))
            {
                var oldest = chunk.MinBy(l => l.Version);
                throw new LsmWriteConflictException(
                    oldest.Condition,
                    batch.Conditions[oldest.Condition].Kind,
                    $"The {description} has compacted its history past revision {oldest.Version}, so whether the data read then is "
                    + "unchanged cannot be checked; nothing was written. Read again and retry.",
                    e);
            }

            for (var i = 0; i < chunk.Count; i++)
            {
                var lookup = chunk[i];
                var kvs = response.Responses[i].ResponseRange.Kvs;
                if (!lookup.IsRange)
                {
                    facts.Points[(lookup.Start, lookup.Version)] = kvs.Count == 0 ? 0 : kvs[0].ModRevision;
                    continue;
                }

                if (kvs.Count > compareBudget)
                {
                    throw new LsmBatchTooLargeException(
                        $"The batch's condition on a key range needs one compare per key the range held at revision {lookup.Version} "
                        + $"(more than {compareBudget}), over the {description}'s --max-txn-ops of {connection.Options.MaxTxnOps}; "
                        + "nothing was written. Raise --max-txn-ops on every member and MaxTxnOps in UseLsmCluster.");
                }

                facts.Ranges[(lookup.Start, lookup.End, lookup.Version)] = [.. kvs];
            }
        }

        return facts;
    }

    /// <summary>A read of fixed past revisions: any member that has applied them answers locally.</summary>
    private TxnResponse ReadHistory(TxnRequest txn, DateTime deadline)
    {
        try
        {
            try
            {
                return connection.ReadTransaction(txn, deadline);
            }
            catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
            {
                foreach (var op in txn.Success)
                {
                    op.RequestRange.Serializable = false;
                }

                return connection.ReadTransaction(txn, deadline);
            }
        }
        catch (RpcException e) when (!EtcdErrors.IsCompacted(e))
        {
            throw EtcdErrors.Refused(description, e, "nothing was written");
        }
    }

    /// <summary>What one condition needs read at its version: a key's mod_revision, or the keys of a range.</summary>
    private readonly record struct Lookup(int Condition, ByteString Start, ByteString End, long Version)
    {
        public bool IsRange => !End.IsEmpty;
    }

    private sealed class Facts
    {
        public Dictionary<(ByteString Key, long Version), long> Points { get; } = [];

        public Dictionary<(ByteString Start, ByteString End, long Version), List<KeyValue>> Ranges { get; } = [];
    }
}
