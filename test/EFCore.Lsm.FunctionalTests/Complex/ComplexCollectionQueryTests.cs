using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Queries over complex collections: the collection projected whole, and Any/All/Count/Sum/Max/Where/Select/OrderBy over it
/// inside a Where, a Select or an OrderBy, each run on the provider (tracking and no-tracking, before and after reopening and
/// after changes) and on LINQ-to-objects over the same seed, which must agree.
/// </summary>
public sealed class ComplexCollectionQueryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Basket
    {
        public int Id { get; set; }

        public string Owner { get; set; } = "";

        public List<Item> Items { get; set; } = [];

        public List<Tag>? Tags { get; set; }
    }

    public class Item
    {
        public string Name { get; set; } = "";

        public int Count { get; set; }

        public decimal? Price { get; set; }

        public Dim Dim { get; set; } = new();
    }

    public class Dim
    {
        public double Width { get; set; }
    }

    public class Tag
    {
        public string Label { get; set; } = "";
    }

    private sealed class BasketContext(string path, Query.QueryLog? log = null) : DbContext
    {
        public DbSet<Basket> Baskets => Set<Basket>();

        protected override void OnConfiguring(DbContextOptionsBuilder options)
        {
            TestStore.Backend.Configure(options, path);
            if (log is not null)
            {
                // Its own service provider, so the query is compiled (and its plan logged) afresh.
                options.UseLoggerFactory(log).EnableServiceProviderCaching(false);
            }
        }

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var basket = modelBuilder.Entity<Basket>();
            basket.Property(b => b.Id).ValueGeneratedNever();
            basket.ComplexCollection(b => b.Items, i => i.ComplexProperty(x => x.Dim));
            basket.ComplexCollection(b => b.Tags).IsRequired(false);
        }
    }

    private static List<Basket> Seed() =>
    [
        new()
        {
            Id = 1, Owner = "ann",
            Items = [NewItem("apple", 3, 1.5m, 0.5), NewItem("pear", 1, null, 2), NewItem("apple", 2, 0.25m, 1)],
            Tags = [new Tag { Label = "fruit" }, new Tag { Label = "fresh" }],
        },
        new() { Id = 2, Owner = "bob", Items = [], Tags = [] },
        new() { Id = 3, Owner = "cid", Items = [NewItem("nut", 10, 4m, 0.1)], Tags = null },
        new() { Id = 4, Owner = "dee", Items = [NewItem("fig", 1, 2m, 3), NewItem("date", 1, 2m, 3)], Tags = [new Tag { Label = "dry" }] },
        new() { Id = 5, Owner = "eve", Items = [NewItem("kiwi", 0, null, 0)], Tags = null },
        new() { Id = 6, Owner = "fay", Items = [NewItem("plum", 4, 1m, 1.5), NewItem("apple", 5, 1m, 0.75), NewItem("lime", 2, 3m, 0.5)], Tags = [] },
    ];

    private static Item NewItem(string name, int count, decimal? price, double width) =>
        new() { Name = name, Count = count, Price = price, Dim = new Dim { Width = width } };

    private static Basket Clone(Basket basket) => new()
    {
        Id = basket.Id,
        Owner = basket.Owner,
        Items = [.. basket.Items.Select(i => NewItem(i.Name, i.Count, i.Price, i.Dim.Width))],
        Tags = basket.Tags?.Select(t => new Tag { Label = t.Label }).ToList(),
    };

    /// <summary>The queries, each giving rows as text so one comparison covers scalars, lists and elements.</summary>
    private static readonly (string Name, Func<IQueryable<Basket>, IEnumerable<string>> Run)[] Queries =
    [
        ("Where Any", q => q.Where(b => b.Items.Any()).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Any predicate", q => q.Where(b => b.Items.Any(i => i.Count > 2)).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Any nested member", q => q.Where(b => b.Items.Any(i => i.Dim.Width >= 2)).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where All", q => q.Where(b => b.Items.All(i => i.Price != null)).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where List.Count", q => q.Where(b => b.Items.Count > 1).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Count()", q => q.Where(b => b.Items.Count() == 1).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Count predicate", q => q.Where(b => b.Items.Count(i => i.Name == "apple") >= 1).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Where Any", q => q.Where(b => b.Items.Where(i => i.Price > 1m).Any()).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where Sum", q => q.Where(b => b.Items.Sum(i => i.Count) > 3).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where optional Any", q => q.Where(b => b.Tags != null && b.Tags.Any(t => t.Label.StartsWith("fr"))).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where optional null", q => q.Where(b => b.Tags == null).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Where ordered first", q => q.Where(b => b.Items.Any() && b.Items.OrderBy(i => i.Count).ThenBy(i => i.Name).First().Name == "apple")
            .OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Select List.Count", q => q.OrderBy(b => b.Id).Select(b => new { b.Id, b.Items.Count }).AsEnumerable().Select(x => $"{x.Id}:{x.Count}")),
        ("Select Count predicate", q => q.OrderBy(b => b.Id).Select(b => b.Items.Count(i => i.Count >= 2)).AsEnumerable().Select(x => x.ToString())),
        ("Select names", q => q.OrderBy(b => b.Id).Select(b => b.Items.Select(i => i.Name).ToList()).AsEnumerable().Select(x => string.Join(",", x))),
        ("Select filtered members", q => q.OrderBy(b => b.Id).Select(b => b.Items.Where(i => i.Count > 1).Select(i => i.Count).ToList())
            .AsEnumerable().Select(x => string.Join(",", x))),
        ("Select ordered inside", q => q.OrderBy(b => b.Id)
            .Select(b => b.Items.OrderBy(i => i.Name).ThenByDescending(i => i.Count).Select(i => i.Name + i.Count).ToList())
            .AsEnumerable().Select(x => string.Join(",", x))),
        ("Select Max", q => q.OrderBy(b => b.Id).Select(b => b.Items.Max(i => (int?)i.Count)).AsEnumerable().Select(x => x?.ToString() ?? "null")),
        ("Select Sum nested", q => q.OrderBy(b => b.Id).Select(b => b.Items.Sum(i => i.Dim.Width)).AsEnumerable().Select(x => x.ToString("R"))),
        ("Select Sum nullable", q => q.OrderBy(b => b.Id).Select(b => b.Items.Sum(i => i.Price)).AsEnumerable().Select(x => x?.ToString() ?? "null")),
        ("Select first element", q => q.OrderBy(b => b.Id).Select(b => b.Items.FirstOrDefault()).AsEnumerable()
            .Select(i => i == null ? "none" : $"{i.Name}/{i.Count}/{i.Price}/{i.Dim.Width}")),
        ("Select whole collection", q => q.OrderBy(b => b.Id).Select(b => b.Items).AsEnumerable()
            .Select(x => string.Join(",", x.Select(i => $"{i.Name}/{i.Count}/{i.Price}/{i.Dim.Width}")))),
        ("Select optional whole", q => q.OrderBy(b => b.Id).Select(b => new { b.Id, b.Tags }).AsEnumerable()
            .Select(x => x.Id + ":" + (x.Tags is null ? "null" : string.Join(",", x.Tags.Select(t => t.Label))))),
        ("OrderBy Count", q => q.OrderByDescending(b => b.Items.Count).ThenBy(b => b.Id).Select(b => b.Owner)),
        ("OrderBy Sum", q => q.OrderBy(b => b.Items.Sum(i => i.Count)).ThenBy(b => b.Id).Select(b => b.Owner)),
        ("Skip Take inside", q => q.OrderBy(b => b.Id).Select(b => b.Items.Skip(1).Take(1).Select(i => i.Name).FirstOrDefault())
            .AsEnumerable().Select(x => x ?? "none")),
        ("Parameter inside", q =>
        {
            var least = 2;
            return q.Where(b => b.Items.Count(i => i.Count >= least) >= 2).OrderBy(b => b.Id).Select(b => b.Owner);
        }),
        ("Outer value inside", q => q.Where(b => b.Items.Any(i => i.Name.Length == b.Owner.Length + 1)).OrderBy(b => b.Id).Select(b => b.Owner)),
        ("Join then collection", q => q.Join(q, a => a.Id, b => b.Id + 1, (a, b) => new { a.Id, Count = b.Items.Count, First = b.Items.Select(i => i.Name).FirstOrDefault() })
            .OrderBy(x => x.Id).AsEnumerable().Select(x => $"{x.Id}:{x.Count}:{x.First}")),
        ("Entities with elements", q => q.Where(b => b.Items.Any(i => i.Name == "apple")).OrderBy(b => b.Id).AsEnumerable()
            .Select(b => b.Id + ":" + string.Join(",", b.Items.Select(i => i.Name + i.Count)))),
    ];

    private void AssertQueries(List<Basket> seed, string when)
    {
        var expected = Queries.Select(q => q.Run(seed.AsQueryable()).ToList()).ToList();
        var failures = new List<string>();
        foreach (var tracking in new[] { true, false })
        {
            using var context = new BasketContext(_temp.Db());
            var source = tracking ? context.Baskets : context.Baskets.AsNoTracking();
            for (var i = 0; i < Queries.Length; i++)
            {
                var name = $"{Queries[i].Name} ({when}, tracking {tracking})";
                try
                {
                    var actual = Queries[i].Run(source).ToList();
                    if (!expected[i].SequenceEqual(actual))
                    {
                        failures.Add($"{name}: expected [{string.Join("; ", expected[i])}], got [{string.Join("; ", actual)}]");
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Comparisons_of_elements_or_collections_by_value_are_refused_naming_the_shape_never_answered_by_reference()
    {
        using (var context = new BasketContext(_temp.Db()))
        {
            context.Baskets.AddRange(Seed().Select(Clone));
            context.SaveChanges();
        }

        using var db = new BasketContext(_temp.Db());
        var item = NewItem("apple", 3, 1.5m, 0.5);
        var dim = new Dim { Width = 0.5 };
        var items = new List<Item> { item };
        var refusals = new (string Shape, Action Run)[]
        {
            ("Contains over the elements", () => db.Baskets.Where(b => b.Items.Contains(item)).ToList()),
            ("Distinct over the elements", () => db.Baskets.Select(b => b.Items.Distinct().Count()).ToList()),
            // EF makes Any(i => i == item) into Contains(item).
            ("Contains over the elements", () => db.Baskets.Where(b => b.Items.Any(i => i == item)).ToList()),
            ("an equality between elements", () => db.Baskets.Where(b => b.Items.Any(i => i == item || i.Count > 100)).ToList()),
            ("an equality between elements", () => db.Baskets.Where(b => b.Items.Any(i => i.Dim == dim)).ToList()),
            ("an equality of a complex collection", () => db.Baskets.Where(b => b.Items == items).ToList()),
        };

        foreach (var (shape, run) in refusals)
        {
            var error = Assert.Throws<InvalidOperationException>(run);
            Assert.Contains("could not be translated", error.Message);
            Assert.True(error.Message.Contains(shape, StringComparison.Ordinal), error.Message);
        }

        // Members compare as values; an element's members against a parameter's are the way to find one.
        Assert.Equal(
            [1],
            db.Baskets.Where(b => b.Items.Any(i => i.Name == item.Name && i.Count == item.Count)).Select(b => b.Id).ToList());
    }

    [Fact]
    public async Task A_complex_collection_of_a_subquery_result_is_read_or_refused_naming_it_and_async_queries_read_elements()
    {
        var seed = Seed();
        using (var context = new BasketContext(_temp.Db()))
        {
            context.Baskets.AddRange(seed.Select(Clone));
            context.SaveChanges();
        }

        using var db = new BasketContext(_temp.Db());
        var expected = seed.Select(_ => seed.OrderBy(x => x.Id).First().Items.Count).ToList();
        try
        {
            Assert.Equal(expected, db.Baskets.Select(b => db.Baskets.OrderBy(x => x.Id).First().Items.Count).ToList());
        }
        catch (InvalidOperationException e)
        {
            Assert.True(e.Message.Contains("could not be translated", StringComparison.Ordinal), e.Message);
        }

        var owners = await db.Baskets.Where(b => b.Items.Any(i => i.Count > 2)).OrderBy(b => b.Id).Select(b => b.Owner).ToListAsync();
        Assert.Equal(seed.Where(b => b.Items.Any(i => i.Count > 2)).Select(b => b.Owner), owners);
    }

    [Fact]
    public void A_scalar_condition_beside_a_collection_predicate_is_tested_on_the_stored_row_before_it_is_decoded()
    {
        var seed = Seed();
        using (var context = new BasketContext(_temp.Db()))
        {
            context.Baskets.AddRange(seed.Select(Clone));
            context.SaveChanges();
        }

        var log = new Query.QueryLog(Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.QueryExecutionPlanned.Id);
        using (var context = new BasketContext(_temp.Db(), log))
        {
            var owner = "fay";
            Assert.Equal(
                seed.Where(b => b.Owner == owner && b.Items.Any(i => i.Count > 4)).Select(b => b.Id),
                context.Baskets.Where(b => b.Owner == owner && b.Items.Any(i => i.Count > 4)).Select(b => b.Id).ToList());
            Assert.Equal(
                seed.Count(b => b.Id > 2 && b.Items.Count > 1),
                context.Baskets.Count(b => b.Id > 2 && b.Items.Count > 1));
        }

        // The scan's loop tests the scalar conjunct on the encoded row (LsmRowFilter) and decodes only the rows that pass it,
        // to run the collection predicate on their elements; no Where is left over the decoded rows.
        var plans = log.Plans;
        Assert.Equal(2, plans.Count);
        Assert.All(plans, p => Assert.True(p.Contains("LsmRowFilter", StringComparison.Ordinal) && !p.Contains("Where(", StringComparison.Ordinal), p));

        // The residual, run on decoded rows, is the collection predicate alone.
        var residual = plans[0][plans[0].IndexOf("residual:", StringComparison.Ordinal)..];
        Assert.True(residual.Contains("Any(", StringComparison.Ordinal) && !residual.Contains("Basket.Owner", StringComparison.Ordinal), plans[0]);
        residual = plans[1][plans[1].LastIndexOf("row =>", StringComparison.Ordinal)..];
        Assert.True(residual.Contains("Count()", StringComparison.Ordinal) && !residual.Contains("Basket.Id", StringComparison.Ordinal), plans[1]);
    }

    [Fact]
    public void Queries_over_complex_collections_match_LINQ_to_objects_before_and_after_reopening_and_after_changes()
    {
        var seed = Seed();
        using (var context = new BasketContext(_temp.Db()))
        {
            context.Baskets.AddRange(seed.Select(Clone));
            context.SaveChanges();
        }

        AssertQueries(seed, "written");
        TestStore.Close(_temp.Db());
        AssertQueries(seed, "reopened");

        using (var context = new BasketContext(_temp.Db()))
        {
            var baskets = context.Baskets.OrderBy(b => b.Id).ToList();
            baskets[1].Items.Add(NewItem("apple", 7, 5m, 2.5));
            baskets[0].Items.RemoveAt(0);
            baskets[3].Items[1].Count = 9;
            baskets[4].Tags = [new Tag { Label = "frozen" }];
            context.SaveChanges();
        }

        seed[1].Items.Add(NewItem("apple", 7, 5m, 2.5));
        seed[0].Items.RemoveAt(0);
        seed[3].Items[1].Count = 9;
        seed[4].Tags = [new Tag { Label = "frozen" }];
        AssertQueries(seed, "changed");
        TestStore.Close(_temp.Db());
        AssertQueries(seed, "changed and reopened");
    }
}
