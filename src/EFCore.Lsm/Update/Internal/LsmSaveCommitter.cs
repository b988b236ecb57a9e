using System.Globalization;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Commits the row writes of one <c>SaveChanges</c> (or one transaction) as one conditional batch, with the entries of
/// every secondary index of the rows (docs/index_encoding.md). Each write carries the condition that makes it correct —
/// an insert requires its key absent, an update or delete requires its row present, a write that read the stored row (to
/// compare concurrency tokens, or to know which index entries the row had) requires that row unchanged since it was read,
/// a transaction's write requires its row unchanged since the transaction's view, a new unique index entry requires its
/// key absent. The store checks them all at commit, atomically with the write (docs/storage_seam.md), so no lock is held
/// here and concurrent saves share the store's group commit. A failed condition raises EF's exception for it and writes
/// nothing; a read that was overtaken by an unrelated change is simply redone against the newer row.
/// </summary>
internal static class LsmSaveCommitter
{
    // A read-checked write is redone when its row changed between the read and the commit; an unending run of such changes
    // would be a livelock, so after this many the save fails as a concurrency conflict.
    private const int MaxAttempts = 100;

    public static void Commit(LsmStore store, IReadOnlyList<RowWrite> writes, bool sync)
    {
        using var scratch = new PooledByteBufferWriter();
        for (var attempt = 1; ; attempt++)
        {
            using var view = store.KeyValueStore.OpenView();
            var plan = new SavePlan();

            // Keys written earlier in this save, with their new values: a later write of the same key (a delete and an
            // insert of one key) is checked against that, not against the store, and its old index entries come from it.
            var pending = new Dictionary<byte[], byte[]?>(ByteArrayEqualityComparer.Instance);
            foreach (var write in writes)
            {
                byte[]? old;
                if (pending.TryGetValue(write.Key, out var shadow))
                {
                    Check(write, shadow, scratch);
                    old = shadow;
                }
                else
                {
                    old = AddCondition(write, plan, view, scratch);
                }

                // A model that lacks some stored properties must not drop their values: an update carries them over.
                var value = write.Value is { } written && write.Check != RowCheck.MustBeAbsent
                    ? write.Mapping.CarryOver(written, old, scratch)
                    : write.Value;
                pending[write.Key] = value;
                if (value is not null)
                {
                    plan.Batch.Put(write.Key, value);
                }
                else
                {
                    plan.Batch.Delete(write.Key);
                }

                foreach (var index in write.Mapping.Indexes)
                {
                    plan.Maintain(write, index, old);
                }
            }

            plan.AddIndexOperations();
            var conditionsBeforeGenerators = plan.Batch.Conditions.Count;
            var raised = store.Generators.ObserveExplicitValues(GeneratedValues(writes), plan.Batch, view);
            for (var i = conditionsBeforeGenerators; i < plan.Batch.Conditions.Count; i++)
            {
                plan.Guards.Add(Guard.Generator);
            }

            try
            {
                store.KeyValueStore.Commit(plan.Batch, sync);
            }
            catch (LsmWriteConflictException conflict)
            {
                var guard = plan.Guards[conflict.ConditionIndex];
                if (guard.Retryable && attempt < MaxAttempts)
                {
                    // The row a read compared with (or a key generator) changed meanwhile: check again against what is
                    // there now. The check itself decides whether the save still holds.
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

    /// <summary>
    /// Adds the condition guarding <paramref name="write"/>'s row and returns the stored row when it had to be read (null
    /// for an insert: there is none).
    /// </summary>
    private static byte[]? AddCondition(RowWrite write, SavePlan plan, ILsmReadView view, PooledByteBufferWriter scratch)
    {
        // The stored row is needed for the index entries it has, and for the values of properties the model lacks.
        var indexed = write.Mapping.Indexes.Count > 0 || (write.Value is not null && write.Mapping.PreservesValues);
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent:
                plan.Batch.RequireAbsent(write.Key);
                plan.Guards.Add(new Guard(GuardKind.Row, write, Retryable: false));
                return null;
            case RowCheck.MustExist when write.ChecksTokens || indexed:
            {
                // The row is compared with (tokens) or its index entries derived from the row as this view sees it, and the
                // commit requires that row unchanged: the entries deleted are exactly the ones it has.
                var current = view.Get(write.Key);
                Check(write, current, scratch);
                plan.Batch.RequireUnchangedSince(write.Key, view.Version);
                plan.Guards.Add(new Guard(GuardKind.Row, write, Retryable: true));
                return current;
            }

            case RowCheck.MustExist:
                plan.Batch.RequirePresent(write.Key);
                plan.Guards.Add(new Guard(GuardKind.Row, write, Retryable: false));
                return null;
            default:
                plan.Batch.RequireUnchangedSince(write.Key, write.SinceVersion);
                plan.Guards.Add(new Guard(GuardKind.Row, write, Retryable: false));

                // Unchanged since the transaction's view means the same as at this newer view, if the commit succeeds.
                return indexed ? view.Get(write.Key) : null;
        }
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

    private static Exception Failure(Guard guard, LsmWriteConflictException conflict)
    {
        var write = guard.Write;
        return guard.Kind switch
        {
            GuardKind.Generator => new DbUpdateConcurrencyException(
                "The save could not reserve its key generator values: other writers kept changing them. Retry the save.",
                conflict),
            GuardKind.Unique => UniqueViolation(guard.Index!, guard.Values!, [.. Entries(write!)], conflict),
            _ => write!.Check switch
            {
                RowCheck.MustBeAbsent => AlreadyExists(write, conflict),
                RowCheck.MustExist when write.ChecksTokens => TokenChanged(write, conflict),
                RowCheck.MustExist => Missing(write, conflict),
                _ => new DbUpdateConcurrencyException(
                    $"The transaction cannot commit: the '{write.Mapping.EntityType.DisplayName()}' row it writes was changed by "
                    + "another commit after the transaction started.",
                    conflict,
                    Entries(write)),
            },
        };
    }

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

    private static DbUpdateException UniqueViolation(
        LsmIndexMapping index, object?[] values, IReadOnlyList<IUpdateEntry> entries, Exception? inner) =>
        new(
            $"Cannot save the '{index.Entity.EntityType.DisplayName()}' entity: the unique index '{index.Name}' already has a row with "
            + $"({string.Join(", ", index.Columns.Select(c => c.Property.Name))}) = ({string.Join(", ", values.Select(Format))}).",
            inner,
            entries);

    private static string Format(object? value) =>
        value switch
        {
            null => "null",
            string s => "'" + s + "'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    private static IReadOnlyList<IUpdateEntry> Entries(RowWrite write) => write.Entry is null ? [] : [write.Entry];

    private static string KeyNames(RowWrite write) => string.Join(", ", write.Mapping.KeyProperties.Select(p => p.Property.Name));

    private enum GuardKind
    {
        Row,
        Unique,
        Generator,
    }

    /// <summary>What one condition of the batch guards, to turn its failure into the right exception (or a retry).</summary>
    private sealed record Guard(GuardKind Kind, RowWrite? Write, bool Retryable)
    {
        public static readonly Guard Generator = new(GuardKind.Generator, null, Retryable: true);

        public LsmIndexMapping? Index { get; init; }

        public object?[]? Values { get; init; }
    }

    /// <summary>
    /// The batch being built, its guards by condition index, and the index entries the save deletes and puts. Entry deletes
    /// go into the batch before entry puts: a unique value that moves from one row to another in the same save must end
    /// up present, whatever order the rows were written in.
    /// </summary>
    private sealed class SavePlan
    {
        private readonly Dictionary<byte[], IndexEntry> _deletes = new(ByteArrayEqualityComparer.Instance);
        private readonly Dictionary<byte[], (IndexEntry Entry, RowWrite Write, LsmIndexMapping Index)> _puts =
            new(ByteArrayEqualityComparer.Instance);

        public LsmConditionalBatch Batch { get; } = new();

        public List<Guard> Guards { get; } = [];

        /// <summary>Records the change of <paramref name="index"/>'s entry for <paramref name="write"/>'s row, whose stored value was <paramref name="old"/>.</summary>
        public void Maintain(RowWrite write, LsmIndexMapping index, byte[]? old)
        {
            IndexEntry? before;
            IndexEntry? after;
            try
            {
                before = index.EntryOf(write.Key, old);
                after = index.EntryOf(write.Key, write.Value);
            }
            catch (LsmInvalidEntityException e)
            {
                throw new DbUpdateException(e.Message, e, Entries(write));
            }

            if (after is not null && after.SameAs(before))
            {
                return;
            }

            if (before is not null)
            {
                // An entry this save put for the same row (a row written twice) is taken back; a unique key put for another
                // row stays put, and this row's claim on it is deleted first.
                if (_puts.TryGetValue(before.Key, out var put) && put.Entry.SameAs(before))
                {
                    _puts.Remove(before.Key);
                }
                else
                {
                    _deletes[before.Key] = before;
                }
            }

            if (after is not null)
            {
                if (after.Unique && _puts.ContainsKey(after.Key))
                {
                    // Two rows of this save claim the same unique value.
                    throw UniqueViolation(index, ValuesOf(index, write), [.. Entries(_puts[after.Key].Write), .. Entries(write)], null);
                }

                _puts[after.Key] = (after, write, index);
            }
        }

        /// <summary>Adds the recorded entry deletes, then the puts, each new unique entry on condition its key is absent.</summary>
        public void AddIndexOperations()
        {
            foreach (var key in _deletes.Keys)
            {
                if (!_puts.ContainsKey(key))
                {
                    Batch.Delete(key);
                }
            }

            foreach (var (key, (entry, write, index)) in _puts)
            {
                // A unique key this save also removes from another row is that row's to give up (its row is guarded
                // unchanged since it was read); any other must not be taken.
                if (entry.Unique && !_deletes.ContainsKey(key))
                {
                    Batch.RequireAbsent(key);
                    Guards.Add(new Guard(GuardKind.Unique, write, Retryable: false) { Index = index, Values = ValuesOf(index, write) });
                }

                Batch.Put(key, entry.Value);
            }
        }

        private static object?[] ValuesOf(LsmIndexMapping index, RowWrite write) =>
            write.Value is null ? [] : index.Entity.ReadProperties(write.Value, index.Columns);
    }
}
