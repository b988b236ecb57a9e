using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Commits the row writes of one <c>SaveChanges</c> (or one transaction) as one conditional batch: each write carries the
/// condition that makes it correct — an insert requires its key absent, an update or delete requires its row present,
/// a write checked against concurrency tokens requires the row it compared with to be unchanged since it was read, a
/// transaction's write requires its row unchanged since the transaction's view. The store checks them all at commit,
/// atomically with the write (docs/storage_seam.md), so no lock is held here and concurrent saves share the store's
/// group commit. A failed condition raises EF's exception for it and writes nothing; a token comparison that was
/// overtaken by an unrelated change is simply redone against the newer row.
/// </summary>
internal static class LsmSaveCommitter
{
    // A token check is redone when its row changed between the read and the commit; an unending run of such changes
    // would be a livelock, so after this many the save fails as a concurrency conflict.
    private const int MaxAttempts = 100;

    public static void Commit(LsmStore store, IReadOnlyList<RowWrite> writes, bool sync)
    {
        using var scratch = new PooledByteBufferWriter();
        for (var attempt = 1; ; attempt++)
        {
            using var view = store.KeyValueStore.OpenView();
            var batch = new LsmConditionalBatch();

            // The write each condition guards, by condition index; null for a generator reservation.
            var guards = new List<RowWrite?>(writes.Count);

            // Keys written earlier in this save, with their new values: a later write of the same key (a delete and an
            // insert of one key) is checked against that, not against the store.
            var pending = new Dictionary<byte[], byte[]?>(ByteArrayEqualityComparer.Instance);
            foreach (var write in writes)
            {
                if (pending.TryGetValue(write.Key, out var shadow))
                {
                    Check(write, shadow, scratch);
                }
                else
                {
                    AddCondition(write, batch, view, scratch);
                    guards.Add(write);
                }

                pending[write.Key] = write.Value;
                if (write.Value is { } value)
                {
                    batch.Put(write.Key, value);
                }
                else
                {
                    batch.Delete(write.Key);
                }
            }

            var conditionsBeforeGenerators = batch.Conditions.Count;
            var raised = store.Generators.ObserveExplicitValues(GeneratedValues(writes), batch, view);
            for (var i = conditionsBeforeGenerators; i < batch.Conditions.Count; i++)
            {
                guards.Add(null);
            }

            try
            {
                store.KeyValueStore.Commit(batch, sync);
            }
            catch (LsmWriteConflictException conflict)
            {
                var guard = guards[conflict.ConditionIndex];
                if ((guard is null || guard.ChecksTokens) && attempt < MaxAttempts)
                {
                    // The row a token check compared with (or a key generator) changed meanwhile: check again against
                    // what is there now. The check itself decides whether the save still holds.
                    continue;
                }

                throw Failure(guard, conflict);
            }

            if (raised is not null)
            {
                store.Generators.Apply(raised);
            }

            return;
        }
    }

    /// <summary>Throws the save's exception when <paramref name="write"/>'s check fails against <paramref name="current"/>.</summary>
    public static void Check(RowWrite write, byte[]? current, PooledByteBufferWriter scratch)
    {
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent when current is not null:
                throw AlreadyExists(write, null);
            case RowCheck.MustExist when current is null:
                throw Missing(write, null);
            case RowCheck.MustExist when write.ChecksTokens && !write.Mapping.ConcurrencyTokensMatch(current!, write.TokenEntry!, scratch):
                throw TokenChanged(write, null);
        }
    }

    private static void AddCondition(RowWrite write, LsmConditionalBatch batch, ILsmReadView view, PooledByteBufferWriter scratch)
    {
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent:
                batch.RequireAbsent(write.Key);
                break;
            case RowCheck.MustExist when write.ChecksTokens:
                // The tokens are compared with the row as this view sees it, and the commit requires that row unchanged.
                Check(write, view.Get(write.Key), scratch);
                batch.RequireUnchangedSince(write.Key, view.Version);
                break;
            case RowCheck.MustExist:
                batch.RequirePresent(write.Key);
                break;
            case RowCheck.Unchanged:
                batch.RequireUnchangedSince(write.Key, write.SinceVersion);
                break;
        }
    }

    private static IEnumerable<(Metadata.Internal.LsmEntityMapping, long)> GeneratedValues(IReadOnlyList<RowWrite> writes)
    {
        foreach (var write in writes)
        {
            if (write.Value is not null && write.GeneratedKeyValue is { } value && write.Check != RowCheck.MustExist)
            {
                yield return (write.Mapping, value);
            }
        }
    }

    private static Exception Failure(RowWrite? guard, LsmWriteConflictException conflict) =>
        guard is null
            ? new DbUpdateConcurrencyException(
                "The save could not reserve its key generator values: other writers kept changing them. Retry the save.",
                conflict)
            : guard.Check switch
            {
                RowCheck.MustBeAbsent => AlreadyExists(guard, conflict),
                RowCheck.MustExist when guard.ChecksTokens => TokenChanged(guard, conflict),
                RowCheck.MustExist => Missing(guard, conflict),
                _ => new DbUpdateConcurrencyException(
                    $"The transaction cannot commit: the '{guard.Mapping.EntityType.DisplayName()}' row it writes was changed by "
                    + "another commit after the transaction started.",
                    conflict,
                    Entries(guard)),
            };

    private static DbUpdateException AlreadyExists(RowWrite write, Exception? inner) =>
        new(
            $"Cannot insert the '{write.Mapping.EntityType.DisplayName()}' entity: a row with the same key ({KeyNames(write)}) already exists.",
            inner,
            Entries(write));

    // As EF's other providers report it: the row the update or delete expected is gone.
    private static DbUpdateConcurrencyException Missing(RowWrite write, Exception? inner) =>
        new(
            $"Cannot {(write.Value is null ? "delete" : "update")} the '{write.Mapping.EntityType.DisplayName()}' entity: its row does "
            + "not exist (it was deleted, or never saved). Reload the entity and retry.",
            inner,
            Entries(write));

    private static DbUpdateConcurrencyException TokenChanged(RowWrite write, Exception? inner) =>
        new(
            $"Cannot {(write.Value is null ? "delete" : "update")} the '{write.Mapping.EntityType.DisplayName()}' entity: its "
            + "concurrency token changed since it was read. Reload the entity and retry.",
            inner,
            Entries(write));

    private static IReadOnlyList<IUpdateEntry> Entries(RowWrite write) => write.Entry is null ? [] : [write.Entry];

    private static string KeyNames(RowWrite write) => string.Join(", ", write.Mapping.KeyProperties.Select(p => p.Property.Name));
}
