using System.Linq.Expressions;
using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Update.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// EF's <see cref="IDatabase"/> over the shared store (scoped: one per context). <c>SaveChanges</c> validates every
/// entry, then commits them as one conditional batch (<see cref="LsmSaveCommitter"/>); inside a transaction it stages
/// them in the transaction instead, and inside an ambient <c>System.Transactions</c> transaction in the context's
/// enlistment in it (<see cref="LsmEnlistments"/>). Also what the query pipeline reads through: <see cref="GetMapping"/> and
/// <see cref="OpenView"/>, which sees a transaction's view and its own writes.
/// </summary>
internal sealed class LsmDatabaseWrapper(
    LsmStoreConnection connection,
    IQueryCompilationContextFactory queryCompilationContextFactory,
    IDiagnosticsLogger<DbLoggerCategory.Model> modelLogger,
    IDiagnosticsLogger<DbLoggerCategory.Database.Transaction> transactionLogger,
    ICurrentDbContext currentContext)
    : IDatabase
{
    private bool _driftReported;

    /// <summary>The transaction saves go to, set by the transaction manager.</summary>
    public LsmTransaction? CurrentTransaction { get; set; }

    /// <summary>The ambient transactions the context takes part in.</summary>
    public LsmEnlistments Enlistments { get; } = new();

    public LsmStoreConnection Connection => connection;

    public LsmStore Store => connection.Store;

    public int SaveChanges(IList<IUpdateEntry> entries)
    {
        if (entries.Count > 0)
        {
            ReportDrift(entries[0].EntityType.Model);
        }

        var writes = RowWriteBuilder.Build(entries, Store, connection.SyncWrites);
        if (!TryStage(writes))
        {
            LsmSaveCommitter.Commit(Store, writes, connection.SyncWrites, connection.EnforceForeignKeys);
        }

        return entries.Count;
    }

    /// <summary>
    /// Stages <paramref name="writes"/> in the transaction the context's writes belong to now — one begun with
    /// <c>BeginTransaction</c>, or its enlistment in the ambient transaction (created at the first write) — and returns
    /// true; false when there is none and the caller commits them itself. Used by saves and by ExecuteUpdate/ExecuteDelete.
    /// </summary>
    public bool TryStage(IReadOnlyList<RowWrite> writes)
    {
        if (CurrentTransaction is { } transaction)
        {
            if (LsmEnlistments.Ambient(Enlistments.Explicit) is not null)
            {
                // Which of the two the save belongs to is the caller's intent, which the provider cannot guess.
                throw new InvalidOperationException(
                    "The context has a transaction begun with BeginTransaction and an ambient transaction (a TransactionScope or "
                    + "Database.EnlistTransaction) at the same time; EFCore.Lsm cannot tell which one this save belongs to. End "
                    + "one of them first.");
            }

            transaction.Stage(writes);
            return true;
        }

        if (Enlist() is { } enlistment)
        {
            enlistment.Stage(writes);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The context's enlistment in the ambient transaction, created (and enlisted) now if there is an ambient transaction
    /// and none yet; null when there is no ambient transaction. An ExecuteUpdate/ExecuteDelete calls it before it reads, so
    /// it reads at the enlistment's view, the one its writes are staged against.
    /// </summary>
    public LsmEnlistment? Enlist() =>
        Enlistments.Find(() => Store, connection.SyncWrites, connection.EnforceForeignKeys, create: true, OnEnlisted);

    public Task<int> SaveChangesAsync(IList<IUpdateEntry> entries, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The embedded store's write path is synchronous (the group-commit leader does the fsync on the caller's thread),
        // so the async form does the same work.
        return Task.FromResult(SaveChanges(entries));
    }

    public Func<QueryContext, TResult> CompileQuery<TResult>(Expression query, bool async) =>
        queryCompilationContextFactory.Create(async).CreateQueryExecutor<TResult>(query);

    // EF calls this for precompiled queries only; it is part of IDatabase, so the provider passes it through.
#pragma warning disable EF9100
    public Expression<Func<QueryContext, TResult>> CompileQueryExpression<TResult>(Expression query, bool async) =>
        queryCompilationContextFactory.Create(async).CreateQueryExecutorExpression<TResult>(query);
#pragma warning restore EF9100

    /// <summary>
    /// The storage mapping of <paramref name="entityType"/> for reading (writes nothing; see <see cref="LsmStore.GetMappingForRead"/>).
    /// </summary>
    public LsmEntityMapping GetMapping(IEntityType entityType)
    {
        ReportDrift(entityType.Model);
        return Store.GetMappingForRead(entityType);
    }

    /// <summary>
    /// Logs the schema drift between the database and the model (a warning per difference), once per open store and model:
    /// the first context that reads or writes through the model reports it.
    /// </summary>
    public void ReportDrift(IModel model)
    {
        if (_driftReported)
        {
            return;
        }

        _driftReported = true;
        // Drift is recorded per context type (docs/catalog.md, "Drift records"): contexts of different types may share one
        // database with different entity types, and each sees the others' types as not in its model.
        var contextName = currentContext.Context.GetType().FullName ?? currentContext.Context.GetType().Name;
        foreach (var difference in Store.TakeUnreportedDrift(model, contextName))
        {
            modelLogger.SchemaDrift(difference);
        }
    }

    /// <summary>
    /// A consistent view for one query: the current transaction's (with its own writes merged in), or a new view of the
    /// store. The caller disposes it.
    /// </summary>
    public ILsmReadView OpenView() =>
        CurrentTransaction?.OpenQueryView()
        ?? Enlistments.Find(() => Store, connection.SyncWrites, connection.EnforceForeignKeys, create: false)?.LsmTransaction.OpenQueryView()
        ?? Store.KeyValueStore.OpenView();

    private void OnEnlisted(System.Transactions.Transaction transaction) =>
        transactionLogger.TransactionEnlisted(transaction, Store.KeyValueStore.Description);
}
