using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

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

    public static TheoryData<string> UntranslatedQueries =>
    [
        "Include", "navigation", "join", "GroupBy", "Union", "Concat", "subquery", "Like", "ExecuteDelete", "ExecuteUpdate",
    ];

    [Theory]
    [MemberData(nameof(UntranslatedQueries))]
    public void Query_shape_is_refused(string shape)
    {
        using var db = new LimitsContext(_temp.Db());
        Action query = shape switch
        {
            "Include" => () => db.Authors.Include(a => a.Books).ToList(),
            "navigation" => () => db.Books.Select(b => b.Author!.Name).ToList(),
            "join" => () => db.Books.Join(db.Authors, b => b.AuthorId, a => a.Id, (b, a) => a.Name).ToList(),
            "GroupBy" => () => db.Authors.GroupBy(a => a.Name).Select(g => g.Count()).ToList(),
            "Union" => () => db.Authors.Where(a => a.Id == 1).Union(db.Authors.Where(a => a.Id == 2)).ToList(),
            "Concat" => () => db.Authors.Where(a => a.Id == 1).Concat(db.Authors.Where(a => a.Id == 2)).ToList(),
            "subquery" => () => db.Authors.Where(a => db.Books.Any(b => b.AuthorId == a.Id)).ToList(),
            "Like" => () => db.Authors.Where(a => EF.Functions.Like(a.Name, "a%")).ToList(),
            "ExecuteDelete" => () => db.Authors.Where(a => a.Id == 2).ExecuteDelete(),
            "ExecuteUpdate" => () => db.Authors.Where(a => a.Id == 2).ExecuteUpdate(s => s.SetProperty(a => a.Name, "x")),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };

        var error = Assert.ThrowsAny<InvalidOperationException>(query);
        Assert.Contains(
            shape switch
            {
                "ExecuteDelete" or "ExecuteUpdate" => "are not supported by the current database provider",
                "Like" => "is not supported because the query has switched to client-evaluation",
                _ => "could not be translated",
            },
            error.Message);
    }

    [Fact]
    public void Queries_do_not_read_through_indexes_yet()
    {
        var plans = new List<string>();
        using var db = new LimitsContext(_temp.Db(), log: plans.Add);
        Assert.Equal(["ada"], db.Authors.Where(a => a.Name == "ada").Select(a => a.Name).ToList());
        Assert.StartsWith("full scan", Assert.Single(plans).Trim());
    }

    [Fact]
    public void Foreign_keys_are_not_enforced_and_deletes_do_not_cascade_in_the_database()
    {
        using (var db = new LimitsContext(_temp.Db()))
        {
            db.Add(new Book { Id = 2, Title = "orphan", AuthorId = 99 });
            db.SaveChanges();
        }

        using (var db = new LimitsContext(_temp.Db()))
        {
            db.Remove(db.Authors.Find(1)!);
            db.SaveChanges();
        }

        using (var db = new LimitsContext(_temp.Db()))
        {
            Assert.Equal([1, 2], db.Books.OrderBy(b => b.Id).Select(b => b.Id).ToList());
        }
    }

    [Fact]
    public void Inheritance_is_refused_by_the_model_validator()
    {
        // Regression: a Dog was saved in a keyspace of its own and a query of Animals returned nothing.
        using var db = new HierarchyContext(_temp.Db("tph"));
        var error = Assert.Throws<InvalidOperationException>(() => db.Model);
        Assert.Contains("'Dog' derives from 'Animal'", error.Message);
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

    private sealed class HierarchyContext(string path) : DbContext
    {
        public DbSet<Animal> Animals => Set<Animal>();

        protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);

        protected override void OnModelCreating(ModelBuilder model)
        {
            model.Entity<Animal>().Property(a => a.Id).ValueGeneratedNever();
            model.Entity<Dog>();
        }
    }
}
