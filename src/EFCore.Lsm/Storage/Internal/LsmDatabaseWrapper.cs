using System.Linq.Expressions;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Update.Internal;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// EF's <see cref="IDatabase"/> over the shared store (scoped: one per context). <c>SaveChanges</c> validates every
/// entry, then checks and writes them as one batch under the store's commit lock; inside a transaction it accumulates
/// in the transaction instead. Also the read seam the query pipeline builds on: <see cref="GetMapping"/>,
/// <see cref="BeginRead"/> and <see cref="TryGetRow"/>, which see a transaction's snapshot and its own writes.
/// </summary>
internal sealed class LsmDatabaseWrapper(LsmStoreConnection connection, IQueryCompilationContextFactory queryCompilationContextFactory)
    : IDatabase
{
    /// <summary>The transaction saves go to, set by the transaction manager.</summary>
    public LsmTransaction? CurrentTransaction { get; set; }

    public LsmStoreConnection Connection => connection;

    public LsmStore Store => connection.Store;

    public int SaveChanges(IList<IUpdateEntry> entries)
    {
        var writes = RowWriteBuilder.Build(entries, Store, connection.SyncWrites);
        if (CurrentTransaction is { } transaction)
        {
            transaction.Stage(writes);
        }
        else
        {
            Store.Commit(writes, connection.SyncWrites);
        }

        return entries.Count;
    }

    public Task<int> SaveChangesAsync(IList<IUpdateEntry> entries, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The engine's write path is synchronous (the group-commit leader does the fsync on the caller's thread), so the
        // async form does the same work; there is no I/O to await.
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
    public LsmEntityMapping GetMapping(IEntityType entityType) => Store.GetMappingForRead(entityType);

    /// <summary>
    /// A snapshot to read at: the current transaction's (owned by it: do not dispose), or a new one the caller disposes.
    /// </summary>
    public Snapshot BeginRead(out bool callerOwnsSnapshot)
    {
        if (CurrentTransaction is { } transaction)
        {
            callerOwnsSnapshot = false;
            return transaction.Snapshot;
        }

        callerOwnsSnapshot = true;
        return Store.Engine.GetSnapshot();
    }

    /// <summary>The stored row value under <paramref name="key"/> as this context sees it (null: no row).</summary>
    public byte[]? TryGetRow(byte[] key) =>
        CurrentTransaction is { } transaction ? transaction.Read(key) : Store.Engine.Get(key);
}
