using System.Transactions;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Begins and ends <see cref="LsmTransaction"/>s for one context (scoped); one transaction at a time. Also the context's
/// <see cref="ITransactionEnlistmentManager"/> (<c>Database.EnlistTransaction</c>); ambient transactions themselves are
/// joined at the first save in them (<see cref="LsmEnlistments"/>).
/// </summary>
internal sealed class LsmTransactionManager(IDatabase database) : IDbContextTransactionManager, ITransactionEnlistmentManager
{
    private readonly LsmDatabaseWrapper _database = (LsmDatabaseWrapper)database;

    public IDbContextTransaction? CurrentTransaction => _database.CurrentTransaction;

    public Transaction? EnlistedTransaction => _database.Enlistments.Explicit;

    public void EnlistTransaction(Transaction? transaction) => _database.Enlistments.Explicit = transaction;

    public IDbContextTransaction BeginTransaction()
    {
        if (_database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                "The context already has a transaction; EFCore.Lsm does not nest transactions. Commit or roll back the current one first.");
        }

        if (LsmEnlistments.Ambient(_database.Enlistments.Explicit) is not null)
        {
            // As EF's relational providers refuse it: the ambient transaction must complete before another one starts.
            throw new InvalidOperationException(
                "An ambient transaction (a TransactionScope or Database.EnlistTransaction) is active; complete it before "
                + "beginning a transaction on this context, or save inside the ambient transaction instead.");
        }

        var transaction = new LsmTransaction(_database.Store, _database.Connection.SyncWrites, Ended);
        _database.CurrentTransaction = transaction;
        return transaction;
    }

    public Task<IDbContextTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(BeginTransaction());
    }

    public void CommitTransaction() => Current().Commit();

    public Task CommitTransactionAsync(CancellationToken cancellationToken = default) => Current().CommitAsync(cancellationToken);

    public void RollbackTransaction() => Current().Rollback();

    public Task RollbackTransactionAsync(CancellationToken cancellationToken = default) => Current().RollbackAsync(cancellationToken);

    public void ResetState() => _database.CurrentTransaction?.Dispose();

    public Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        ResetState();
        return Task.CompletedTask;
    }

    private LsmTransaction Current() =>
        _database.CurrentTransaction ?? throw new InvalidOperationException("The context has no transaction to end.");

    private void Ended(LsmTransaction transaction)
    {
        if (ReferenceEquals(_database.CurrentTransaction, transaction))
        {
            _database.CurrentTransaction = null;
        }
    }
}
