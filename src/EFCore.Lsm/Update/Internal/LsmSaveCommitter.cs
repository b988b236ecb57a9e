using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Commits the row writes of one <c>SaveChanges</c> (or one transaction, or one <c>ExecuteDelete</c>/<c>ExecuteUpdate</c>)
/// as one conditional batch: the plan (<see cref="LsmSavePlan"/>) holds the rows, their index entries, what referential
/// integrity derives from them and the condition guarding each; the store checks the conditions at commit, atomically with
/// the write (docs/storage_seam.md), so no lock is held here and concurrent saves share the store's group commit. A failed
/// condition raises EF's exception for it and writes nothing; a read that was overtaken by another change is simply redone
/// against the newer state.
/// </summary>
internal static class LsmSaveCommitter
{
    // A read-checked write is redone when its row changed between the read and the commit; an unending run of such changes
    // would be a livelock, so after this many the save fails as a concurrency conflict.
    public const int MaxAttempts = 100;

    /// <summary>
    /// Commits <paramref name="writes"/>, planning again at a newer view while a read they depend on was overtaken.
    /// <paramref name="guardVersion"/> is a transaction's view (its reads must be unchanged since then, and a conflict is
    /// final), or null for a save that reads at its own view.
    /// </summary>
    public static void Commit(LsmStore store, IReadOnlyList<RowWrite> writes, bool sync, bool enforceForeignKeys, long? guardVersion = null)
    {
        using var scratch = new PooledByteBufferWriter();
        for (var attempt = 1; ; attempt++)
        {
            using var view = store.KeyValueStore.OpenView();
            var plan = Plan(writes, view, scratch, enforceForeignKeys, guardVersion);
            if (TryCommit(store, plan, writes, sync, out var failure))
            {
                return;
            }

            if (attempt >= MaxAttempts)
            {
                throw failure!;
            }
        }
    }

    /// <summary>
    /// Builds the plan of <paramref name="writes"/> at <paramref name="view"/>, reusing the dependents <paramref name="swept"/>
    /// found at that view.
    /// </summary>
    public static LsmSavePlan Plan(
        IReadOnlyList<RowWrite> writes,
        ILsmReadView view,
        PooledByteBufferWriter scratch,
        bool enforceForeignKeys,
        long? guardVersion = null,
        LsmDependentSweep.Results? swept = null)
    {
        var plan = new LsmSavePlan(view, scratch, enforceForeignKeys, immediate: false, guardVersion) { Swept = swept };
        foreach (var write in writes)
        {
            plan.Add(write);
        }

        plan.Complete();
        return plan;
    }

    /// <summary>
    /// Commits <paramref name="plan"/> (with the key generator reservations <paramref name="writes"/> need). False when a
    /// retryable condition failed — a row or range the plan read changed since its view — with the exception to raise if the
    /// caller stops retrying; the caller then plans again at a newer view. Throws the save's exception for any other failure.
    /// </summary>
    public static bool TryCommit(LsmStore store, LsmSavePlan plan, IReadOnlyList<RowWrite> writes, bool sync, out Exception? failure)
    {
        var conditionsBeforeGenerators = plan.Batch.Conditions.Count;
        var raised = store.Generators.ObserveExplicitValues(GeneratedValues(writes), plan.Batch, plan.View);
        for (var i = conditionsBeforeGenerators; i < plan.Batch.Conditions.Count; i++)
        {
            plan.Guards.Add(LsmSaveGuard.Generator);
        }

        try
        {
            store.KeyValueStore.Commit(plan.Batch, sync);
        }
        catch (LsmWriteConflictException conflict)
        {
            var guard = plan.Guards[conflict.ConditionIndex];
            failure = plan.Failure(guard, conflict);
            if (guard.Retryable)
            {
                // The row a read compared with (or a key generator, or a range of dependents) changed meanwhile: the caller
                // plans again against what is there now, and the plan itself decides whether the save still holds.
                return false;
            }

            throw failure;
        }

        if (raised is not null)
        {
            store.Generators.Apply(raised);
        }

        failure = null;
        return true;
    }

    private static IEnumerable<(LsmEntityMapping, LsmEntityMapping.PropertyMapping, long)> GeneratedValues(IReadOnlyList<RowWrite> writes)
    {
        foreach (var write in writes)
        {
            if (write.Value is not null && write.Check != RowCheck.MustExist)
            {
                foreach (var (key, value) in write.GeneratedKeyValues)
                {
                    yield return (write.Mapping, key, value);
                }
            }
        }
    }
}
