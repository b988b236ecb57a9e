using EFCore.Lsm.FunctionalTests.Query;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// ExecuteDelete/ExecuteUpdate over the query pipeline's shapes: the rows come from the access path the same query uses
/// (the plan logged is the query's), a table-per-hierarchy set changes only the rows of its types and keeps every other
/// property of them, a foreign key declared on a derived type is kept and followed, and a join that yields an entity
/// more than once changes it once. On the test store, so the etcd suite runs them on a cluster too.
/// </summary>
public sealed class BulkOperationPipelineTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();

    public void Dispose() => _temp.Dispose();

    public class Animal
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public int Age { get; set; }
    }

    public sealed class Dog : Animal
    {
        public bool Good { get; set; }

        public int? OwnerId { get; set; }

        public Owner? Owner { get; set; }
    }

    public sealed class Cat : Animal
    {
        public int Lives { get; set; }
    }

    public sealed class Owner
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public List<Dog> Dogs { get; set; } = [];
    }

    public sealed class ZooContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Animal> Animals => Set<Animal>();

        public DbSet<Owner> Owners => Set<Owner>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Animal>().Property(a => a.Id).ValueGeneratedNever();
            modelBuilder.Entity<Animal>().HasIndex(a => a.Name);
            modelBuilder.Entity<Dog>();
            modelBuilder.Entity<Cat>();
            modelBuilder.Entity<Owner>().Property(o => o.Id).ValueGeneratedNever();
            modelBuilder.Entity<Dog>().HasOne(d => d.Owner).WithMany(o => o.Dogs).HasForeignKey(d => d.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }

    private ZooContext Create(string path) =>
        new(new DbContextOptionsBuilder<ZooContext>().UseTestStore(path).UseLoggerFactory(_log).EnableSensitiveDataLogging().Options);

    private string Seeded()
    {
        var path = _temp.Db();
        using var context = Create(path);
        context.Owners.AddRange(new Owner { Id = 1, Name = "ann" }, new Owner { Id = 2, Name = "bo" });
        for (var i = 1; i <= 12; i++)
        {
            context.Animals.Add(i % 2 == 0
                ? new Dog { Id = i, Name = "d" + i, Age = i, Good = i % 4 == 0, OwnerId = i % 3 == 0 ? null : 1 + (i % 2 == 0 ? i / 2 % 2 : 0) }
                : new Cat { Id = i, Name = "c" + i, Age = i, Lives = 9 });
        }

        context.SaveChanges();
        return path;
    }

    private static string Describe(ZooContext context) =>
        string.Join(
            "\n",
            context.Animals.AsNoTracking().OrderBy(a => a.Id).ToList().Select(a => a switch
            {
                Dog d => $"{d.Id} dog {d.Name} {d.Age} {d.Good} {d.OwnerId?.ToString() ?? "-"}",
                Cat c => $"{c.Id} cat {c.Name} {c.Age} {c.Lives}",
                _ => $"{a.Id} animal {a.Name} {a.Age}",
            }));

    public static TheoryData<string> Shapes() => ["point", "key range", "key list", "index range", "scan"];

    private static IQueryable<Animal> Shape(ZooContext context, string shape) =>
        shape switch
        {
            "point" => context.Animals.Where(a => a.Id == 5),
            "key range" => context.Animals.Where(a => a.Id >= 3 && a.Id < 8),
            "key list" => context.Animals.Where(a => new[] { 2, 7, 11 }.Contains(a.Id)),
            "index range" => context.Animals.Where(a => a.Name == "c3"),
            _ => context.Animals.Where(a => a.Age > 6),
        };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_rows_come_from_the_access_path_of_the_same_query(string shape)
    {
        var path = Seeded();
        using var context = Create(path);
        _log.Clear();
        // Whole entities, as the bulk operations read them (a projection of the key alone is covered by an index).
        var expected = Shape(context, shape).AsNoTracking().ToList().Select(a => a.Id).ToList();
        var queryPlans = _log.Plans;
        Assert.NotEmpty(queryPlans);

        _log.Clear();
        Assert.Equal(expected.Count, Shape(context, shape).ExecuteUpdate(s => s.SetProperty(a => a.Age, a => a.Age + 100)));
        Assert.Equal(queryPlans, _log.Plans);

        _log.Clear();
        Assert.Equal(expected.Count, Shape(context, shape).Where(a => a.Age >= 100).ExecuteDelete());
        Assert.Equal(queryPlans, _log.Plans);
        Assert.Empty(context.Animals.Where(a => expected.Contains(a.Id)).Select(a => a.Id).ToList());
        Assert.Equal(12 - expected.Count, context.Animals.Count());
    }

    [Fact]
    public void A_derived_set_changes_only_its_rows_and_keeps_their_other_properties()
    {
        var path = Seeded();
        using (var context = Create(path))
        {
            Assert.Equal(6, context.Animals.OfType<Dog>().ExecuteUpdate(s => s.SetProperty(d => d.Good, d => !d.Good).SetProperty(d => d.Age, 1)));
            Assert.Equal(3, context.Animals.OfType<Cat>().Where(c => c.Id > 5).ExecuteUpdate(s => s.SetProperty(c => c.Lives, c => c.Lives - 1)));
            Assert.Equal(2, context.Animals.OfType<Cat>().Where(c => c.Id < 5).ExecuteDelete());
            Assert.Equal(12, context.Animals.Where(a => a.Id > 0).ExecuteUpdate(s => s.SetProperty(a => a.Name, a => a.Name + "!")) + 2);
        }

        using var reopened = Create(path);
        Assert.Equal(
            """
            2 dog d2! 1 True 2
            4 dog d4! 1 False 1
            5 cat c5! 5 9
            6 dog d6! 1 True -
            7 cat c7! 7 8
            8 dog d8! 1 False 1
            9 cat c9! 9 8
            10 dog d10! 1 True 2
            11 cat c11! 11 8
            12 dog d12! 1 False -
            """.ReplaceLineEndings("\n"),
            Describe(reopened));
        Assert.True(LsmDatabaseVerifier.Verify(reopened).IsConsistent);
        Assert.Equal(["c11!", "c5!", "c7!", "c9!"], reopened.Animals.Where(a => a.Name.StartsWith("c")).OrderBy(a => a.Name).Select(a => a.Name).ToList());
    }

    [Fact]
    public void A_foreign_key_of_a_derived_type_is_kept_and_cascades()
    {
        var path = Seeded();
        using var context = Create(path);

        var missing = Assert.Throws<DbUpdateException>(() => context.Animals.OfType<Dog>().Where(d => d.Id == 2).ExecuteUpdate(s => s.SetProperty(d => d.OwnerId, 99)));
        Assert.Contains("OwnerId", missing.Message, StringComparison.Ordinal);

        var dogsOfAnn = context.Animals.OfType<Dog>().Count(d => d.OwnerId == 1);
        Assert.True(dogsOfAnn > 0);
        Assert.Equal(1, context.Owners.Where(o => o.Id == 1).ExecuteDelete());
        Assert.Equal(0, context.Animals.OfType<Dog>().Count(d => d.OwnerId == 1));
        Assert.Equal(12 - dogsOfAnn, context.Animals.Count());
        Assert.True(LsmDatabaseVerifier.Verify(context).IsConsistent);
    }

    [Fact]
    public void A_join_that_yields_an_entity_twice_changes_it_once()
    {
        var path = Seeded();
        using var context = Create(path);
        var twice = from a in context.Animals
                    from o in context.Owners
                    where a.Id <= 3
                    select a;
        Assert.Equal(6, twice.Count());
        Assert.Equal(3, twice.ExecuteUpdate(s => s.SetProperty(a => a.Age, a => a.Age + 10)));
        Assert.Equal([11, 12, 13], context.Animals.Where(a => a.Id <= 3).OrderBy(a => a.Id).Select(a => a.Age).ToList());
    }
}
