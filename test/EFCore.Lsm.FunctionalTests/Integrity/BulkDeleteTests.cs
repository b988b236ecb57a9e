using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// The batch an <c>ExecuteDelete</c> of rows without dependents writes directly (docs/bulk_operations.md, "How a delete is
/// written"): chunks of as many whole rows as fit a limited store, the whole-keyspace dependents condition in every chunk, a
/// row or a dependent written by another commit after the statement's view (the statement runs again and sees it), rows in
/// tables and in the memtable, and a reopen; every time the indexes are checked against the rows.
/// </summary>
public sealed class BulkDeleteTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed class Parent
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public string Code { get; set; } = "";

        public List<Child> Children { get; set; } = [];
    }

    public sealed class Child
    {
        public int Id { get; set; }

        public int ParentId { get; set; }

        public Parent? Parent { get; set; }
    }

    /// <summary>Parents with an index on Name and a unique one on Code; children by a cascading foreign key.</summary>
    public class DeleteContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Parent> Parents => Set<Parent>();

        public DbSet<Child> Children => Set<Child>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Parent>().Property(p => p.Id).ValueGeneratedNever();
            modelBuilder.Entity<Parent>().HasIndex(p => p.Name);
            modelBuilder.Entity<Parent>().HasIndex(p => p.Code).IsUnique();
            modelBuilder.Entity<Child>().Property(c => c.Id).ValueGeneratedNever();
            modelBuilder.Entity<Child>().HasOne(c => c.Parent).WithMany(p => p.Children).HasForeignKey(c => c.ParentId)
                .OnDelete(DeleteBehavior.Cascade);
        }

        public List<string> Problems()
        {
            var database = (LsmDatabaseWrapper)this.GetService<IDatabase>();
            using var view = database.OpenView();
            return LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(Model, sync: false, register: true));
        }
    }

    /// <summary>The same without the index on the foreign key: a parent's dependents are found by reading every child.</summary>
    public sealed class ScanContext(DbContextOptions options) : DeleteContext(options)
    {
        protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
            configurationBuilder.Conventions.Remove(typeof(Microsoft.EntityFrameworkCore.Metadata.Conventions.ForeignKeyIndexConvention));
    }

    private static TContext Limited<TContext>(string path, LimitedStoreFactory factory, Func<DbContextOptions, TContext> create)
        where TContext : DbContext
    {
        var builder = new DbContextOptionsBuilder<TContext>().UseLsm(path);
        var extension = builder.Options.FindExtension<LsmOptionsExtension>()!.WithStoreFactory(factory);
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(extension);
        return create(builder.Options);
    }

    private static Parent NewParent(int id) => new() { Id = id, Name = "p" + (id % 7), Code = "c" + id };

    private static void Seed(DbContext context, IEnumerable<int> ids, int perSave)
    {
        foreach (var chunk in ids.Chunk(perSave))
        {
            context.AddRange(chunk.Select(NewParent));
            context.SaveChanges();
            context.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// Makes another writer save <paramref name="change"/> just before the first batch that deletes commits (after the
    /// statement read its rows); returns whether it has.
    /// </summary>
    private static Func<bool> RaceTheFirstDelete(string path, LimitedStoreFactory factory, Action<DeleteContext> change)
    {
        var raced = 0;
        factory.BeforeCommit = batch =>
        {
            if (batch.Operations.Any(o => o.IsDelete) && Interlocked.Exchange(ref raced, 1) == 0)
            {
                using var other = Limited(path, factory, o => new DeleteContext(o));
                change(other);
                other.SaveChanges();
            }
        };

        return () => Volatile.Read(ref raced) == 1;
    }

    [Fact]
    public void Chunks_hold_as_many_whole_rows_as_fit_the_limit()
    {
        var path = _temp.Db("chunks");
        var factory = new LimitedStoreFactory(path, maxOperations: 64);
        using var context = Limited(path, factory, o => new DeleteContext(o));
        Seed(context, Enumerable.Range(1, 150), perSave: 10);

        // A row is its condition, its tombstone, its two index entries and its children's range: 5, so 12 rows a chunk.
        factory.CommittedSizes.Clear();
        Assert.Equal(100, context.Parents.Where(p => p.Id > 50).ExecuteDelete());
        Assert.Equal(new[] { 60, 60, 60, 60, 60, 60, 60, 60, 20 }, factory.CommittedSizes.ToArray());
        Assert.Equal(Enumerable.Range(1, 50), context.Parents.Select(p => p.Id).AsEnumerable().Order());
        Assert.Empty(context.Problems());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_join_that_yields_each_row_twice_deletes_it_once(bool repeatsAtOnce)
    {
        var path = _temp.Db("join");
        using var context = new DeleteContext(new DbContextOptionsBuilder<DeleteContext>().UseTestStore(path).Options);
        Seed(context, Enumerable.Range(1, 150), perSave: 25);

        // Each kept parent twice: one after the other (51, 51, 52, ...), or all of them and then all again (51, ..., 150, 51, ...).
        var twice = repeatsAtOnce
            ? from p in context.Parents from q in context.Parents where p.Id > 50 && q.Id <= 2 select p
            : from q in context.Parents where q.Id <= 2 from p in context.Parents where p.Id > 50 select p;
        Assert.Equal(200, twice.Count());
        Assert.Equal(100, twice.ExecuteDelete());
        Assert.Equal(Enumerable.Range(1, 50), context.Parents.Select(p => p.Id).AsEnumerable().Order());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void The_whole_dependent_keyspace_is_required_unchanged_in_every_chunk()
    {
        var path = _temp.Db("scan");
        var factory = new LimitedStoreFactory(path, maxOperations: 64);
        using var context = Limited(path, factory, o => new ScanContext(o));
        Assert.Empty(context.Model.FindEntityType(typeof(Child))!.GetIndexes());
        Seed(context, Enumerable.Range(1, 100), perSave: 10);
        context.Children.Add(new Child { Id = 1, ParentId = 1 });
        context.SaveChanges();

        var ranges = new List<int>();
        factory.BeforeCommit = batch => ranges.Add(batch.Conditions.Count(c => c.Kind == LsmConditionKind.RangeUnchangedSince));
        factory.CommittedSizes.Clear();

        // A row is its condition, its tombstone and its two index entries: 4, so 15 rows and the keyspace's range a chunk
        // (96 rows: six full chunks and one of 6 rows).
        Assert.Equal(96, context.Parents.Where(p => p.Id > 4).ExecuteDelete());
        Assert.Equal(new[] { 61, 61, 61, 61, 61, 61, 1 + (6 * 4) }, factory.CommittedSizes.ToArray());
        Assert.Equal(7, ranges.Count);
        Assert.All(ranges, count => Assert.Equal(1, count));
        Assert.Equal(4, context.Parents.Count());
        Assert.Equal(1, context.Children.Count());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void A_dependent_inserted_after_the_view_is_seen_when_the_statement_runs_again_and_cascaded_to()
    {
        var path = _temp.Db("phantom");
        var factory = new LimitedStoreFactory(path, maxOperations: 100_000);
        using var context = Limited(path, factory, o => new DeleteContext(o));
        Seed(context, Enumerable.Range(1, 20), perSave: 20);

        // The first batch of the statement finds the parents childless at its view; before it commits, another writer gives
        // parent 5 a child, which the batch's range condition on parent 5's children must notice.
        var raced = RaceTheFirstDelete(path, factory, other => other.Children.Add(new Child { Id = 7, ParentId = 5 }));

        Assert.Equal(20, context.Parents.Where(p => p.Id <= 20).ExecuteDelete());
        Assert.True(raced());
        Assert.Equal(0, context.Parents.Count());
        Assert.Equal(0, context.Children.Count());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void A_row_changed_after_the_view_is_read_again_and_the_filter_decides_on_its_new_value()
    {
        var path = _temp.Db("changed");
        var factory = new LimitedStoreFactory(path, maxOperations: 100_000);
        using var context = Limited(path, factory, o => new DeleteContext(o));
        Seed(context, Enumerable.Range(1, 70), perSave: 35);
        var selected = context.Parents.Count(p => p.Name == "p3");

        // Parent 3 is selected at the statement's view; another writer renames it before the batch commits.
        var raced = RaceTheFirstDelete(path, factory, other => other.Parents.Find(3)!.Name = "renamed");

        Assert.Equal(selected - 1, context.Parents.Where(p => p.Name == "p3").ExecuteDelete());
        Assert.True(raced());
        Assert.Equal("renamed", context.Parents.AsNoTracking().Single(p => p.Id == 3).Name);
        Assert.Equal(70 - selected + 1, context.Parents.Count());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void Rows_in_tables_and_in_the_memtable_are_deleted_with_their_index_entries_and_stay_deleted_after_a_reopen()
    {
        var path = _temp.Db("tables");
        DeleteContext Open() =>
            new(new DbContextOptionsBuilder<DeleteContext>().UseTestStore(path, o => o.SyncWrites(false).WriteBufferSize(64 * 1024)).Options);

        using (var seed = Open())
        {
            // The first 3,000 rows outgrow the 64 KiB write buffer many times over, so most are in tables; the last ones are
            // in the memtable when the statement runs.
            Seed(seed, Enumerable.Range(1, 3000), perSave: 25);
            Seed(seed, Enumerable.Range(3001, 50), perSave: 25);
            seed.Children.AddRange(new Child { Id = 1, ParentId = 10 }, new Child { Id = 2, ParentId = 3040 });
            seed.SaveChanges();
        }

        using (var context = Open())
        {
            Assert.Equal(1030, context.Parents.Where(p => p.Id > 2020).ExecuteDelete());
            Assert.Equal(2020, context.Parents.Count());
            Assert.Equal(new[] { 1 }, context.Children.Select(c => c.Id).ToArray());
            Assert.Empty(context.Problems());
        }

        TestStore.Close(path);
        using (var reopened = Open())
        {
            Assert.Equal(2020, reopened.Parents.Count());
            Assert.Equal(0, reopened.Parents.Count(p => p.Id > 2020));
            Assert.Equal(Enumerable.Range(1, 2020).Count(i => i % 7 == 3), reopened.Parents.Count(p => p.Name == "p3"));
            Assert.Null(reopened.Parents.SingleOrDefault(p => p.Code == "c3001"));
            Assert.Empty(reopened.Problems());

            // Rows far apart in key order (more lie between two than a cursor steps over), and neighbours again after them.
            Assert.Equal(40 + 10 + 1, reopened.Parents.Where(p => p.Id % 50 == 0 || (p.Id > 1500 && p.Id <= 1510) || p.Id == 2020).ExecuteDelete());
            Assert.Equal(2020 - 51, reopened.Parents.Count());
            Assert.Equal(0, reopened.Parents.Count(p => p.Id % 50 == 0 || (p.Id > 1500 && p.Id <= 1510)));
            Assert.Empty(reopened.Problems());
        }
    }
}
