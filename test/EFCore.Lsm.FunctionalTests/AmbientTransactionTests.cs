using System.Transactions;
using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests;

/// <summary>
/// <c>System.Transactions</c>: a context's saves inside a <c>TransactionScope</c> are staged in its enlistment and committed
/// (as one batch) only when the scope completes; what cannot be honoured is refused, never ignored.
/// </summary>
public sealed class AmbientTransactionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_scope_that_completes_commits_its_saves()
    {
        using var context = TestContext.Create(_temp.Db());
        using var observer = TestContext.Create(_temp.Db());
        using (var scope = new TransactionScope())
        {
            context.Add(new Tag { Id = "a", Note = "1" });
            context.SaveChanges();
            context.Add(new Tag { Id = "b" });
            context.SaveChanges();

            // Staged until the scope commits: others do not see it; the context itself does (queries and Find).
            Assert.Empty(StorageReader.Scan<Tag>(observer));
            Assert.Equal(["a", "b"], context.Tags.AsNoTracking().OrderBy(t => t.Id).Select(t => t.Id).ToList());
            scope.Complete();
        }

        Assert.Equal(["a", "b"], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void A_scope_disposed_without_complete_writes_nothing()
    {
        // Regression: the scope was ignored, so this save was committed at SaveChanges.
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "kept", Note = "v1" });
        context.SaveChanges();

        using (new TransactionScope())
        {
            context.Tags.Single(t => t.Id == "kept").Note = "v2";
            context.Add(new Tag { Id = "dropped" });
            context.SaveChanges();
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal("v1", StorageReader.Row<Tag>(observer, "kept")!["Note"]);
        Assert.Null(StorageReader.Row<Tag>(observer, "dropped"));

        // The context is usable again outside the scope, and saves commit directly.
        context.Add(new Tag { Id = "after" });
        context.SaveChanges();
        Assert.NotNull(StorageReader.Row<Tag>(observer, "after"));
    }

    [Fact]
    public void Nested_required_scopes_commit_only_when_the_outer_one_completes()
    {
        using var context = TestContext.Create(_temp.Db());
        using (new TransactionScope())
        {
            using (var inner = new TransactionScope(TransactionScopeOption.Required))
            {
                context.Add(new Tag { Id = "inner" });
                context.SaveChanges();
                inner.Complete();
            }

            context.Add(new Tag { Id = "outer" });
            context.SaveChanges();

            // The outer scope does not complete.
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Empty(StorageReader.Scan<Tag>(observer));
    }

    [Fact]
    public void An_inner_scope_that_does_not_complete_aborts_the_outer_one()
    {
        using var context = TestContext.Create(_temp.Db());
        var outer = new TransactionScope();
        using (new TransactionScope(TransactionScopeOption.Required))
        {
            context.Add(new Tag { Id = "inner" });
            context.SaveChanges();
        }

        // The transaction is aborted: a later save cannot join it, and completing the outer scope fails.
        context.Add(new Tag { Id = "outer" });
        Assert.ThrowsAny<TransactionException>(() => context.SaveChanges());
        outer.Complete();
        Assert.Throws<TransactionAbortedException>(outer.Dispose);

        using var observer = TestContext.Create(_temp.Db());
        Assert.Empty(StorageReader.Scan<Tag>(observer));
    }

    [Fact]
    public void A_requires_new_scope_commits_on_its_own()
    {
        using var context = TestContext.Create(_temp.Db());
        using (new TransactionScope())
        {
            context.Add(new Tag { Id = "outer" });
            context.SaveChanges();
            using (var inner = new TransactionScope(TransactionScopeOption.RequiresNew))
            {
                context.Add(new Tag { Id = "independent" });
                context.SaveChanges();
                inner.Complete();
            }

            // The outer scope does not complete.
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal(["independent"], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void A_suppress_scope_saves_directly_but_not_for_a_context_still_in_the_outer_scope()
    {
        using var enlisted = TestContext.Create(_temp.Db());
        using var other = TestContext.Create(_temp.Db());
        using (new TransactionScope())
        {
            enlisted.Add(new Tag { Id = "staged" });
            enlisted.SaveChanges();
            using (var suppress = new TransactionScope(TransactionScopeOption.Suppress))
            {
                other.Add(new Tag { Id = "direct" });
                other.SaveChanges();

                enlisted.Add(new Tag { Id = "refused" });
                var error = Assert.Throws<InvalidOperationException>(() => enlisted.SaveChanges());
                Assert.Contains("still open", error.Message);
                suppress.Complete();
            }
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal(["direct"], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_async_flow_scope_carries_saves_across_awaits(bool complete)
    {
        using var context = TestContext.Create(_temp.Db());
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await Task.Yield();
            context.Add(new Tag { Id = "a" });
            await context.SaveChangesAsync();
            await Task.Run(async () =>
            {
                context.Add(new Tag { Id = "b" });
                await context.SaveChangesAsync();
            });
            Assert.Equal(2, await context.Tags.CountAsync());
            if (complete)
            {
                scope.Complete();
            }
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal(complete ? ["a", "b"] : [], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void A_save_on_a_thread_the_scope_did_not_flow_to_is_refused()
    {
        using var context = TestContext.Create(_temp.Db());
        using (new TransactionScope())
        {
            context.Add(new Tag { Id = "a" });
            context.SaveChanges();

            // Without TransactionScopeAsyncFlowOption.Enabled the ambient transaction stays on this thread.
            InvalidOperationException? error = null;
            var thread = new Thread(() =>
            {
                context.Add(new Tag { Id = "b" });
                error = Assert.Throws<InvalidOperationException>(() => context.SaveChanges());
            });
            thread.Start();
            thread.Join();
            Assert.NotNull(error);
            Assert.Contains("TransactionScopeAsyncFlowOption.Enabled", error!.Message);
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Empty(StorageReader.Scan<Tag>(observer));
    }

    [Fact]
    public void A_conflicting_commit_aborts_the_scope_and_writes_nothing()
    {
        using (var seed = TestContext.Create(_temp.Db()))
        {
            seed.Add(new Tag { Id = "contended", Note = "v1" });
            seed.SaveChanges();
        }

        using var context = TestContext.Create(_temp.Db());
        using var rival = TestContext.Create(_temp.Db());
        var scope = new TransactionScope();
        context.Tags.Single(t => t.Id == "contended").Note = "scope";
        context.Add(new Tag { Id = "new" });
        context.SaveChanges();

        using (new TransactionScope(TransactionScopeOption.Suppress))
        {
            rival.Tags.Single(t => t.Id == "contended").Note = "rival";
            rival.SaveChanges();
        }

        scope.Complete();
        var aborted = Assert.Throws<TransactionAbortedException>(scope.Dispose);
        Assert.IsType<DbUpdateConcurrencyException>(aborted.InnerException);

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal("rival", StorageReader.Row<Tag>(observer, "contended")!["Note"]);
        Assert.Null(StorageReader.Row<Tag>(observer, "new"));
    }

    [Fact]
    public void A_second_context_saving_in_the_same_scope_is_refused_at_its_first_save()
    {
        using var first = TestContext.Create(_temp.Db());
        using var second = TestContext.Create(_temp.Db());
        using (var scope = new TransactionScope())
        {
            first.Add(new Tag { Id = "first" });
            first.SaveChanges();

            second.Add(new Tag { Id = "second" });
            var error = Assert.Throws<InvalidOperationException>(() => second.SaveChanges());
            Assert.Contains("Another EFCore.Lsm context already saves in this TransactionScope", error.Message);
            scope.Complete();
        }

        using var observer = TestContext.Create(_temp.Db());
        Assert.Equal(["first"], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void A_scope_with_another_resource_is_rolled_back_rather_than_committed_in_part()
    {
        using var context = TestContext.Create(_temp.Db());
        var other = new RecordingResource();
        var scope = new TransactionScope();
        Transaction.Current!.EnlistVolatile(other, EnlistmentOptions.None);
        context.Add(new Tag { Id = "a" });
        context.SaveChanges();
        scope.Complete();

        var aborted = Assert.Throws<TransactionAbortedException>(scope.Dispose);
        Assert.IsType<NotSupportedException>(aborted.InnerException);
        Assert.Contains("two-phase commit", aborted.InnerException!.Message);
        Assert.Equal("rolled back", other.Outcome);

        using var observer = TestContext.Create(_temp.Db());
        Assert.Empty(StorageReader.Scan<Tag>(observer));
    }

    [Fact]
    public void A_context_that_only_reads_in_a_two_phase_scope_lets_it_commit()
    {
        using var context = TestContext.Create(_temp.Db());
        var other = new RecordingResource();
        using (var scope = new TransactionScope())
        {
            Transaction.Current!.EnlistVolatile(other, EnlistmentOptions.None);
            Assert.Empty(context.Tags.ToList());
            scope.Complete();
        }

        Assert.Equal("committed", other.Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_explicitly_enlisted_transaction_decides_the_outcome(bool commit)
    {
        using var context = TestContext.Create(_temp.Db());
        using var transaction = new CommittableTransaction();
        context.Database.EnlistTransaction(transaction);
        Assert.Same(transaction, context.Database.GetEnlistedTransaction());

        context.Add(new Tag { Id = "a" });
        context.SaveChanges();
        using var observer = TestContext.Create(_temp.Db());
        Assert.Null(StorageReader.Row<Tag>(observer, "a"));

        if (commit)
        {
            transaction.Commit();
        }
        else
        {
            transaction.Rollback();
        }

        context.Database.EnlistTransaction(null);
        Assert.Equal(commit, StorageReader.Row<Tag>(observer, "a") is not null);
    }

    [Fact]
    public void BeginTransaction_inside_a_scope_is_refused()
    {
        using var context = TestContext.Create(_temp.Db());
        using (new TransactionScope())
        {
            var error = Assert.Throws<InvalidOperationException>(() => context.Database.BeginTransaction());
            Assert.Contains("ambient transaction", error.Message);
        }
    }

    [Fact]
    public void A_scope_around_an_explicit_transaction_is_refused_at_the_save()
    {
        using var context = TestContext.Create(_temp.Db());
        using var transaction = context.Database.BeginTransaction();
        using (new TransactionScope())
        {
            context.Add(new Tag { Id = "a" });
            var error = Assert.Throws<InvalidOperationException>(() => context.SaveChanges());
            Assert.Contains("cannot tell which one", error.Message);
        }
    }

    [Fact]
    public void Joining_a_scope_is_logged_as_TransactionEnlisted()
    {
        var lines = new List<string>();
        using var context = TestContext.Create(_temp.Db(), b => b.LogTo(
            lines.Add, [LsmEventId.TransactionEnlisted], LogLevel.Debug, DbContextLoggerOptions.None));
        using (var scope = new TransactionScope())
        {
            context.Add(new Tag { Id = "a" });
            context.SaveChanges();
            context.Add(new Tag { Id = "b" });
            context.SaveChanges();
            scope.Complete();
        }

        var line = Assert.Single(lines);
        Assert.StartsWith("Enlisted in the ambient transaction ", line.Trim());
        // The store's own description: a folder for the embedded engine, the endpoints and prefix for a cluster.
        var store = ((IInfrastructure<IServiceProvider>)context).Instance.GetRequiredService<IDatabase>();
        Assert.Contains(((LsmDatabaseWrapper)store).Store.KeyValueStore.Description, line);
    }

    /// <summary>A second participant in a transaction (a stand-in for another database), which records the outcome.</summary>
    private sealed class RecordingResource : IEnlistmentNotification
    {
        public string Outcome { get; private set; } = "none";

        public void Prepare(PreparingEnlistment preparingEnlistment) => preparingEnlistment.Prepared();

        public void Commit(Enlistment enlistment)
        {
            Outcome = "committed";
            enlistment.Done();
        }

        public void Rollback(Enlistment enlistment)
        {
            Outcome = "rolled back";
            enlistment.Done();
        }

        public void InDoubt(Enlistment enlistment) => enlistment.Done();
    }
}
