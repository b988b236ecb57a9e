using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// The plan of one save against one view of the store: the conditional batch, what each of its conditions guards, the rows
/// as the save leaves them and the index entries it deletes and puts. The save's row writes are added in order
/// (<see cref="Add"/>); <see cref="Complete"/> then adds what referential integrity derives from them (the dependents a
/// delete cascades to or sets null, the principals the rows name: <see cref="LsmReferentialIntegrity"/>) and the index
/// entry operations. Each write carries the condition that makes it correct (docs/storage_seam.md, "How the provider uses
/// it"), so nothing is locked while the plan is built and the store checks everything at commit.
/// </summary>
/// <remarks>
/// An <see cref="Immediate"/> plan evaluates each condition against its view at once instead of adding it to the batch:
/// a transaction's <c>SaveChanges</c> is checked that way against the transaction's view (which shows the transaction's own
/// rows and index entries), so a violation surfaces at that <c>SaveChanges</c>, and the batch itself is planned again at
/// commit.
/// </remarks>
internal sealed class LsmSavePlan
{
    private readonly Dictionary<byte[], PendingRow> _rows = new(ByteArrayEqualityComparer.Instance);
    private readonly List<RowWrite> _writes = [];
    private readonly Dictionary<byte[], IndexEntry> _entryDeletes = new(ByteArrayEqualityComparer.Instance);
    private readonly Dictionary<byte[], (IndexEntry Entry, RowWrite Write, LsmIndexMapping Index)> _entryPuts =
        new(ByteArrayEqualityComparer.Instance);

    /// <param name="view">The view every read of the plan is made at; open until the batch committed.</param>
    /// <param name="scratch">A buffer for encoding.</param>
    /// <param name="enforceForeignKeys">Whether foreign keys are checked and delete behaviours applied.</param>
    /// <param name="immediate">Whether conditions are evaluated at <paramref name="view"/> at once (see the remarks).</param>
    /// <param name="guardVersion">
    /// The version rows and ranges the plan reads must be unchanged since: <paramref name="view"/>'s own (the default; a
    /// failed guard then means "plan again at a newer view"), or an older one a transaction read at (a failed guard is final).
    /// </param>
    public LsmSavePlan(
        ILsmReadView view, PooledByteBufferWriter scratch, bool enforceForeignKeys, bool immediate = false, long? guardVersion = null)
    {
        View = view;
        Scratch = scratch;
        EnforceForeignKeys = enforceForeignKeys;
        Immediate = immediate;
        GuardVersion = guardVersion ?? view.Version;
        Retryable = guardVersion is null;
    }

    public ILsmReadView View { get; }

    public PooledByteBufferWriter Scratch { get; }

    public bool EnforceForeignKeys { get; }

    public bool Immediate { get; }

    public long GuardVersion { get; }

    /// <summary>Whether a failed read guard means the save can be planned again at a newer view (else the failure is final).</summary>
    public bool Retryable { get; }

    public LsmConditionalBatch Batch { get; } = new();

    /// <summary>Dependents already found at <see cref="View"/> for some of the plan's deletes, which referential integrity reuses.</summary>
    public LsmDependentSweep.Results? Swept { get; init; }

    /// <summary>What each condition of <see cref="Batch"/> guards, by condition index.</summary>
    public List<LsmSaveGuard> Guards { get; } = [];

    /// <summary>Every row write of the plan in the order added: the save's own, then the ones referential integrity derived.</summary>
    public IReadOnlyList<RowWrite> Writes => _writes;

    /// <summary>The rows the plan writes, as it leaves them.</summary>
    public IReadOnlyDictionary<byte[], PendingRow> Rows => _rows;

    /// <summary>Whether the plan puts the index entry <paramref name="key"/> (an entry of a row it writes).</summary>
    public bool PutsEntry(byte[] key) => _entryPuts.ContainsKey(key);

    /// <summary>Whether the plan deletes the index entry <paramref name="key"/> and puts none under it.</summary>
    public bool DeletesEntry(byte[] key) => _entryDeletes.ContainsKey(key) && !_entryPuts.ContainsKey(key);

    /// <summary>
    /// The index entries the plan writes (a null value deletes), once <see cref="Complete"/> ran: what a transaction's view
    /// shows of its own writes' entries.
    /// </summary>
    public IEnumerable<KeyValuePair<byte[], byte[]?>> IndexOperations()
    {
        foreach (var key in _entryDeletes.Keys)
        {
            if (!_entryPuts.ContainsKey(key))
            {
                yield return new(key, null);
            }
        }

        foreach (var (key, put) in _entryPuts)
        {
            yield return new(key, put.Entry.Value);
        }
    }

    /// <summary>Adds one row write: its condition, its put or delete, and the changes of its index entries.</summary>
    public void Add(RowWrite write)
    {
        byte[]? before;
        bool beforeKnown;
        var known = _rows.TryGetValue(write.Key, out var pending);
        if (known)
        {
            // Written earlier in this save (a delete and an insert of one key, a row a cascade reaches twice): checked
            // against that, and its old index entries come from it.
            Check(write, pending!.Value);
            before = pending.Value;
            beforeKnown = true;
        }
        else
        {
            (before, beforeKnown) = AddCondition(write);
        }

        // A model that lacks some stored properties must not drop their values: an update carries them over.
        var value = write.Value is { } written && write.Check != RowCheck.MustBeAbsent && write.Mapping.PreservesValues
            ? write.Mapping.CarryOver(written, before, Scratch)
            : write.Value;
        _rows[write.Key] = known
            ? pending! with { Value = value, Write = write }
            : new PendingRow(value, before, beforeKnown, write);

        _writes.Add(write);
        if (value is not null)
        {
            Batch.Put(write.Key, value);
        }
        else
        {
            Batch.Delete(write.Key);
        }

        foreach (var index in write.Mapping.Indexes)
        {
            Maintain(write, index, before);
        }
    }

    /// <summary>Adds what referential integrity requires of the writes (when enforced), then the index entry operations.</summary>
    public void Complete()
    {
        if (EnforceForeignKeys)
        {
            LsmReferentialIntegrity.Apply(this);
        }

        foreach (var key in _entryDeletes.Keys)
        {
            if (!_entryPuts.ContainsKey(key))
            {
                Batch.Delete(key);
            }
        }

        foreach (var (key, (entry, write, index)) in _entryPuts)
        {
            // A unique key this save also removes from another row is that row's to give up (its row is guarded
            // unchanged since it was read); any other must not be taken.
            if (entry.Unique && !_entryDeletes.ContainsKey(key))
            {
                Require(
                    LsmConditionKind.Absent,
                    key,
                    new LsmSaveGuard(LsmGuardKind.Unique, write, Retryable: false) { Index = index, Values = ValuesOf(index, write) });
            }

            Batch.Put(key, entry.Value);
        }
    }

    /// <summary>
    /// Adds a condition (or, in an <see cref="Immediate"/> plan, evaluates it at the view and throws the guard's failure when
    /// it does not hold). <paramref name="version"/> is for the "unchanged since" kinds, <paramref name="upper"/> for a range.
    /// </summary>
    public void Require(LsmConditionKind kind, byte[] key, LsmSaveGuard guard, long version = 0, byte[]? upper = null)
    {
        if (Immediate)
        {
            var holds = kind switch
            {
                LsmConditionKind.Absent => View.Get(key) is null,
                LsmConditionKind.Present => View.Get(key) is not null,

                // The view is the one the guarded reads were made at: nothing it shows has changed since.
                _ => true,
            };
            if (!holds)
            {
                throw Failure(guard, null);
            }

            return;
        }

        switch (kind)
        {
            case LsmConditionKind.Absent:
                Batch.RequireAbsent(key);
                break;
            case LsmConditionKind.Present:
                Batch.RequirePresent(key);
                break;
            case LsmConditionKind.UnchangedSince:
                Batch.RequireUnchangedSince(key, version);
                break;
            default:
                Batch.RequireRangeUnchangedSince(key, upper!, version);
                break;
        }

        Guards.Add(guard);
    }

    /// <summary>The exception for a failed condition: the one the save raises, or for a retryable guard when retries ran out.</summary>
    public Exception Failure(LsmSaveGuard guard, LsmWriteConflictException? conflict)
    {
        var write = guard.Write;
        return guard.Kind switch
        {
            LsmGuardKind.Generator => LsmSaveErrors.KeptChanging("its key generator values", conflict, []),
            LsmGuardKind.Unique => LsmSaveErrors.UniqueViolation(guard.Index!, guard.Values!, [.. LsmSaveErrors.Entries(write)], conflict),
            LsmGuardKind.ForeignKey => LsmSaveErrors.ForeignKeyViolation(guard.ForeignKey!, write!, guard.Row!, conflict),
            LsmGuardKind.Dependents when Retryable => LsmSaveErrors.KeptChanging(
                $"the '{guard.ForeignKey!.Dependent.EntityType.DisplayName()}' rows that reference the deleted "
                + $"'{guard.ForeignKey.Principal.EntityType.DisplayName()}'",
                conflict,
                LsmSaveErrors.Entries(write)),
            LsmGuardKind.Dependents => LsmSaveErrors.TransactionConflict(write!, conflict),
            _ => write!.Check switch
            {
                RowCheck.MustBeAbsent => LsmSaveErrors.AlreadyExists(write, conflict),
                RowCheck.MustExist when write.ChecksTokens => LsmSaveErrors.TokenChanged(write, conflict),
                RowCheck.MustExist => LsmSaveErrors.Missing(write, conflict),
                RowCheck.ReadAtView when Retryable => LsmSaveErrors.KeptChanging(
                    $"the '{write.Mapping.EntityType.DisplayName()}' rows it read", conflict, LsmSaveErrors.Entries(write)),
                _ => LsmSaveErrors.TransactionConflict(write, conflict),
            },
        };
    }

    /// <summary>Throws the save's exception when <paramref name="write"/>'s check fails against <paramref name="current"/>.</summary>
    private void Check(RowWrite write, byte[]? current)
    {
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent when current is not null:
                throw LsmSaveErrors.AlreadyExists(write, null);
            case RowCheck.MustExist or RowCheck.ReadAtView when current is null:
                throw LsmSaveErrors.Missing(write, null);
            case RowCheck.MustExist when write.ChecksTokens && !write.Mapping.ConcurrencyTokensMatch(current!, write.TokenEntry!, Scratch):
                throw LsmSaveErrors.TokenChanged(write, null);
        }
    }

    /// <summary>
    /// Adds the condition guarding <paramref name="write"/>'s row and returns the row as the view has it, when it had to be
    /// read (for an insert there is none: known absent). A row is read when the write compares its concurrency tokens, when
    /// the entries of its indexes must be derived from it, and when deleting it applies delete behaviours to its dependents.
    /// </summary>
    private (byte[]? Row, bool Known) AddCondition(RowWrite write)
    {
        var mapping = write.Mapping;
        // The stored row is needed for its index entries, for the dependents a delete reaches, and for the values of
        // properties the model lacks (schema drift), which an update carries over.
        var needsRow = mapping.Indexes.Count > 0
            || (EnforceForeignKeys && write.Value is null && mapping.ReferencingForeignKeys.Count > 0)
            || (write.Value is not null && mapping.PreservesValues);
        switch (write.Check)
        {
            case RowCheck.MustBeAbsent:
                Require(LsmConditionKind.Absent, write.Key, new LsmSaveGuard(LsmGuardKind.Row, write, Retryable: false));
                return (null, true);
            case RowCheck.MustExist when write.ChecksTokens || needsRow:
            {
                // The row is compared with (tokens) or its index entries derived from the row as this view sees it, and the
                // commit requires that row unchanged: the entries deleted are exactly the ones it has.
                var current = View.Get(write.Key);
                Check(write, current);
                Require(LsmConditionKind.UnchangedSince, write.Key, new LsmSaveGuard(LsmGuardKind.Row, write, Retryable), View.Version);
                return (current, true);
            }

            case RowCheck.MustExist:
                Require(LsmConditionKind.Present, write.Key, new LsmSaveGuard(LsmGuardKind.Row, write, Retryable: false));
                return (null, false);
            case RowCheck.ReadAtView:
                Check(write, write.OldValue);
                Require(
                    LsmConditionKind.UnchangedSince, write.Key, new LsmSaveGuard(LsmGuardKind.Row, write, Retryable), write.SinceVersion);
                return (write.OldValue, true);
            default:
                Require(
                    LsmConditionKind.UnchangedSince, write.Key, new LsmSaveGuard(LsmGuardKind.Row, write, Retryable: false), write.SinceVersion);

                // Unchanged since the transaction's view means the same as at this newer view, if the commit succeeds.
                return needsRow ? (View.Get(write.Key), true) : (null, false);
        }
    }

    /// <summary>Records the change of <paramref name="index"/>'s entry for <paramref name="write"/>'s row, whose stored value was <paramref name="old"/>.</summary>
    private void Maintain(RowWrite write, LsmIndexMapping index, byte[]? old)
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
            throw new DbUpdateException(e.Message, e, LsmSaveErrors.Entries(write));
        }

        if (after is not null && after.SameAs(before))
        {
            return;
        }

        if (before is not null)
        {
            // An entry this save put for the same row (a row written twice) is taken back; a unique key put for another
            // row stays put, and this row's claim on it is deleted first.
            if (_entryPuts.TryGetValue(before.Key, out var put) && put.Entry.SameAs(before))
            {
                _entryPuts.Remove(before.Key);
            }
            else
            {
                _entryDeletes[before.Key] = before;
            }
        }

        if (after is not null)
        {
            if (after.Unique && _entryPuts.TryGetValue(after.Key, out var claimed))
            {
                // Two rows of this save claim the same unique value.
                IReadOnlyList<IUpdateEntry> entries = [.. LsmSaveErrors.Entries(claimed.Write), .. LsmSaveErrors.Entries(write)];
                throw LsmSaveErrors.UniqueViolation(index, ValuesOf(index, write), entries, null);
            }

            _entryPuts[after.Key] = (after, write, index);
        }
    }

    private static object?[] ValuesOf(LsmIndexMapping index, RowWrite write) =>
        write.Value is null ? [] : index.Entity.ReadProperties(write.Value, index.Columns);
}

/// <summary>A row as a save leaves it.</summary>
/// <param name="Value">The value the save leaves (null: deleted).</param>
/// <param name="Before">The row as the plan's view had it before the save wrote it (null: absent), when <paramref name="BeforeKnown"/>.</param>
/// <param name="BeforeKnown">Whether the row was read (a write that only requires its row present does not read it).</param>
/// <param name="Write">The last write of the row.</param>
internal sealed record PendingRow(byte[]? Value, byte[]? Before, bool BeforeKnown, RowWrite Write);

/// <summary>What a condition of a save's batch protects, so that its failure raises the right exception (or a retry).</summary>
internal enum LsmGuardKind
{
    /// <summary>A row write's own condition.</summary>
    Row,

    /// <summary>A new unique index entry must be absent.</summary>
    Unique,

    /// <summary>A key generator reservation.</summary>
    Generator,

    /// <summary>The principal a dependent names must exist.</summary>
    ForeignKey,

    /// <summary>The dependents of a deleted principal, read at the view, must be unchanged (no new one may appear).</summary>
    Dependents,
}

/// <summary>One guarded condition of a save's batch.</summary>
internal sealed record LsmSaveGuard(LsmGuardKind Kind, RowWrite? Write, bool Retryable)
{
    public static readonly LsmSaveGuard Generator = new(LsmGuardKind.Generator, null, Retryable: true);

    public LsmIndexMapping? Index { get; init; }

    public object?[]? Values { get; init; }

    public LsmForeignKeyMapping? ForeignKey { get; init; }

    /// <summary>For <see cref="LsmGuardKind.ForeignKey"/>: the dependent row that names the principal.</summary>
    public byte[]? Row { get; init; }
}
