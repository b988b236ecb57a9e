using System.Text.Json;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// A complex value reached through a subquery's single result (<c>c.Orders.OrderBy(o => o.Id).First().Address</c>): projected
/// as the value, checked against LINQ-to-objects over the same seed, tracking and not.
/// </summary>
public sealed class ComplexSubqueryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Buyer
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public List<Purchase> Purchases { get; set; } = [];
    }

    public class Purchase
    {
        public int Id { get; set; }

        public int BuyerId { get; set; }

        public Place Address { get; set; } = new();

        public Place? Billing { get; set; }
    }

    private sealed class BuyerContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Buyer> Buyers => Set<Buyer>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Buyer>().Property(b => b.Id).ValueGeneratedNever();
            modelBuilder.Entity<Purchase>(b =>
            {
                b.Property(p => p.Id).ValueGeneratedNever();
                b.ComplexProperty(p => p.Address, a => a.ComplexProperty(x => x.Geo));
                b.ComplexProperty(p => p.Billing, a => a.ComplexProperty(x => x.Geo));
            });
        }
    }

    private BuyerContext Open() => new(new DbContextOptionsBuilder<BuyerContext>().UseTestStore(_temp.Db()).Options);

    private static readonly string[] Cities = ["Oslo", "Bergen", "Rome", "Lima"];

    private static Place Place(int i) => new()
    {
        City = Cities[i % Cities.Length],
        Street = i % 2 == 0 ? null : "Street " + i,
        Number = i % 5,
        Kind = (PlaceKind)(i % 3),
        Geo = new Geo { Latitude = i * 1.5, Longitude = -i },
    };

    // Buyers 1..8; buyer b has b % 4 purchases (so some have none), ids chosen so key order differs from insertion order.
    private static List<Buyer> Seed() =>
    [
        .. Enumerable.Range(1, 8).Select(b => new Buyer
        {
            Id = b,
            Name = "B" + b,
            Purchases =
            [
                .. Enumerable.Range(0, b % 4).Select(k => new Purchase
                {
                    Id = b * 10 + (3 - k),
                    BuyerId = b,
                    Address = Place(b * 3 + k),
                    Billing = k % 2 == 0 ? null : Place(b + k),
                }),
            ],
        }),
    ];

    private static IEnumerable<(string Name, Func<IQueryable<Buyer>, object?> Run)> Queries()
    {
        yield return ("first ordered", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).First().Address).ToList());
        yield return ("first by predicate", s => s.Where(b => b.Purchases.Any(p => p.Id % 2 == 0)).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).First(p => p.Id % 2 == 0).Address).ToList());
        yield return ("nested value", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderByDescending(p => p.Id).First().Address.Geo).ToList());
        yield return ("with other members", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => new { b.Id, b.Name, Address = b.Purchases.OrderBy(p => p.Id).First().Address }).ToList());
        yield return ("optional value", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderByDescending(p => p.Id).First().Billing).ToList());
        yield return ("member of it", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).First().Address.City).ToList());
        yield return ("filter by its member", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderBy(p => p.Id).First().Address.City == "Oslo").Select(b => b.Id).ToList());
        yield return ("filter by its nested member", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderBy(p => p.Id).First().Address.Geo.Latitude > 10).Select(b => b.Id).ToList());
        yield return ("order by its member", s => s.Where(b => b.Purchases.Any())
            .OrderBy(b => b.Purchases.OrderBy(p => p.Id).First().Address.Number).ThenBy(b => b.Id).Select(b => b.Id).ToList());
        var place = Place(11);
        yield return ("equal to a parameter", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderBy(p => p.Id).First().Address == place).Select(b => b.Id).ToList());
        yield return ("not equal to a parameter", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderBy(p => p.Id).First().Address != place).Select(b => b.Id).ToList());
        var geo = Place(6).Geo;
        yield return ("nested value equal to a parameter", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderByDescending(p => p.Id).First().Address.Geo == geo).Select(b => b.Id).ToList());
        yield return ("optional is null", s => s.Where(b => b.Purchases.Any())
            .Where(b => b.Purchases.OrderBy(p => p.Id).First().Billing == null).Select(b => b.Id).ToList());
        yield return ("through Select then First", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).Select(p => p.Address).First()).ToList());
        yield return ("the values of a collection subquery", s => s.OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).Select(p => p.Address).ToList()).ToList());
        yield return ("any element value equal to a parameter", s => s.Where(b => b.Purchases.Any(p => p.Address == place)).Select(b => b.Id).ToList());
        yield return ("max of a member", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id).Select(b => b.Purchases.Max(p => p.Address.Number)).ToList());
        yield return ("two subquery values compared", s => s.Where(b => b.Purchases.Any()).OrderBy(b => b.Id)
            .Select(b => b.Purchases.OrderBy(p => p.Id).First().Address == b.Purchases.OrderByDescending(p => p.Id).First().Address).ToList());
        yield return ("its value in a filter of the subquery", s => s.OrderBy(b => b.Id)
            .Select(b => b.Purchases.Where(p => p.Address.City != "Oslo").OrderBy(p => p.Id).Select(p => p.Address.City).FirstOrDefault()).ToList());
    }

    [Fact]
    public void A_complex_value_of_a_subquerys_single_result_is_projected_as_linq_to_objects_does()
    {
        var expected = Seed();
        using (var context = Open())
        {
            context.Buyers.AddRange(Seed());
            context.SaveChanges();
        }

        var failures = new List<string>();
        foreach (var reopen in new[] { false, true })
        {
            if (reopen)
            {
                TestStore.Close(_temp.Db());
            }

            foreach (var tracking in new[] { true, false })
            {
                foreach (var (name, run) in Queries())
                {
                    using var context = Open();
                    var oracle = JsonSerializer.Serialize(run(expected.AsQueryable()));
                    try
                    {
                        var actual = JsonSerializer.Serialize(run(tracking ? context.Buyers : context.Buyers.AsNoTracking()));
                        if (actual != oracle)
                        {
                            failures.Add($"'{name}' (tracking {tracking}, reopened {reopen})\n  expected {oracle}\n  actual   {actual}");
                        }
                    }
                    catch (Exception e)
                    {
                        failures.Add($"'{name}' (tracking {tracking}, reopened {reopen}) threw {e.GetType().Name}: {e.Message}");
                    }

                    // A complex value has no identity: projecting it tracks nothing.
                    if (tracking)
                    {
                        Assert.Empty(context.ChangeTracker.Entries());
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void FirstOrDefault_of_an_empty_subquery_projects_a_null_complex_value()
    {
        using (var context = Open())
        {
            context.Buyers.AddRange(Seed());
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var addresses = context.Buyers.OrderBy(b => b.Id)
                .Select(b => new { b.Id, Address = b.Purchases.OrderBy(p => p.Id).FirstOrDefault()!.Address })
                .ToList();
            Assert.Equal(
                Seed().Select(b => (b.Id, b.Purchases.OrderBy(p => p.Id).FirstOrDefault()?.Address)),
                addresses.Select(a => (a.Id, (Place?)a.Address)));
        }
    }
}
