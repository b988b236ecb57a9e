using System.Reflection;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Query.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Runs a compiled <c>ExecuteDelete</c> (no setters) or <c>ExecuteUpdate</c> (docs/bulk_operations.md): the query's rows are
/// read at one view, turned into row writes that each require their row unchanged since that view, and committed as one
/// conditional batch with their index entries and the delete behaviours of their dependents — the same plan a
/// <c>SaveChanges</c> builds (<see cref="LsmSavePlan"/>). When another writer changed a selected row (or a dependents'
/// range) meanwhile, the query runs again at a newer view, so the result is that of the statement run alone at its commit.
/// A store with batch limits (<see cref="LsmStoreLimits"/>) gets bounded chunks instead of one batch; inside a transaction
/// the writes are staged in it. Returns the number of rows the query selected (rows reached by cascades are not counted).
/// </summary>
/// <param name="entityType">The entity type the query yields.</param>
/// <param name="rows">
/// The compiled query: per selected entity its primary key values (the first <paramref name="keyCount"/>), then the new
/// value of each of <paramref name="setProperties"/>.
/// </param>
/// <param name="keyCount">How many primary key parts each row starts with.</param>
/// <param name="setProperties">The properties an update sets; empty for a delete.</param>
internal sealed class LsmBulkOperation(
    IEntityType entityType, Func<QueryContext, IEnumerable<object[]>> rows, int keyCount, IReadOnlyList<IProperty> setProperties)
{
    public static readonly MethodInfo ExecuteMethod = typeof(LsmBulkOperation).GetMethod(nameof(Execute))!;

    public static readonly MethodInfo ExecuteAsyncMethod = typeof(LsmBulkOperation).GetMethod(nameof(ExecuteAsync))!;

    public static int Execute(QueryContext queryContext, LsmBulkOperation operation) => operation.Run((LsmQueryContext)queryContext);

    public static Task<int> ExecuteAsync(QueryContext queryContext, LsmBulkOperation operation)
    {
        // The embedded store's write path is synchronous (the group-commit leader does the fsync on the caller's thread).
        queryContext.CancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Execute(queryContext, operation));
    }

    private bool IsDelete => setProperties.Count == 0;

    private string Name => IsDelete ? "ExecuteDelete" : "ExecuteUpdate";

    private int Run(LsmQueryContext context)
    {
        var database = context.Database;
        var connection = database.Connection;
        var store = database.Store;
        var mapping = store.GetMappingForWrite(entityType, connection.SyncWrites);
        var limits = store.KeyValueStore.Limits;
        using var scratch = new PooledByteBufferWriter();

        // Rows an earlier chunk already wrote: a query run again after a conflict must not select them a second time
        // (an ExecuteUpdate such as Balance = Balance + 1 would otherwise apply twice).
        var done = new HashSet<byte[]>(ByteArrayEqualityComparer.Instance);

        // Inside a TransactionScope the statement belongs to the context's enlistment: joined before the rows are read, so
        // they are read at its view and staged in it, as a save there is (a scope that does not complete writes nothing).
        var staged = database.CurrentTransaction is not null || database.Enlist() is not null;

        // A delete that commits on its own writes its batch directly (LsmBulkDelete); one staged in a transaction is planned
        // there with the transaction's other writes.
        using var lean = IsDelete && !staged ? LsmBulkDelete.For(mapping, connection.EnforceForeignKeys) : null;
        var count = 0;
        for (var attempt = 1; ; attempt++)
        {
            var view = context.AcquireView();
            try
            {
                List<RowWrite> writes;
                int written;
                Exception? failure;
                if (lean is not null && lean.TryBuild(view, rows(context), keyCount, done))
                {
                    (written, failure) = lean.Commit(store.KeyValueStore, view, connection.SyncWrites, done, e => TooLarge(store.KeyValueStore, e));
                    count += written;
                    if (failure is null)
                    {
                        return count;
                    }

                    if (attempt >= LsmSaveCommitter.MaxAttempts)
                    {
                        throw failure;
                    }

                    continue;
                }

                // The rows' dependents must be cascaded to, set null or refused: the same rows are planned as a save.
                writes = lean is not null ? lean.Writes(view) : Select(context, mapping, view, done, scratch, limits);
                if (database.TryStage(writes))
                {
                    return writes.Count;
                }

                (written, failure) = CommitInChunks(
                    store, writes, view, scratch, limits, connection.SyncWrites, connection.EnforceForeignKeys, done, lean?.Swept);
                count += written;
                if (failure is null)
                {
                    return count;
                }

                if (attempt >= LsmSaveCommitter.MaxAttempts)
                {
                    throw failure;
                }
            }
            finally
            {
                context.ReleaseView();
            }
        }
    }

    /// <summary>
    /// The row writes for the rows the query yields at <paramref name="view"/>, except those in <paramref name="done"/>: each
    /// row as the view has it, deleted or with the set properties (and its row versions) replaced, every other property
    /// kept as stored.
    /// </summary>
    private List<RowWrite> Select(
        LsmQueryContext context,
        LsmEntityMapping mapping,
        ILsmReadView view,
        HashSet<byte[]> done,
        PooledByteBufferWriter scratch,
        LsmStoreLimits limits)
    {
        var writes = new List<RowWrite>();
        var selected = new HashSet<byte[]>(ByteArrayEqualityComparer.Instance);
        var cause = IsDelete ? null : "that ExecuteUpdate changes";
        var set = setProperties.Select(mapping.Property).ToArray();
        foreach (var row in rows(context))
        {
            var key = mapping.EncodeKey(row.AsSpan(0, keyCount));

            // A query that joins can yield an entity more than once; it is changed once.
            if (done.Contains(key) || !selected.Add(key) || view.Get(key) is not { } old)
            {
                continue;
            }

            byte[]? value = null;
            if (!IsDelete)
            {
                var changes = new List<(LsmEntityMapping.PropertyMapping, object?)>(set.Length + 1);
                for (var i = 0; i < set.Length; i++)
                {
                    changes.Add((set[i], row[keyCount + i]));
                }

                foreach (var rowVersion in mapping.RowVersionsIn(old))
                {
                    if (Array.IndexOf(set, rowVersion) < 0)
                    {
                        changes.Add((rowVersion, RowWriteBuilder.NewRowVersion()));
                    }
                }

                try
                {
                    value = mapping.RewriteRow(old, changes, scratch);
                }
                catch (LsmInvalidEntityException e)
                {
                    throw new DbUpdateException(e.Message, e);
                }

                if (value.Length > limits.MaxValueBytes)
                {
                    throw new DbUpdateException(
                        $"ExecuteUpdate cannot change a '{mapping.EntityType.DisplayName()}' row: the new row is {value.Length} bytes, over "
                        + $"the {limits.MaxValueBytes}-byte limit of the store.");
                }
            }

            writes.Add(new RowWrite(key, value, RowCheck.ReadAtView, entry: null, mapping)
            {
                OldValue = old,
                SinceVersion = view.Version,
                Cause = cause,
            });
        }

        return writes;
    }

    /// <summary>
    /// Commits <paramref name="writes"/> in one batch, or, when the store limits batches and they do not fit, in chunks of
    /// whole rows in query order — each row with its index entries and everything its delete cascades to — each chunk as
    /// large as fits. Returns the rows committed, and the exception to raise when a chunk's rows changed since the view
    /// (the caller then selects again at a newer view; the rows committed are in <paramref name="done"/>).
    /// </summary>
    private (int Written, Exception? Failure) CommitInChunks(
        LsmStore store,
        List<RowWrite> writes,
        ILsmReadView view,
        PooledByteBufferWriter scratch,
        LsmStoreLimits limits,
        bool sync,
        bool enforceForeignKeys,
        HashSet<byte[]> done,
        LsmDependentSweep.Results? swept)
    {
        var written = 0;
        var remaining = writes;
        while (remaining.Count > 0)
        {
            var take = remaining.Count;
            var plan = LsmSaveCommitter.Plan(remaining, view, scratch, enforceForeignKeys, swept: swept);
            while (!Fits(plan.Batch, limits) && take > 1)
            {
                take = Math.Max(1, take / 2);
                plan = LsmSaveCommitter.Plan(remaining[..take], view, scratch, enforceForeignKeys, swept: swept);
            }

            var chunk = remaining[..take];
            bool committed;
            Exception? failure;
            try
            {
                committed = LsmSaveCommitter.TryCommit(store, plan, chunk, sync, out failure);
            }
            catch (LsmBatchTooLargeException e)
            {
                throw TooLarge(store.KeyValueStore, e);
            }

            if (!committed)
            {
                return (written, failure);
            }

            foreach (var write in chunk)
            {
                done.Add(write.Key);
            }

            written += chunk.Count;
            remaining = remaining[take..];
        }

        return (written, null);
    }

    /// <summary>A single row whose batch exceeds the store's limit (docs/bulk_operations.md, "Batch limits").</summary>
    private DbUpdateException TooLarge(ILsmKeyValueStore store, LsmBatchTooLargeException e) =>
        new(
            $"{Name} cannot change a '{entityType.DisplayName()}' row: the row with its index entries and the rows its delete "
            + $"reaches is more than one batch of {store.Description} may hold ({e.Message}).",
            e);

    private static bool Fits(LsmConditionalBatch batch, LsmStoreLimits limits) =>
        (limits.MaxOperations is not { } operations || batch.Operations.Count + batch.Conditions.Count <= operations)
        && (limits.MaxBytes is not { } bytes || batch.ApproximateSize <= bytes);
}
