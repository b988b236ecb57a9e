using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests;

public sealed class TransactionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Saves_inside_a_transaction_are_invisible_to_others_until_commit()
    {
        using var context = TestContext.Create(_temp.Db());
        using var observer = TestContext.Create(_temp.Db());
        using (var transaction = context.Database.BeginTransaction())
        {
            Assert.Same(transaction, context.Database.CurrentTransaction);
            context.Add(new Tag { Id = "a", Note = "1" });
            context.SaveChanges();
            context.Add(new Tag { Id = "b" });
            context.SaveChanges();

            Assert.Null(StorageReader.Row<Tag>(observer, "a"));
            Assert.Equal("1", StorageReader.Row<Tag>(context, "a")!["Note"]);
            Assert.NotNull(StorageReader.Row<Tag>(context, "b"));

            // The seam a scan merges over its snapshot: the transaction's own writes of the keyspace, in key order.
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Tag))!);
            var staged = database.CurrentTransaction!.StagedWrites(mapping.KeyspaceLowerBound, mapping.KeyspaceUpperBound);
            Assert.Equal(["a", "b"], staged.Select(w => (string)mapping.DecodeRow(w.Value!)[0]!));
            Assert.Empty(StorageReader.Scan<Tag>(observer));

            transaction.Commit();
        }

        Assert.Null(context.Database.CurrentTransaction);
        Assert.Equal(["a", "b"], StorageReader.Scan<Tag>(observer).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public async Task Rollback_discards_every_staged_write()
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "kept", Note = "v1" });
        context.SaveChanges();

        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            var kept = context.Tags.Local.Single();
            kept.Note = "v2";
            context.Add(new Tag { Id = "dropped" });
            await context.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        Assert.Equal("v1", StorageReader.Row<Tag>(context, "kept")!["Note"]);
        Assert.Null(StorageReader.Row<Tag>(context, "dropped"));
    }

    [Fact]
    public void Disposing_without_commit_rolls_back()
    {
        using var context = TestContext.Create(_temp.Db());
        using (context.Database.BeginTransaction())
        {
            context.Add(new Tag { Id = "x" });
            context.SaveChanges();
        }

        Assert.Null(context.Database.CurrentTransaction);
        Assert.Null(StorageReader.Row<Tag>(context, "x"));
    }

    [Fact]
    public void A_write_write_conflict_fails_the_later_commit_and_writes_nothing_of_it()
    {
        var path = _temp.Db();
        using (var seed = TestContext.Create(path))
        {
            seed.Add(new Tag { Id = "shared", Note = "v0" });
            seed.SaveChanges();
        }

        using var first = TestContext.Create(path);
        using var second = TestContext.Create(path);
        using var transaction = first.Database.BeginTransaction();
        var mine = new Tag { Id = "shared", Note = "v0" };
        first.Attach(mine);
        mine.Note = "mine";
        first.Add(new Tag { Id = "only-in-transaction" });
        first.SaveChanges();

        // Another context commits to the same key after the transaction's snapshot: first committer wins.
        var theirs = new Tag { Id = "shared", Note = "v0" };
        second.Attach(theirs);
        theirs.Note = "theirs";
        second.SaveChanges();

        Assert.Throws<DbUpdateConcurrencyException>(() => transaction.Commit());
        Assert.Null(first.Database.CurrentTransaction);
        Assert.Equal("theirs", StorageReader.Row<Tag>(second, "shared")!["Note"]);
        Assert.Null(StorageReader.Row<Tag>(second, "only-in-transaction"));
    }

    [Fact]
    public void Writes_to_other_keys_do_not_conflict()
    {
        var path = _temp.Db();
        using var first = TestContext.Create(path);
        using var second = TestContext.Create(path);
        using var transaction = first.Database.BeginTransaction();
        first.Add(new Tag { Id = "mine" });
        first.SaveChanges();
        second.Add(new Tag { Id = "theirs" });
        second.SaveChanges();
        transaction.Commit();
        Assert.Equal(2, StorageReader.Scan<Tag>(second).Count);
    }

    [Fact]
    public void An_insert_racing_a_transactional_insert_of_the_same_key_conflicts()
    {
        var path = _temp.Db();
        using var first = TestContext.Create(path);
        using var second = TestContext.Create(path);
        using var transaction = first.Database.BeginTransaction();
        first.Add(new Tag { Id = "k", Note = "tx" });
        first.SaveChanges();
        second.Add(new Tag { Id = "k", Note = "direct" });
        second.SaveChanges();
        Assert.Throws<DbUpdateConcurrencyException>(() => transaction.Commit());
        Assert.Equal("direct", StorageReader.Row<Tag>(second, "k")!["Note"]);
    }

    [Fact]
    public void Checks_inside_a_transaction_see_its_own_writes()
    {
        using var context = TestContext.Create(_temp.Db());
        using var transaction = context.Database.BeginTransaction();
        context.Add(new Tag { Id = "t" });
        context.SaveChanges();
        context.ChangeTracker.Clear();
        context.Add(new Tag { Id = "t" });
        Assert.Throws<DbUpdateException>(() => context.SaveChanges());

        context.ChangeTracker.Clear();
        context.Remove(new Tag { Id = "t" });
        context.SaveChanges();
        transaction.Commit();
        Assert.Null(StorageReader.Row<Tag>(context, "t"));
    }

    [Fact]
    public void Nested_transactions_are_refused()
    {
        using var context = TestContext.Create(_temp.Db());
        using var transaction = context.Database.BeginTransaction();
        Assert.Throws<InvalidOperationException>(() => context.Database.BeginTransaction());
    }
}
