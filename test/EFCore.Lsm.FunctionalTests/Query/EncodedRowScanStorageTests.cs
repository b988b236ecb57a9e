using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// The scan loop's byte-level filters and typed aggregates (Count, Sum, Min, Max, Average, Any, a filtered ToList) give what
/// LINQ to objects gives wherever the rows are: in the memtable, in tables, after the store is reopened, overwritten or
/// deleted after a flush (newer versions in the memtable shadowing older ones in tables), and in an empty table. Strings
/// hold non-ASCII text, long texts (str8 and str16 forms) and nulls; balances have several scales and nulls.
/// </summary>
public sealed class EncodedRowScanStorageTests : IDisposable
{
    private static readonly string?[] Cities =
        ["Amsterdam", "Zürich", "Kraków", "東京", "🏙 City", null, "", "Amsterdam\0", new string('ø', 40), new string('q', 300)];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public enum Placement
    {
        Memtable,
        Tables,
        Reopened,
        ShadowedInMemtable,
    }

    public static TheoryData<Placement> Placements => [Placement.Memtable, Placement.Tables, Placement.Reopened, Placement.ShadowedInMemtable];

    [Theory]
    [MemberData(nameof(Placements))]
    public void Filters_and_aggregates_match_linq_wherever_the_rows_are(Placement placement)
    {
        var path = _temp.Db();
        var expected = Seed(path, placement);
        using var context = Create(path, placement);
        foreach (var city in Cities.Append("nowhere"))
        {
            var floor = 250.5m;
            Assert.Equal(expected.Count(c => c.City == city), context.Customers.Count(c => c.City == city));
            Assert.Equal(expected.LongCount(c => c.City != city), context.Customers.LongCount(c => c.City != city));
            Assert.Equal(expected.Any(c => c.City == city), context.Customers.Any(c => c.City == city));
            Assert.Equal(
                expected.Where(c => c.City == city).Sum(c => c.Balance),
                context.Customers.Where(c => c.City == city).Sum(c => c.Balance));
            Assert.Equal(
                expected.Where(c => c.City == city).Sum(c => c.Bonus),
                context.Customers.Where(c => c.City == city).Sum(c => c.Bonus));
            Assert.Equal(
                expected.Where(c => c.City == city).Max(c => c.Bonus),
                context.Customers.Where(c => c.City == city).Max(c => c.Bonus));
            Assert.Equal(
                expected.Where(c => c.City == city).Select(c => (long?)c.Visits).Min(),
                context.Customers.Where(c => c.City == city).Select(c => (long?)c.Visits).Min());
            Assert.Equal(
                expected.Where(c => c.City == city).Average(c => (decimal?)c.Balance),
                context.Customers.Where(c => c.City == city).Average(c => (decimal?)c.Balance));
            Assert.Equal(
                expected.Where(c => c.City == city && c.Balance >= floor).Select(c => c.Id).Order(),
                context.Customers.AsNoTracking().Where(c => c.City == city && c.Balance >= floor).ToList().Select(c => c.Id).Order());
            Assert.Equal(
                expected.Where(c => c.City == city && c.Balance >= floor).Select(c => (c.Id, c.City, c.Balance, c.Bonus, c.Visits)).Order(),
                context.Customers.AsNoTracking().Where(c => c.City == city && c.Balance >= floor).ToList()
                    .Select(c => (c.Id, c.City, c.Balance, c.Bonus, c.Visits)).Order());
        }

        Assert.Equal(expected.Count, context.Customers.Count());
        Assert.Equal(expected.Sum(c => c.Balance), context.Customers.Sum(c => c.Balance));
    }

    [Fact]
    public void An_empty_table_counts_zero_sums_zero_and_lists_nothing()
    {
        var path = _temp.Db();
        using var context = Create(path, Placement.Memtable);
        context.Database.EnsureCreated();
        var city = "Zürich";
        Assert.Equal(0, context.Customers.Count(c => c.City == city));
        Assert.False(context.Customers.Any(c => c.City == city));
        Assert.Equal(0m, context.Customers.Where(c => c.City == city).Sum(c => c.Balance));
        Assert.Null(context.Customers.Where(c => c.City == city).Max(c => c.Bonus));
        Assert.Empty(context.Customers.Where(c => c.City == city && c.Balance >= 1m).ToList());
        Assert.Throws<InvalidOperationException>(() => context.Customers.Where(c => c.City == city).Max(c => c.Balance));
    }

    private static List<Customer> Seed(string path, Placement placement)
    {
        var customers = Enumerable.Range(1, 3_000).Select(NewCustomer).ToList();
        using (var context = Create(path, placement))
        {
            Add(context, customers);
        }

        if (placement is Placement.Reopened or Placement.ShadowedInMemtable)
        {
            Assert.True(TestStore.Close(path));
        }

        if (placement is Placement.ShadowedInMemtable)
        {
            // Rows rewritten and removed after the seed went to tables: the scan meets both versions and must see the new.
            using var context = Create(path, placement);
            foreach (var customer in customers.Where(c => c.Id % 7 == 0))
            {
                customer.City = Cities[(customer.Id / 7) % Cities.Length];
                customer.Balance = customer.Id % 3 == 0 ? 1000.000m : customer.Balance + 1;
                customer.Bonus = customer.Id % 2 == 0 ? null : 1;
                context.Update(customer);
            }

            var removed = customers.Where(c => c.Id % 11 == 0).ToList();
            context.RemoveRange(removed);
            context.SaveChanges();
            customers.RemoveAll(removed.Contains);
        }

        return customers.Select(c => c with { }).ToList();
    }

    internal static void Add(CustomerContext context, int from, int count) => Add(context, Enumerable.Range(from + 1, count).Select(NewCustomer));

    private static void Add(CustomerContext context, IEnumerable<Customer> customers)
    {
        foreach (var batch in customers.Chunk(500))
        {
            context.AddRange(batch.Select(c => c with { }));
            context.SaveChanges();
            context.ChangeTracker.Clear();
        }
    }

    private static Customer NewCustomer(int id) => new()
    {
        Id = id,
        City = Cities[(id * 7919) % Cities.Length],
        Balance = (id % 4) switch { 0 => 500m, 1 => 500.00m, 2 => -(id % 1000) / 10m, _ => id * 1.25m },
        Bonus = id % 5 == 0 ? null : id % 100 - 50,
        Visits = id % 13,
    };

    // A small write buffer puts most of a 3,000-row seed in tables; the default keeps it in the memtable.
    internal static CustomerContext Create(string path, Placement placement) =>
        new(new DbContextOptionsBuilder<CustomerContext>()
            .UseTestStore(path, lsm =>
            {
                if (placement is not Placement.Memtable)
                {
                    lsm.WriteBufferSize(64 * 1024);
                }
            })
            .Options);

    public sealed record Customer
    {
        public int Id { get; set; }

        public string? City { get; set; }

        public decimal Balance { get; set; }

        public decimal? Bonus { get; set; }

        public long Visits { get; set; }
    }

    public sealed class CustomerContext(DbContextOptions<CustomerContext> options) : DbContext(options)
    {
        public DbSet<Customer> Customers => Set<Customer>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Customer>().Property(c => c.Id).ValueGeneratedNever();
    }
}
