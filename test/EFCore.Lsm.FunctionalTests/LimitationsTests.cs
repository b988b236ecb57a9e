using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.FunctionalTests;

/// <summary>
/// What this version does not do, one test each, as the README's "Limitations" lists it: a query shape it cannot
/// translate fails with EF's "could not be translated" error (never a wrong answer), and constraints it does not enforce
/// are pinned so the README changes when they do.
/// </summary>
public sealed class LimitationsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public LimitationsTests()
    {
        using var db = new LimitsContext(_temp.Db());
        db.Database.EnsureCreated();
        db.Add(new Author { Id = 1, Name = "ada", Books = [new Book { Id = 1, Title = "notes" }] });
        db.Add(new Author { Id = 2, Name = "grace" });
        db.SaveChanges();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Query_shapes_once_listed_here_are_answered()
    {
        // Include, navigations, joins, GroupBy, set operations, subqueries and Like translate now (the specification
        // corpora in test/EFCore.Lsm.Specification.Tests check them against LINQ-to-objects); one of each stays here so
        // this file and the README's list change together.
        using var db = new LimitsContext(_temp.Db());
        Assert.Equal([1, 0], db.Authors.Include(a => a.Books).OrderBy(a => a.Id).ToList().Select(a => a.Books.Count));
        Assert.Equal(["ada"], db.Books.Select(b => b.Author!.Name).ToList());
        Assert.Equal(["ada"], db.Books.Join(db.Authors, b => b.AuthorId, a => a.Id, (b, a) => a.Name).ToList());
        Assert.Equal([1, 1], db.Authors.GroupBy(a => a.Name).Select(g => g.Count()).ToList());
        Assert.Equal(2, db.Authors.Where(a => a.Id == 1).Union(db.Authors.Where(a => a.Id == 2)).Count());
        Assert.Equal(2, db.Authors.Where(a => a.Id == 1).Concat(db.Authors.Where(a => a.Id == 2)).Count());
        Assert.Equal(["ada"], db.Authors.Where(a => db.Books.Any(b => b.AuthorId == a.Id)).Select(a => a.Name).ToList());
        Assert.Equal(["ada"], db.Authors.Where(a => EF.Functions.Like(a.Name, "a%")).Select(a => a.Name).ToList());
    }

    [Fact]
    public void Owned_types_are_stored_and_an_index_on_one_is_refused_naming_it()
    {
        using (var db = new UnsupportedModelContext(_temp.Db("owned"), owned: true, ownedMany: true))
        {
            db.Add(new Customer { Id = 1, Address = new Address { City = "Oslo" }, Previous = [new Address { City = "Rome" }] });
            db.SaveChanges();
        }

        using (var db = new UnsupportedModelContext(_temp.Db("owned"), owned: true, ownedMany: true))
        {
            var customer = db.Set<Customer>().Single();
            Assert.Equal(("Oslo", "Rome"), (customer.Address!.City, customer.Previous.Single().City));
        }

        using var indexed = new UnsupportedModelContext(_temp.Db("owned-index"), owned: true, ownedIndex: true);
        var error = Assert.Throws<InvalidOperationException>(() => indexed.Model);
        Assert.Contains("The owned type 'Address' (owned through 'Customer.Address') has the index", error.Message);
        Assert.Contains("does not index them", error.Message);
    }

    [Fact]
    public void Complex_collections_of_entity_types_are_stored()
    {
        using (var db = new UnsupportedModelContext(_temp.Db("complex"), complex: true))
        {
            db.Add(new Customer { Id = 1, Address = new Address { City = "Oslo" }, Previous = [new Address { City = "Rome" }] });
            db.SaveChanges();
        }

        using (var db = new UnsupportedModelContext(_temp.Db("complex"), complex: true))
        {
            var customer = db.Set<Customer>().Single();
            Assert.Equal(("Oslo", "Rome"), (customer.Address.City, customer.Previous.Single().City));
        }
    }

    [Fact]
    public void Table_per_hierarchy_is_mapped_and_the_other_inheritance_strategies_are_refused()
    {
        using (var db = new HierarchyContext(_temp.Db("tph")))
        {
            db.Add(new Animal { Id = 1, Name = "cat" });
            db.Add(new Dog { Id = 2, Name = "rex", Good = true });
            db.SaveChanges();
        }

        using (var db = new HierarchyContext(_temp.Db("tph")))
        {
            Assert.Equal(["cat", "rex"], db.Animals.OrderBy(a => a.Id).Select(a => a.Name).ToList());
            Assert.Equal(["rex"], db.Animals.OfType<Dog>().Where(d => d.Good).Select(d => d.Name).ToList());
        }

        using var tpt = new HierarchyContext(_temp.Db("tpt"), strategy: "TPT");
        var error = Assert.Throws<InvalidOperationException>(() => tpt.Model);
        Assert.Contains("'Animal' is mapped with the TPT inheritance strategy", error.Message);
    }

    public class Author
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public List<Book> Books { get; set; } = [];
    }

    public class Book
    {
        public int Id { get; set; }

        public string Title { get; set; } = "";

        public int AuthorId { get; set; }

        public Author? Author { get; set; }
    }

    public class Animal
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    public class Dog : Animal
    {
        public bool Good { get; set; }
    }

    private sealed class LimitsContext(string path, Action<string>? log = null) : DbContext
    {
        public DbSet<Author> Authors => Set<Author>();

        public DbSet<Book> Books => Set<Book>();

        protected override void OnConfiguring(DbContextOptionsBuilder options)
        {
            options.UseLsm(path);
            if (log is not null)
            {
                options.LogTo(log, [EFCore.Lsm.Diagnostics.LsmEventId.QueryPlanExecuting], Microsoft.Extensions.Logging.LogLevel.Information,
                    Microsoft.EntityFrameworkCore.Diagnostics.DbContextLoggerOptions.None);
            }
        }

        protected override void OnModelCreating(ModelBuilder model)
        {
            model.Entity<Author>().Property(a => a.Id).ValueGeneratedNever();
            model.Entity<Book>().Property(b => b.Id).ValueGeneratedNever();
            model.Entity<Author>().HasIndex(a => a.Name);
        }
    }

    public class Customer
    {
        public int Id { get; set; }

        public Address Address { get; set; } = new();

        public List<Address> Previous { get; set; } = [];
    }

    public class Address
    {
        public string City { get; set; } = "";
    }

    private sealed class HierarchyContext(string path, string? strategy = null) : DbContext, IShapedModel
    {
        public DbSet<Animal> Animals => Set<Animal>();

        public string Shape => strategy ?? "TPH";

        protected override void OnConfiguring(DbContextOptionsBuilder options) =>
            options.UseLsm(path).ReplaceService<IModelCacheKeyFactory, ShapeModelCacheKeyFactory>();

        protected override void OnModelCreating(ModelBuilder model)
        {
            var animal = model.Entity<Animal>();
            animal.Property(a => a.Id).ValueGeneratedNever();
            model.Entity<Dog>();
            if (strategy is not null)
            {
                // The annotation EF's relational UseTptMappingStrategy sets; this provider does not reference EF.Relational.
                animal.Metadata.SetAnnotation("Relational:MappingStrategy", strategy);
            }
        }
    }

    private sealed class UnsupportedModelContext(
        string path, bool owned = false, bool ownedMany = false, bool complex = false, bool ownedIndex = false)
        : DbContext, IShapedModel
    {
        public string Shape => $"{owned} {ownedMany} {complex} {ownedIndex}";

        protected override void OnConfiguring(DbContextOptionsBuilder options) =>
            options.UseLsm(path).ReplaceService<IModelCacheKeyFactory, ShapeModelCacheKeyFactory>();

        protected override void OnModelCreating(ModelBuilder model)
        {
            var customer = model.Entity<Customer>();
            customer.Property(c => c.Id).ValueGeneratedNever();
            if (owned)
            {
                customer.OwnsOne(c => c.Address, a =>
                {
                    if (ownedIndex)
                    {
                        a.HasIndex(x => x.City);
                    }
                });
            }
            else if (complex)
            {
                // Complex properties and complex collections are stored (test/EFCore.Lsm.FunctionalTests/Complex).
                customer.ComplexProperty(c => c.Address);
                customer.ComplexCollection(c => c.Previous);
            }
            else
            {
                customer.Ignore(c => c.Address);
            }

            if (ownedMany)
            {
                customer.OwnsMany(c => c.Previous);
            }
            else if (!complex)
            {
                customer.Ignore(c => c.Previous);
            }
        }
    }

    private interface IShapedModel
    {
        string Shape { get; }
    }

    // EF caches one model per context type; these contexts build several, one per shape.
    private sealed class ShapeModelCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((IShapedModel)context).Shape, designTime);
    }
}
