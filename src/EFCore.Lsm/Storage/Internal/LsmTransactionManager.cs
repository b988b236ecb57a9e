using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>Begins and ends <see cref="LsmTransaction"/>s for one context (scoped); one transaction at a time.</summary>
internal sealed class LsmTransactionManager(IDatabase database) : IDbContextTransactionManager
{
    private readonly LsmDatabaseWrapper _database = (LsmDatabaseWrapper)database;

    public IDbContextTransaction? CurrentTransaction => _database.CurrentTransaction;

    public IDbContextTransaction BeginTransaction()
    {
        if (_database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException(
                "The context already has a transaction; EFCore.Lsm does not nest transactions. Commit or roll back the current one first.");
        }

        var transaction = new LsmTransaction(
            _database.Store, _database.Connection.SyncWrites, _database.Connection.EnforceForeignKeys, Ended);
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
