using System.Linq.Expressions;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// <c>ExecuteDelete</c>/<c>ExecuteUpdate</c> over the queries the provider runs: the rows changed and the count returned
/// equal what LINQ-to-objects selects from the same rows; indexes, unique constraints and foreign keys are kept as by
/// <c>SaveChanges</c> (the foreign key scenarios also run on SQLite); concurrent writers lose no update; a store with
/// batch limits gets bounded chunks.
/// </summary>
public sealed class BulkOperationTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly OracleRun _oracle;

    public BulkOperationTests() => _oracle = new OracleRun(_temp);

    public void Dispose() => _temp.Dispose();

    public sealed class Item
    {
        public int Id { get; set; }

        public string Code { get; set; } = "";

        public string? City { get; set; }

        public int Score { get; set; }

        public string? Note { get; set; }

        [System.ComponentModel.DataAnnotations.Timestamp]
        public byte[]? Version { get; set; }
    }

    public sealed class ItemContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Item> Items => Set<Item>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var item = modelBuilder.Entity<Item>();
            item.Property(i => i.Id).ValueGeneratedNever();
            item.HasIndex(i => i.Code).IsUnique();
            item.HasIndex(i => new { i.City, i.Score }).IsDescending(false, true);
        }

        public static ItemContext Create(string path, ILsmKeyValueStoreFactory? factory = null)
        {
            // A limited store is the embedded engine behind a batch limit: those tests run on the engine whatever the backend.
            var builder = factory is null
                ? new DbContextOptionsBuilder<ItemContext>().UseTestStore(path)
                : new DbContextOptionsBuilder<ItemContext>().UseLsm(path);
            if (factory is not null)
            {
                var extension = builder.Options.FindExtension<LsmOptionsExtension>()!.WithStoreFactory(factory);
                ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(extension);
            }

            return new ItemContext(builder.Options);
        }

        public List<string> Problems()
        {
            var database = (LsmDatabaseWrapper)this.GetService<IDatabase>();
            using var view = database.OpenView();
            return LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(Model, sync: false, register: true));
        }
    }

    private static List<Item> Items(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Item
        {
            Id = i,
            Code = "c" + i,
            City = i % 4 == 0 ? null : "city" + (i % 5),
            Score = i % 17,
            Note = i % 3 == 0 ? "n" : null,
        })];

    private string Seeded(int count, ILsmKeyValueStoreFactory? factory = null)
    {
        var path = _temp.Db("items" + Guid.NewGuid().ToString("N"));
        using var context = ItemContext.Create(path, factory);
        context.Items.AddRange(Items(count));
        context.SaveChanges();
        return path;
    }

    private static string Describe(IEnumerable<Item> items) =>
        string.Join("\n", items.OrderBy(i => i.Id).Select(i => $"{i.Id} {i.Code} {i.City ?? "null"} {i.Score} {i.Note ?? "null"}"));

    public static TheoryData<string> Filters() => [.. FilterCases.Keys];

    private static readonly Dictionary<string, Func<IQueryable<Item>, IQueryable<Item>>> FilterCases = new()
    {
        ["everything"] = q => q,
        ["key range"] = q => q.Where(i => i.Id >= 30 && i.Id < 70),
        ["point"] = q => q.Where(i => i.Id == 42),
        ["missing point"] = q => q.Where(i => i.Id == 4242),
        ["key list"] = q => q.Where(i => new[] { 3, 5, 8, 400 }.Contains(i.Id)),
        ["non-key column"] = q => q.Where(i => i.Score > 10),
        ["indexed column"] = q => q.Where(i => i.City == "city2"),
        ["null column"] = q => q.Where(i => i.City == null),
        ["ordered take"] = q => q.OrderByDescending(i => i.Score).ThenBy(i => i.Id).Take(7),
        ["skip take"] = q => q.Where(i => i.Note != null).OrderBy(i => i.Id).Skip(5).Take(10),
        ["string prefix"] = q => q.Where(i => i.Code.StartsWith("c1")),
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task ExecuteDelete_deletes_what_LINQ_to_objects_selects(string filter)
    {
        var path = Seeded(120);
        var expected = Items(120);
        var selected = FilterCases[filter](expected.AsQueryable()).Select(i => i.Id).ToHashSet();
        using (var context = ItemContext.Create(path))
        {
            var deleted = filter.Length % 2 == 0
                ? FilterCases[filter](context.Items).ExecuteDelete()
                : await FilterCases[filter](context.Items).ExecuteDeleteAsync();
            Assert.Equal(selected.Count, deleted);
            Assert.Equal(Describe(expected.Where(i => !selected.Contains(i.Id))), Describe(context.Items.AsNoTracking().ToList()));
            Assert.Empty(context.Problems());
        }

        Assert.True(TestStore.Close(path));
        using (var reopened = ItemContext.Create(path))
        {
            Assert.Equal(120 - selected.Count, reopened.Items.Count());
            Assert.Empty(reopened.Problems());
        }
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task ExecuteUpdate_changes_what_LINQ_to_objects_selects_and_keeps_the_indexes(string filter)
    {
        var path = Seeded(120);
        var expected = Items(120);
        var selected = FilterCases[filter](expected.AsQueryable()).Select(i => i.Id).ToHashSet();
        var suffix = "!";
        foreach (var item in expected.Where(i => selected.Contains(i.Id)))
        {
            item.Score += 100;
            item.City = item.City is null ? "was null" : item.City + suffix;
            item.Note = "updated";
        }

        using (var context = ItemContext.Create(path))
        {
            var versions = context.Items.AsNoTracking().ToDictionary(i => i.Id, i => i.Version);
            Expression<Func<Item, string?>> city = i => i.City == null ? "was null" : i.City + suffix;
            var query = FilterCases[filter](context.Items);
            var updated = filter.Length % 2 == 0
                ? query.ExecuteUpdate(s => s.SetProperty(i => i.Score, i => i.Score + 100).SetProperty(i => i.City, city).SetProperty(i => i.Note, "updated"))
                : await query.ExecuteUpdateAsync(
                    s => s.SetProperty(i => i.Score, i => i.Score + 100).SetProperty(i => i.City, city).SetProperty(i => i.Note, "updated"));
            Assert.Equal(selected.Count, updated);
            var after = context.Items.AsNoTracking().ToList();
            Assert.Equal(Describe(expected), Describe(after));

            // Row versions are renewed on the rows changed (a tracked copy of them is now stale), and only on those.
            Assert.All(after, i => Assert.Equal(!selected.Contains(i.Id), versions[i.Id]!.AsSpan().SequenceEqual(i.Version)));
            Assert.Empty(context.Problems());
        }

        Assert.True(TestStore.Close(path));
        using (var reopened = ItemContext.Create(path))
        {
            Assert.Equal(Describe(expected), Describe(reopened.Items.AsNoTracking().ToList()));
            Assert.Empty(reopened.Problems());
        }
    }

    [Fact]
    public void ExecuteUpdate_that_would_duplicate_a_unique_value_is_refused_and_writes_nothing()
    {
        var path = Seeded(20);
        using var context = ItemContext.Create(path);

        // Against a row it does not change.
        var existing = Assert.Throws<DbUpdateException>(() => context.Items.Where(i => i.Id == 3).ExecuteUpdate(s => s.SetProperty(i => i.Code, "c4")));
        Assert.Contains("IX_Items_Code", existing.Message, StringComparison.Ordinal);

        // Between two rows it changes.
        var within = Assert.Throws<DbUpdateException>(() => context.Items.Where(i => i.Id < 5).ExecuteUpdate(s => s.SetProperty(i => i.Code, "same")));
        Assert.Contains("'same'", within.Message, StringComparison.Ordinal);

        // Unique values moving between rows of one statement are fine: every code gets a new one nobody has.
        Assert.Equal(20, context.Items.ExecuteUpdate(s => s.SetProperty(i => i.Code, i => i.Code + "x")));
        Assert.Equal(Describe(Items(20).Select(i => { i.Code += "x"; return i; })), Describe(context.Items.AsNoTracking().ToList()));
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void What_cannot_run_is_refused_when_the_query_is_translated()
    {
        var path = Seeded(5);
        using var context = ItemContext.Create(path);
        var key = Assert.Throws<InvalidOperationException>(() => context.Items.ExecuteUpdate(s => s.SetProperty(i => i.Id, i => i.Id + 1)));
        Assert.Contains("part of a key", key.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => context.Items.Select(i => new { i.Id }).ExecuteDelete());
        Assert.Equal(5, context.Items.Count());
    }

    [Fact]
    public void Concurrent_ExecuteUpdates_of_the_same_rows_lose_no_increment()
    {
        // Each statement reads every row's score and writes score + 1; without "unchanged since the view" on every row, two
        // statements reading the same scores would both write the same new ones.
        var path = Seeded(40);
        const int Threads = 4;
        const int Rounds = 15;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            using var context = ItemContext.Create(path);
            for (var round = 0; round < Rounds; round++)
            {
                try
                {
                    Assert.Equal(40, context.Items.ExecuteUpdate(s => s.SetProperty(i => i.Score, i => i.Score + 1)));
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
        using var check = ItemContext.Create(path);
        Assert.All(check.Items.AsNoTracking().ToList(), i => Assert.Equal((i.Id % 17) + (Threads * Rounds), i.Score));
        Assert.Empty(check.Problems());
    }

    [Fact]
    public void Inside_a_transaction_the_changes_are_seen_at_once_and_a_rollback_undoes_them()
    {
        var path = Seeded(30);
        using var context = ItemContext.Create(path);
        using (var transaction = context.Database.BeginTransaction())
        {
            Assert.Equal(10, context.Items.Where(i => i.Id < 10).ExecuteDelete());
            Assert.Equal(20, context.Items.ExecuteUpdate(s => s.SetProperty(i => i.Note, "t")));
            Assert.Equal(20, context.Items.Count(i => i.Note == "t"));
            using (var outside = ItemContext.Create(path))
            {
                Assert.Equal(30, outside.Items.Count());
            }

            transaction.Rollback();
        }

        Assert.Equal(30, context.Items.Count());
        using (var transaction = context.Database.BeginTransaction())
        {
            context.Items.Where(i => i.Id < 10).ExecuteDelete();
            transaction.Commit();
        }

        Assert.Equal(20, context.Items.Count());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void Inside_a_TransactionScope_the_statements_are_staged_and_commit_only_with_the_scope()
    {
        var path = Seeded(30);
        using (var scope = new System.Transactions.TransactionScope())
        using (var context = ItemContext.Create(path))
        {
            Assert.Equal(10, context.Items.Where(i => i.Id < 10).ExecuteDelete());
            Assert.Equal(20, context.Items.ExecuteUpdate(s => s.SetProperty(i => i.Note, "t")));
            Assert.Equal(20, context.Items.Count(i => i.Note == "t"));
            using var outside = ItemContext.Create(path);
            using (new System.Transactions.TransactionScope(System.Transactions.TransactionScopeOption.Suppress))
            {
                Assert.Equal(30, outside.Items.Count());
            }

            // Disposed without Complete(): nothing of either statement is written.
        }

        using (var check = ItemContext.Create(path))
        {
            Assert.Equal(30, check.Items.Count());
            Assert.Equal(0, check.Items.Count(i => i.Note == "t"));
        }

        using (var scope = new System.Transactions.TransactionScope())
        using (var context = ItemContext.Create(path))
        {
            Assert.Equal(10, context.Items.Where(i => i.Id < 10).ExecuteDelete());
            scope.Complete();
        }

        using (var check = ItemContext.Create(path))
        {
            Assert.Equal(20, check.Items.Count());
            Assert.Empty(check.Problems());
        }
    }

    [Fact]
    public void A_store_with_batch_limits_gets_bounded_chunks()
    {
        var factory = new LimitedStoreFactory(_temp.Db("limited"), maxOperations: 64);
        var path = _temp.Db("limited");
        using (var seed = ItemContext.Create(path, factory))
        {
            // Saves of the seed are within the limit too.
            foreach (var chunk in Items(300).Chunk(10))
            {
                seed.Items.AddRange(chunk);
                seed.SaveChanges();
            }
        }

        using var context = ItemContext.Create(path, factory);
        factory.CommittedSizes.Clear();
        Assert.Equal(150, context.Items.Where(i => i.Id % 2 == 0).ExecuteUpdate(s => s.SetProperty(i => i.Score, i => i.Score + 1)));
        Assert.Equal(200, context.Items.Where(i => i.Id >= 100).ExecuteDelete());
        Assert.True(factory.CommittedSizes.Count > 4, $"{factory.CommittedSizes.Count} commits");
        Assert.All(factory.CommittedSizes, size => Assert.InRange(size, 1, 64));
        var expected = Items(100).Select(i => { i.Score += i.Id % 2 == 0 ? 1 : 0; return i; });
        Assert.Equal(Describe(expected), Describe(context.Items.AsNoTracking().ToList()));
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void ExecuteDelete_of_blogs_cascades_to_posts_and_comments_as_SQLite_does()
    {
        var (lsm, sqlite) = _oracle.Run(DeleteBehaviors.Cascade, context => Assert.Equal(1, context.Blogs.Where(b => b.Name == "blog1").ExecuteDelete()));
        Assert.Null(lsm.Error);
        Assert.Equal(sqlite.State, lsm.State);
        Assert.DoesNotContain("blog=1", lsm.State, StringComparison.Ordinal);
        Assert.DoesNotContain("comment 111", lsm.State, StringComparison.Ordinal);

        var restricted = new DeleteBehaviors(DeleteBehavior.Restrict, DeleteBehavior.Cascade, DeleteBehavior.SetNull);
        (lsm, sqlite) = _oracle.Run(restricted, context => context.Blogs.ExecuteDelete());
        Assert.Equal(sqlite.Error, lsm.Error);
        Assert.Equal(sqlite.State, lsm.State);
        Assert.Contains("Post(BlogId) → Blog(Id)", lsm.Message, StringComparison.Ordinal);

        (lsm, sqlite) = _oracle.Run(DeleteBehaviors.Cascade, context => context.Authors.Where(a => a.Id == 1).ExecuteDelete());
        Assert.Equal(sqlite.State, lsm.State);
        Assert.Contains("post 11 blog=1 author=null", lsm.State, StringComparison.Ordinal);
    }

    [Fact]
    public void ExecuteUpdate_of_a_foreign_key_needs_its_principal_as_SQLite_does()
    {
        var (lsm, sqlite) = _oracle.Run(DeleteBehaviors.Cascade, context => context.Posts.Where(p => p.Id < 20).ExecuteUpdate(s => s.SetProperty(p => p.BlogId, 5)));
        Assert.Equal(sqlite.Error, lsm.Error);
        Assert.Equal(nameof(DbUpdateException), lsm.Error);
        Assert.Equal(sqlite.State, lsm.State);

        (lsm, sqlite) = _oracle.Run(DeleteBehaviors.Cascade, context => context.Posts.Where(p => p.Id < 20).ExecuteUpdate(s => s.SetProperty(p => p.BlogId, 2)));
        Assert.Null(lsm.Error);
        Assert.Equal(sqlite.State, lsm.State);
    }
}
