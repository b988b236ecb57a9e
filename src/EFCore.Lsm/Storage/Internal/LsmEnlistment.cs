using System.Transactions;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// One context's part in one <see cref="Transaction"/> (a <c>TransactionScope</c> or <c>Database.EnlistTransaction</c>): an
/// <see cref="LsmTransaction"/> that stages the context's saves, enlisted as a volatile resource. A scope that completes
/// commits the staged writes as one conditional batch (single-phase commit, the only participant); a scope disposed
/// without <c>Complete</c>, or aborted, discards them. A failed commit (another writer changed a row first) aborts the
/// scope: its <c>Dispose</c> throws <see cref="TransactionAbortedException"/> carrying EF's exception, and nothing is written.
/// </summary>
/// <remarks>
/// The engine has no prepared state that could survive a vote and still be rolled back, so an enlistment that has writes
/// cannot take part in a two-phase commit: when another resource (a second EFCore.Lsm context, another database) is
/// enlisted in the same transaction, the prepare phase votes to roll the whole transaction back with
/// <see cref="NotSupportedException"/> naming the reason, instead of committing a part of it. A second EFCore.Lsm context
/// is refused earlier, at its first save in the transaction (<see cref="EnlistmentRegistry"/>).
/// </remarks>
internal sealed class LsmEnlistment : ISinglePhaseNotification
{
    private readonly Lock _lock = new();
    private readonly Action<LsmEnlistment> _onEnd;
    private bool _ended;

    public LsmEnlistment(Transaction transaction, LsmStore store, bool sync, Action<LsmEnlistment> onEnd)
    {
        Transaction = transaction;
        _onEnd = onEnd;
        LsmTransaction = new LsmTransaction(store, sync, static _ => { });
    }

    /// <summary>The System.Transactions transaction this enlistment belongs to.</summary>
    public Transaction Transaction { get; }

    /// <summary>The transaction that stages the context's saves and serves its reads while the scope is open.</summary>
    public LsmTransaction LsmTransaction { get; }

    /// <summary>Whether the transaction has ended (committed, rolled back or aborted); its writes are then gone or durable.</summary>
    public bool Ended
    {
        get
        {
            lock (_lock)
            {
                return _ended;
            }
        }
    }

    /// <summary>Stages one save's writes. Serialized with the outcome, which may arrive on another thread (a timeout).</summary>
    public void Stage(IReadOnlyList<Update.Internal.RowWrite> writes)
    {
        lock (_lock)
        {
            if (_ended)
            {
                throw new TransactionException(
                    "The ambient transaction this context saved in has already ended; a save cannot join it any more.");
            }

            LsmTransaction.Stage(writes);
        }
    }

    public void SinglePhaseCommit(SinglePhaseEnlistment singlePhaseEnlistment)
    {
        try
        {
            lock (_lock)
            {
                LsmTransaction.Commit();
            }

            End();
            singlePhaseEnlistment.Committed();
        }
#pragma warning disable CA1031 // Whatever the commit raised aborts the scope and reaches its Dispose as the inner exception.
        catch (Exception e)
#pragma warning restore CA1031
        {
            End();
            singlePhaseEnlistment.Aborted(e);
        }
    }

    public void Prepare(PreparingEnlistment preparingEnlistment)
    {
        bool readOnly;
        lock (_lock)
        {
            readOnly = LsmTransaction.StagedCount == 0;
        }

        // Either way this enlistment is finished: a vote of Done or ForceRollback gets no further notification.
        End();
        if (readOnly)
        {
            // Nothing to write: a read-only participant needs neither the commit nor the rollback.
            preparingEnlistment.Done();
            return;
        }

        preparingEnlistment.ForceRollback(new NotSupportedException(
            "EFCore.Lsm cannot take part in a two-phase commit: the transaction has another participant besides this EFCore.Lsm "
            + "context (another database or resource), and the embedded engine cannot prepare a write it might still have to "
            + "undo. The whole transaction was rolled back; keep a TransactionScope that saves to EFCore.Lsm free of other "
            + "resources."));
    }

    // Only an enlistment that voted Prepared gets Commit; this one never does, so there is nothing to make durable here.
    public void Commit(Enlistment enlistment)
    {
        End();
        enlistment.Done();
    }

    public void Rollback(Enlistment enlistment)
    {
        lock (_lock)
        {
            LsmTransaction.Rollback();
        }

        End();
        enlistment.Done();
    }

    public void InDoubt(Enlistment enlistment) => Rollback(enlistment);

    private void End()
    {
        lock (_lock)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            LsmTransaction.Dispose();
        }

        _onEnd(this);
    }
}

/// <summary>
/// Which System.Transactions transactions an EFCore.Lsm context writes in, process-wide: one context per transaction,
/// because two would make the transaction two-phase, which the engine cannot take part in (see <see cref="LsmEnlistment"/>).
/// <see cref="Transaction"/> compares by the underlying transaction, so a nested scope's clone finds its root's entry.
/// </summary>
internal static class EnlistmentRegistry
{
    private static readonly Dictionary<Transaction, LsmEnlistment> Enlisted = [];
    private static readonly Lock Gate = new();

    public static void Add(LsmEnlistment enlistment)
    {
        lock (Gate)
        {
            if (!Enlisted.TryAdd(enlistment.Transaction, enlistment))
            {
                throw new InvalidOperationException(
                    "Another EFCore.Lsm context already saves in this TransactionScope. The embedded engine commits a scope only "
                    + "as its single participant, so one scope can hold the saves of one EFCore.Lsm context: save through that "
                    + "context, or give each context its own scope.");
            }
        }
    }

    public static void Remove(LsmEnlistment enlistment)
    {
        lock (Gate)
        {
            if (Enlisted.TryGetValue(enlistment.Transaction, out var current) && ReferenceEquals(current, enlistment))
            {
                Enlisted.Remove(enlistment.Transaction);
            }
        }
    }
}

/// <summary>
/// The ambient (and explicitly enlisted) transactions of one context (owned by its <see cref="LsmDatabaseWrapper"/>): finds
/// or creates the enlistment a save belongs to, and refuses what it cannot honour, so a <c>TransactionScope</c> is never
/// silently ignored. Follows what EF's relational providers do with an enlisting connection: the ambient transaction is
/// <see cref="Transaction.Current"/> unless <c>Database.EnlistTransaction</c> named one; a context used in a transaction
/// that is still open cannot save outside it.
/// </summary>
internal sealed class LsmEnlistments
{
    private readonly List<LsmEnlistment> _active = [];
    private readonly Lock _lock = new();

    /// <summary>The transaction named by <c>Database.EnlistTransaction</c>; it wins over <see cref="Transaction.Current"/>.</summary>
    public Transaction? Explicit { get; set; }

    /// <summary>The transaction saves and queries of the context take part in now, if any.</summary>
    public static Transaction? Ambient(Transaction? explicitTransaction) => explicitTransaction ?? Transaction.Current;

    /// <summary>
    /// The enlistment of the context in the current ambient transaction, or null when there is none; created (and enlisted)
    /// when <paramref name="create"/>. Throws when the context is still part of an open transaction that is not the
    /// current one's ambient (a save after an <c>await</c> in a scope created without
    /// <see cref="TransactionScopeAsyncFlowOption.Enabled"/>, or inside a <see cref="TransactionScopeOption.Suppress"/> scope).
    /// </summary>
    public LsmEnlistment? Find(Func<LsmStore> store, bool sync, bool create, Action<Transaction>? enlisted = null)
    {
        var ambient = Ambient(Explicit);
        lock (_lock)
        {
            _active.RemoveAll(e => e.Ended);
            if (ambient is null)
            {
                if (create && _active.Count > 0)
                {
                    throw new InvalidOperationException(
                        "This context saved in a TransactionScope that is still open, and this save runs outside it (in a "
                        + "Suppress scope, or after an await in a scope created without TransactionScopeAsyncFlowOption.Enabled). "
                        + "Complete or dispose that scope first, or create it with TransactionScopeAsyncFlowOption.Enabled.");
                }

                return null;
            }

            foreach (var enlistment in _active)
            {
                if (enlistment.Transaction.Equals(ambient))
                {
                    return enlistment;
                }
            }

            if (!create)
            {
                return null;
            }

            if (ambient.TransactionInformation.Status != TransactionStatus.Active)
            {
                throw new TransactionException(
                    $"The ambient transaction is {ambient.TransactionInformation.Status.ToString().ToLowerInvariant()}; a save cannot join it.");
            }

            var created = new LsmEnlistment(ambient, store(), sync, Ended);
            EnlistmentRegistry.Add(created);
            try
            {
                ambient.EnlistVolatile(created, EnlistmentOptions.None);
            }
            catch
            {
                EnlistmentRegistry.Remove(created);
                created.LsmTransaction.Dispose();
                throw;
            }

            _active.Add(created);
            enlisted?.Invoke(ambient);
            return created;
        }
    }

    private void Ended(LsmEnlistment enlistment)
    {
        EnlistmentRegistry.Remove(enlistment);
        lock (_lock)
        {
            _active.Remove(enlistment);
        }
    }
}
