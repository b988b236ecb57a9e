using System.Globalization;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// Regression tests for what ran and returned wrong data (or failed with the wrong error) before the query pipeline knew the
/// whole EF model: table-per-hierarchy storage and keys, value semantics of comparisons, string order, EF-only operators,
/// EF's concurrency detector, and errors EF itself raises.
/// </summary>
public sealed class ModelRegressionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public abstract class Pet
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public int? OwnerId { get; set; }

        public Owner? Owner { get; set; }
    }

    public class Dog : Pet
    {
        public string Breed { get; set; } = "";
    }

    public class Cat : Pet
    {
        public int Lives { get; set; }
    }

    public class Owner
    {
        public int Id { get; set; }

        public string City { get; set; } = "";

        public int Age { get; set; }
    }

    public class Blob
    {
        public int Id { get; set; }

        public byte[] Data { get; set; } = [];
    }

    public class Line
    {
        public int OrderId { get; set; }

        public long LineId { get; set; }

        public string Text { get; set; } = "";
    }

    public class Person
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public string City { get; set; } = "";
    }

    public class Totals
    {
        public string City { get; set; } = "";

        public int Count { get; set; }
    }

    public sealed class PetContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Pet> Pets => Set<Pet>();

        public DbSet<Owner> Owners => Set<Owner>();

        public DbSet<Blob> Blobs => Set<Blob>();

        public DbSet<Line> Lines => Set<Line>();

        public DbSet<Person> People => Set<Person>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Dog>();
            modelBuilder.Entity<Cat>();
            modelBuilder.Entity<Owner>().Property(o => o.Id).ValueGeneratedNever();
            modelBuilder.Entity<Line>().HasKey(l => new { l.OrderId, l.LineId });
            modelBuilder.Entity<Line>().Property(l => l.LineId).ValueGeneratedOnAdd();
            modelBuilder.Entity<Totals>().HasNoKey();
        }
    }

    private PetContext Create(Action<DbContextOptionsBuilder>? configure = null)
    {
        var builder = new DbContextOptionsBuilder<PetContext>().UseLsm(_temp.Db());
        configure?.Invoke(builder);
        return new PetContext(builder.Options);
    }

    [Fact]
    public void A_hierarchy_is_one_keyspace_whose_base_set_and_Find_see_every_derived_row()
    {
        // Regression: each derived type had its own keyspace, so the base set was empty and Find on it returned null.
        using (var context = Create())
        {
            context.AddRange(new Dog { Name = "Rex", Breed = "Collie" }, new Cat { Name = "Tom", Lives = 9 });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            Assert.Equal(["Rex", "Tom"], context.Pets.OrderBy(p => p.Name).Select(p => p.Name).ToList());
            var cat = Assert.IsType<Cat>(context.Pets.Find(context.Set<Cat>().Single().Id));
            Assert.Equal(9, cat.Lives);
            Assert.IsType<Dog>(context.Pets.Find(context.Set<Dog>().Single().Id));
            Assert.Null(context.Set<Dog>().Find(cat.Id));
            Assert.Equal(["Tom"], context.Pets.OfType<Cat>().Select(c => c.Name).ToList());
            Assert.Equal(["Rex"], context.Pets.Where(p => p is Dog).Select(p => p.Name).ToList());
        }
    }

    [Fact]
    public void Generated_keys_are_unique_across_the_hierarchy_in_one_save_and_across_saves()
    {
        // Regression: a Dog and a Cat in one SaveChanges got the same Id (EF refused to track the second); in separate saves
        // both got Id 1.
        using (var context = Create())
        {
            context.AddRange(new Dog { Name = "a" }, new Cat { Name = "b" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            context.Add(new Dog { Name = "c" });
            context.SaveChanges();
            context.Add(new Cat { Name = "d" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            var ids = context.Pets.Select(p => p.Id).ToList();
            Assert.Equal(4, ids.Count);
            Assert.Equal(4, ids.Distinct().Count());
        }
    }

    [Fact]
    public void Table_per_type_and_table_per_concrete_type_are_refused_naming_the_mapping_to_use()
    {
        foreach (var strategy in new[] { "TPT", "TPC" })
        {
            var options = new DbContextOptionsBuilder<StrategyContext>().UseLsm(_temp.Db(strategy)).Options;
            using var context = new StrategyContext(options, strategy);
            var e = Assert.Throws<InvalidOperationException>(() => context.Model);
            Assert.Contains(strategy + " inheritance strategy", e.Message);
            Assert.Contains("table-per-hierarchy", e.Message);
        }
    }

    public sealed class StrategyContext(DbContextOptions options, string strategy) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Dog>();
            modelBuilder.Entity<Cat>();
            modelBuilder.Entity<Pet>().HasAnnotation("Relational:MappingStrategy", strategy);
            modelBuilder.Entity<Owner>();
        }

        public override int GetHashCode() => strategy.GetHashCode();
    }

    [Fact]
    public void A_byte_array_equality_filter_compares_contents()
    {
        // Regression: Where(x => x.Data == copy) compared references and matched nothing.
        using (var context = Create())
        {
            context.AddRange(new Blob { Id = 1, Data = [1, 2, 3] }, new Blob { Id = 2, Data = [1, 2] });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            var copy = new byte[] { 1, 2, 3 };
            Assert.Equal([1], context.Blobs.Where(b => b.Data == copy).Select(b => b.Id).ToList());
            Assert.Equal([2], context.Blobs.Where(b => b.Data != copy).Select(b => b.Id).ToList());
        }
    }

    [Fact]
    public void A_generated_long_in_a_composite_key_is_generated()
    {
        // Regression: the generated part stayed 0, so the second row collided with the first.
        using (var context = Create())
        {
            context.AddRange(new Line { OrderId = 1, Text = "a" }, new Line { OrderId = 1, Text = "b" });
            context.SaveChanges();
            context.Add(new Line { OrderId = 1, Text = "c" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            var ids = context.Lines.Select(l => l.LineId).ToList();
            Assert.Equal(3, ids.Distinct().Count());
            Assert.DoesNotContain(0L, ids);
        }
    }

    [Fact]
    public void Boxed_and_constructed_values_compare_by_value()
    {
        using (var context = Create())
        {
            context.AddRange(
                new Person { Id = 1, Name = "a", City = "London" },
                new Person { Id = 2, Name = "b", City = "London" },
                new Person { Id = 3, Name = "c", City = "Paris" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            // Regression: these compared references (0 rows, or every row for !=).
            Assert.Equal(2, context.People.Count(p => (object)p.City == (object)"London"));
            Assert.Equal(1, context.People.Count(p => new { p.City, p.Name } == new { City = "London", Name = "b" }));
            Assert.Equal(2, context.People.Count(p => new { p.City, p.Name } != new { City = "London", Name = "b" }));
            Assert.Equal(1, context.People.Count(p => Tuple.Create(p.City, p.Name) == Tuple.Create("Paris", "c")));
        }
    }

    [Fact]
    public void Strings_order_by_code_point_whatever_the_culture()
    {
        // Regression: ordering followed the current culture (de-DE sorts "Ärger" before "zeta", sv-SE after; "a" before "B").
        using (var context = Create())
        {
            context.AddRange(new[] { "zeta", "Ärger", "B", "a", "\U0001F600", "\uFF61" }.Select((n, i) => new Person { Id = i + 1, Name = n }));
            context.SaveChanges();
        }

        var codePointOrder = new[] { "B", "a", "zeta", "Ärger", "\uFF61", "\U0001F600" };
        var previous = CultureInfo.CurrentCulture;
        try
        {
            foreach (var culture in new[] { "de-DE", "sv-SE", "" })
            {
                CultureInfo.CurrentCulture = new CultureInfo(culture);
                using var context = Create();
                Assert.Equal(codePointOrder, context.People.OrderBy(p => p.Name).Select(p => p.Name).ToList());
                Assert.Equal(codePointOrder.Reverse(), context.People.OrderByDescending(p => p.Name).Select(p => p.Name).ToList());
                Assert.Equal("B", context.People.Min(p => p.Name));
                Assert.Equal("\U0001F600", context.People.Max(p => p.Name));
                Assert.Equal(["\uFF61", "\U0001F600"], context.People.Where(p => string.Compare(p.Name, "\uFF00") > 0).OrderBy(p => p.Name).Select(p => p.Name).ToList());
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Like_matches_case_insensitively_with_wildcards_and_escapes()
    {
        // Regression: EF.Functions.Like failed with a client-evaluation message.
        using (var context = Create())
        {
            context.AddRange(
                new Person { Id = 1, Name = "Alfreds" },
                new Person { Id = 2, Name = "alpha_1" },
                new Person { Id = 3, Name = "Beta" },
                new Person { Id = 4, Name = "al%" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            Assert.Equal([1, 2, 4], context.People.Where(p => EF.Functions.Like(p.Name, "AL%")).Select(p => p.Id).OrderBy(i => i).ToList());
            Assert.Equal([2], context.People.Where(p => EF.Functions.Like(p.Name, "%!_1", "!")).Select(p => p.Id).ToList());
            Assert.Equal([3], context.People.Where(p => EF.Functions.Like(p.Name, "_eta")).Select(p => p.Id).ToList());
            Assert.Equal([4], context.People.Where(p => EF.Functions.Like(p.Name, "al\\%", "\\")).Select(p => p.Id).ToList());
        }
    }

    [Fact]
    public void EF_Constant_is_supported()
    {
        using (var context = Create())
        {
            context.AddRange(new Person { Id = 1, City = "x" }, new Person { Id = 2, City = "y" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            // Regression: EF refused the query ("EF.Constant is not supported by the current provider").
            Assert.Equal([2], context.People.Where(p => p.City == EF.Constant("y")).Select(p => p.Id).ToList());
        }
    }

    [Fact]
    public void A_non_nullable_value_through_an_optional_navigation_raises_EFs_invalid_operation()
    {
        using (var context = Create())
        {
            context.Add(new Dog { Name = "stray" });
            context.SaveChanges();
        }

        using (var context = Create())
        {
            // Regression: a NullReferenceException escaped from the enumerator.
            Assert.Throws<InvalidOperationException>(() => context.Pets.Select(p => p.Owner!.Age).ToList());
            Assert.Equal([null], context.Pets.Select(p => (int?)p.Owner!.Age).ToList());
        }
    }

    [Fact]
    public void A_second_operation_on_the_context_during_a_query_is_reported()
    {
        using (var context = Create())
        {
            context.AddRange(Enumerable.Range(1, 3).Select(i => new Person { Id = i, Name = "p" + i }));
            context.SaveChanges();
        }

        using (var context = Create())
        {
            // Regression: EF's concurrency detector never fired, so a second operation on the context from another thread
            // ran concurrently with the first.
            using var enumerator = context.People.AsEnumerable().GetEnumerator();
            Assert.True(enumerator.MoveNext());

            // Another thread is inside an operation on the context (as a concurrent SaveChanges or query would be).
            var detector = context.GetService<IConcurrencyDetector>();
            using var entered = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            Thread other;
            using (ExecutionContext.SuppressFlow())
            {
                other = new Thread(() =>
                {
                    using (detector.EnterCriticalSection())
                    {
                        entered.Set();
                        release.Wait();
                    }
                });
                other.Start();
            }

            entered.Wait();
            try
            {
                var e = Assert.Throws<InvalidOperationException>(() => context.People.ToList());
                Assert.Contains("A second operation was started on this context instance", e.Message);
                e = Assert.Throws<InvalidOperationException>(() => enumerator.MoveNext());
                Assert.Contains("A second operation was started on this context instance", e.Message);
            }
            finally
            {
                release.Set();
                other.Join();
            }
        }
    }

    [Fact]
    public void A_model_with_a_keyless_type_is_valid_and_a_query_of_it_says_why_it_has_no_rows()
    {
        // Regression: the model was refused at validation, so a context whose model has one could not start.
        using var context = Create();
        context.Add(new Person { Id = 1, Name = "a" });
        context.SaveChanges();
        var e = Assert.Throws<InvalidOperationException>(() => context.Set<Totals>().ToList());
        Assert.Contains("keyless entity type 'Totals'", e.Message);
    }
}
