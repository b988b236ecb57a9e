using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Indexes;

/// <summary>
/// Secondary index entries are written in the same batch as their rows: every save leaves each index equal to what the
/// rows give (checked entry by entry), unique indexes refuse a second row with the same non-null values and write nothing,
/// and an index added to a database that already has rows is built from them.
/// </summary>
public sealed class IndexMaintenanceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed class Member
    {
        public int Id { get; set; }

        public string Email { get; set; } = "";

        public string? City { get; set; }

        public int Score { get; set; }

        public string? Nickname { get; set; }
    }

    public sealed class IndexContext(DbContextOptions options, bool uniqueCity = false, bool withIndexes = true) : DbContext(options)
    {
        public DbSet<Member> Members => Set<Member>();

        /// <summary>Which model this context builds (the model cache key).</summary>
        public (bool UniqueCity, bool WithIndexes) Variant { get; } = (uniqueCity, withIndexes);

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var member = modelBuilder.Entity<Member>();
            member.Property(m => m.Id).ValueGeneratedNever();
            if (!Variant.WithIndexes)
            {
                return;
            }

            member.HasIndex(m => m.Email).IsUnique();
            member.HasIndex(m => new { m.City, m.Score }).IsDescending(false, true);
            member.HasIndex(m => m.Nickname).IsUnique();
            if (Variant.UniqueCity)
            {
                member.HasIndex(m => m.City).IsUnique();
            }
        }

        public static IndexContext Create(string path, bool uniqueCity = false, bool withIndexes = true) =>
            new(new DbContextOptionsBuilder<IndexContext>()
                .UseTestStore(path)
                .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>()
                .Options, uniqueCity, withIndexes);
    }

    /// <summary>One EF model per index configuration, as an application that changes its model between runs has.</summary>
    private sealed class VariantCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) =>
            context is IndexContext c ? (c.Variant, designTime) : (context.GetType(), designTime);
    }

    private static List<string> Problems(DbContext context)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.Store.GetMappingForWrite(context.Model.FindEntityType(typeof(Member))!, sync: false);
        using var view = database.OpenView();
        return LsmIndexVerifier.Verify(view, mapping);
    }

    private static int EntryCount(DbContext context, string index)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.Store.GetMappingForWrite(context.Model.FindEntityType(typeof(Member))!, sync: false);
        var indexMapping = mapping.Indexes.Single(i => i.Name == index);
        using var view = database.OpenView();
        using var cursor = view.Scan(indexMapping.KeyspaceLowerBound, indexMapping.KeyspaceUpperBound);
        var count = 0;
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }

    [Fact]
    public void Inserts_updates_and_deletes_keep_every_index_equal_to_the_rows()
    {
        var path = _temp.Db();
        using (var context = IndexContext.Create(path))
        {
            for (var i = 0; i < 50; i++)
            {
                context.Add(new Member { Id = i, Email = $"m{i}@x", City = i % 5 == 0 ? null : "City" + (i % 7), Score = i % 13 });
            }

            context.SaveChanges();
            Assert.Empty(Problems(context));
            Assert.Equal(50, EntryCount(context, "IX_Members_Email"));
            Assert.Equal(50, EntryCount(context, "IX_Members_City_Score"));

            // Changing indexed columns moves entries; changing another column leaves them; deletes remove them.
            foreach (var member in context.Members.Where(m => m.Id < 20).ToList())
            {
                member.City = member.Id % 2 == 0 ? "Moved" : null;
                member.Email = "new" + member.Email;
                member.Score += 100;
            }

            context.SaveChanges();
            Assert.Empty(Problems(context));

            context.RemoveRange(context.Members.Where(m => m.Id >= 40).ToList());
            context.SaveChanges();
            Assert.Empty(Problems(context));
            Assert.Equal(40, EntryCount(context, "IX_Members_Email"));
        }

        // Reopened from disk: the entries were logged and recovered with their rows.
        Assert.True(TestStore.Close(path));
        using (var context = IndexContext.Create(path))
        {
            Assert.Empty(Problems(context));
            Assert.Equal(40, EntryCount(context, "IX_Members_City_Score"));
        }
    }

    [Fact]
    public void Entries_of_a_descending_composite_index_sort_by_its_parts()
    {
        using var context = IndexContext.Create(_temp.Db());
        context.AddRange(
            new Member { Id = 1, Email = "a", City = "Oslo", Score = 1 },
            new Member { Id = 2, Email = "b", City = "Oslo", Score = 9 },
            new Member { Id = 3, Email = "c", City = "Bergen", Score = 5 },
            new Member { Id = 4, Email = "d", City = null, Score = 5 });
        context.SaveChanges();

        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var index = database.GetMapping(context.Model.FindEntityType(typeof(Member))!).Indexes.Single(i => i.Name == "IX_Members_City_Score");
        using var view = database.OpenView();
        using var cursor = view.Scan(index.KeyspaceLowerBound, index.KeyspaceUpperBound);
        var rows = new List<int>();
        while (cursor.MoveNext())
        {
            var rowKey = index.RowKeyOf(cursor.Key, cursor.Value);
            var member = database.GetMapping(context.Model.FindEntityType(typeof(Member))!).DecodeRow(view.Get(rowKey)!);
            rows.Add((int)member[context.Model.FindEntityType(typeof(Member))!.FindProperty("Id")!.GetIndex()]!);
        }

        // Null city first, then cities ascending, and within Oslo the scores descending.
        Assert.Equal([4, 3, 2, 1], rows);
    }

    [Fact]
    public void A_duplicate_unique_value_is_refused_across_saves_and_within_one_and_nothing_is_written()
    {
        using var context = IndexContext.Create(_temp.Db());
        context.Add(new Member { Id = 1, Email = "taken@x" });
        context.SaveChanges();

        context.Add(new Member { Id = 2, Email = "taken@x", City = "Oslo" });
        var across = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        Assert.Contains("IX_Members_Email", across.Message, StringComparison.Ordinal);
        Assert.Contains("'taken@x'", across.Message, StringComparison.Ordinal);
        Assert.Single(across.Entries);
        context.ChangeTracker.Clear();

        context.AddRange(new Member { Id = 3, Email = "twin@x" }, new Member { Id = 4, Email = "twin@x" });
        var within = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        Assert.Contains("IX_Members_Email", within.Message, StringComparison.Ordinal);
        Assert.Equal(2, within.Entries.Count);
        context.ChangeTracker.Clear();

        Assert.Equal([1], context.Members.AsNoTracking().Select(m => m.Id).ToList());
        Assert.Empty(Problems(context));
    }

    [Fact]
    public void Null_values_never_conflict_in_a_unique_index()
    {
        using var context = IndexContext.Create(_temp.Db());
        context.AddRange(
            new Member { Id = 1, Email = "a", Nickname = null },
            new Member { Id = 2, Email = "b", Nickname = null },
            new Member { Id = 3, Email = "c", Nickname = "x" });
        context.SaveChanges();
        Assert.Empty(Problems(context));

        context.Add(new Member { Id = 4, Email = "d", Nickname = "x" });
        Assert.Throws<DbUpdateException>(() => context.SaveChanges());
    }

    [Fact]
    public void Unique_values_can_move_between_rows_in_one_save()
    {
        using var context = IndexContext.Create(_temp.Db());
        context.AddRange(new Member { Id = 1, Email = "one" }, new Member { Id = 2, Email = "two" });
        context.SaveChanges();

        var members = context.Members.OrderBy(m => m.Id).ToList();
        (members[0].Email, members[1].Email) = (members[1].Email, members[0].Email);
        context.SaveChanges();
        Assert.Empty(Problems(context));

        // A value freed and taken by a new row in the same save.
        members[0].Email = "freed";
        context.Add(new Member { Id = 3, Email = "two" });
        context.SaveChanges();
        Assert.Empty(Problems(context));
        Assert.Equal(["freed", "one", "two"], context.Members.AsNoTracking().OrderBy(m => m.Id).Select(m => m.Email).ToList());
    }

    [Fact]
    public void Concurrent_contexts_inserting_one_unique_value_have_exactly_one_winner()
    {
        var path = _temp.Db();
        using (var setup = IndexContext.Create(path))
        {
            setup.Database.EnsureCreated();
        }

        const int Contexts = 6;
        const int Rounds = 40;
        var wins = new int[Rounds];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(Contexts);
        var threads = Enumerable.Range(0, Contexts).Select(t => new Thread(() =>
        {
            using var context = IndexContext.Create(path);
            for (var round = 0; round < Rounds; round++)
            {
                start.SignalAndWait();
                context.ChangeTracker.Clear();
                context.Add(new Member { Id = (round * Contexts) + t, Email = $"round{round}@x" });
                try
                {
                    context.SaveChanges();
                    Interlocked.Increment(ref wins[round]);
                }
                catch (DbUpdateException e) when (e.Message.Contains("IX_Members_Email", StringComparison.Ordinal))
                {
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
        Assert.All(wins, w => Assert.Equal(1, w));
        using var check = IndexContext.Create(path);
        Assert.Equal(Rounds, check.Members.Count());
        Assert.Empty(Problems(check));
    }

    [Fact]
    public void An_index_added_to_a_database_with_rows_is_built_from_them()
    {
        var path = _temp.Db();
        using (var context = IndexContext.Create(path, withIndexes: false))
        {
            // Saved 500 at a time: a backend may bound a transaction's operations (etcd's --max-txn-ops is 1,024 here).
            for (var i = 0; i < 3000; i++)
            {
                context.Add(new Member { Id = i, Email = $"m{i}", City = "C" + (i % 17), Score = i });
                if (i % 500 == 499)
                {
                    context.SaveChanges();
                }
            }
        }

        using (var context = IndexContext.Create(path))
        {
            context.Add(new Member { Id = 5000, Email = "after" });
            context.SaveChanges();
            Assert.Empty(Problems(context));
            Assert.Equal(3001, EntryCount(context, "IX_Members_Email"));
            var mapping = ((LsmDatabaseWrapper)context.GetService<IDatabase>()).GetMapping(context.Model.FindEntityType(typeof(Member))!);
            Assert.All(mapping.Indexes, i => Assert.True(i.IsReady, i.Name));
        }
    }

    [Fact]
    public void A_unique_index_over_duplicate_rows_is_refused_naming_the_values_and_stays_unused()
    {
        var path = _temp.Db();
        using (var context = IndexContext.Create(path))
        {
            context.AddRange(
                new Member { Id = 1, Email = "a", City = "Oslo" },
                new Member { Id = 2, Email = "b", City = "Oslo" });
            context.SaveChanges();
        }

        using (var context = IndexContext.Create(path, uniqueCity: true))
        {
            context.Add(new Member { Id = 3, Email = "c" });
            var e = Assert.Throws<InvalidOperationException>(() => context.SaveChanges());
            Assert.Contains("IX_Members_City", e.Message, StringComparison.Ordinal);
            Assert.Contains("Oslo", e.Message, StringComparison.Ordinal);
        }

        // The data is untouched and the earlier model still works.
        using (var context = IndexContext.Create(path))
        {
            Assert.Equal(2, context.Members.Count());
            context.Add(new Member { Id = 4, Email = "d" });
            context.SaveChanges();
        }
    }

    [Fact]
    public void A_dropped_index_loses_its_entries()
    {
        var path = _temp.Db();
        long keyspace;
        using (var context = IndexContext.Create(path))
        {
            context.Add(new Member { Id = 1, Email = "a", City = "Oslo" });
            context.SaveChanges();
            keyspace = ((LsmDatabaseWrapper)context.GetService<IDatabase>()).GetMapping(context.Model.FindEntityType(typeof(Member))!)
                .Indexes.Single(i => i.Name == "IX_Members_Email").KeyspaceId;
        }

        using (var context = IndexContext.Create(path, withIndexes: false))
        {
            context.Add(new Member { Id = 2, Email = "b" });
            context.SaveChanges();
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            Assert.Empty(database.GetMapping(context.Model.FindEntityType(typeof(Member))!).Indexes);
            using var view = database.OpenView();
            var lower = CatalogKeys.KeyspacePrefix(keyspace);
            using var cursor = view.Scan(lower, KeyEncoding.Internal.KeyRange.AfterParts(lower));
            Assert.False(cursor.MoveNext());
        }
    }
}
