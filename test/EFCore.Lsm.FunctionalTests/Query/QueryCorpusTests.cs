using System.Linq.Expressions;
using System.Text.Json;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// A corpus of LINQ queries over a seeded data set, each run through the provider and through LINQ-to-objects over the
/// same data (the same expression, on <c>AsQueryable()</c> of the seed lists), then again after the database is reopened.
/// </summary>
public sealed class QueryCorpusTests : IDisposable
{
    private static readonly List<Customer> Customers = SeedCustomers(new Random(7));
    private static readonly List<OrderLine> Lines = SeedLines(new Random(8));
    // Every seed list is in key order, the order a query without OrderBy returns rows in.
    private static readonly List<Tag> Tags =
    [
        .. new[] { "k1", "k10", "k2", "m", "ma", "mb", "n" }.Select((t, i) => new Tag { Id = t, Note = i % 3 == 0 ? null : "note" + (i % 2) }),
    ];

    private readonly TempDirectory _temp = new();

    private static List<Customer> SeedCustomers(Random random)
    {
        string[] names = ["ann", "bo", "cy", "di", "ed"];
        return [.. Enumerable.Range(0, 80).Select(i => new Customer
        {
            Id = random.Next(-500, 500) * 2 + (i % 2),
            Name = names[random.Next(names.Length)] + random.Next(4),
            Balance = Math.Round((decimal)(random.NextDouble() * 200 - 50), 2),
            Version = random.Next(4),
        }).DistinctBy(c => c.Id).OrderBy(c => c.Id)];
    }

    private static List<OrderLine> SeedLines(Random random) =>
        [.. from o in Enumerable.Range(1, 15) from s in new[] { "a", "ab", "b", "ba", "bb", "c" }
            where random.Next(3) > 0
            select new OrderLine { OrderId = o, Sku = s, Quantity = random.Next(1, 50) }];

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public QueryCorpusTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        using var context = TestContext.Create(_temp.Db());
        context.AddRange(Customers);
        context.AddRange(Lines);
        context.AddRange(Tags);
        context.SaveChanges();
    }

    public void Dispose() => _temp.Dispose();

    private static readonly int Low = -200;
    private static readonly int High = 300;

    /// <summary>Filters combined with every shape below.</summary>
    private static readonly Expression<Func<Customer, bool>>[] CustomerFilters =
    [
        c => true,
        c => c.Id == Customers[3].Id,
        c => c.Id == 123456,
        c => c.Id > 0,
        c => c.Id >= Low && c.Id < High,
        c => c.Id <= -100,
        c => 0 < c.Id && c.Id <= 250 && c.Version == 2,
        c => c.Name.StartsWith("b"),
        c => c.Name.Contains("1") || c.Balance < 0,
        c => c.Name.ToUpper() == "ED2",
        c => c.Balance > 20.5m && c.Balance <= 100m,
        c => Math.Abs(c.Balance) < 10m,
        c => c.Id % 3 == 1,
        c => new[] { 1, 2, 3, Customers[5].Id, Customers[9].Id }.Contains(c.Id),
        c => c.Name.Length == 3 && !c.Name.EndsWith("0"),
        c => c.Version != 0 && c.Id > -300,
        c => c.Name.Substring(1, 1) == "d",
    ];

    private static readonly (string Name, Func<IQueryable<Customer>, object?> Run)[] CustomerShapes =
    [
        ("entities by key", q => q.OrderBy(c => c.Id).ToList()),
        ("count", q => q.Count()),
        ("names distinct", q => q.Select(c => c.Name).Distinct().OrderBy(n => n).ToList()),
        ("top 3 by key descending", q => q.OrderByDescending(c => c.Id).Take(3).Select(c => c.Id).ToList()),
        ("sum and max", q => new[] { q.Sum(c => c.Balance), q.Select(c => (decimal?)c.Balance).Max() ?? -1m }),
        ("projection page", q => q.OrderBy(c => c.Name).ThenByDescending(c => c.Id).Skip(2).Take(5).Select(c => new { c.Id, Upper = c.Name.ToUpper(), Double = c.Balance * 2 }).ToList()),
        ("any and all", q => new[] { q.Any(), q.All(c => c.Version < 3), q.Any(c => c.Balance > 90m) }),
        ("first or default", q => q.OrderBy(c => c.Id).Select(c => c.Id).FirstOrDefault()),
    ];

    private static readonly (string Name, Func<TestContext, IQueryable<OrderLine>, IQueryable<Tag>, object?> Run)[] OtherQueries =
    [
        ("lines of order 4", (_, l, _) => l.Where(x => x.OrderId == 4).ToList()),
        ("lines of order 4 from b", (_, l, _) => l.Where(x => x.OrderId == 4 && x.Sku.StartsWith("b")).ToList()),
        ("line point", (_, l, _) => l.Where(x => x.OrderId == 7 && x.Sku == "ab").Select(x => x.Quantity).ToList()),
        ("lines of orders 3..6", (_, l, _) => l.Where(x => x.OrderId >= 3 && x.OrderId <= 6).OrderBy(x => x.OrderId).Select(x => x.OrderId * 100 + x.Quantity).ToList()),
        ("lines by key desc", (_, l, _) => l.OrderByDescending(x => x.OrderId).ThenByDescending(x => x.Sku).Select(x => x.Sku + x.OrderId).ToList()),
        ("line quantity stats", (_, l, _) => new[] { l.Sum(x => x.Quantity), l.Min(x => x.Quantity), l.Max(x => x.Quantity) }),
        ("line average", (_, l, _) => l.Where(x => x.Sku != "c").Average(x => x.Quantity)),
        ("line long count", (_, l, _) => l.LongCount(x => x.Quantity > 20)),
        ("single line", (_, l, _) => l.Where(x => x.Quantity > 48).Select(x => x.OrderId).OrderBy(x => x).FirstOrDefault()),
        ("last line", (_, l, _) => l.OrderBy(x => x.OrderId).ThenBy(x => x.Quantity).Last().Quantity),
        ("sku contains", (_, l, _) => l.Select(x => x.Sku).Contains("bb")),
        ("element at", (_, l, _) => l.OrderBy(x => x.Quantity).ThenBy(x => x.OrderId).ThenBy(x => x.Sku).Select(x => x.Quantity).ElementAt(3)),
        ("tags from m", (_, _, t) => t.Where(x => x.Id.StartsWith("m")).Select(x => x.Id).ToList()),
        ("tags with note", (_, _, t) => t.Where(x => x.Note != null).Select(x => x.Id + ":" + x.Note).ToList()),
        ("tags null note", (_, _, t) => t.Count(x => x.Note == null)),
        ("tag point", (_, _, t) => t.Where(x => x.Id == "k10").ToList()),
        ("tag keys", (_, _, t) => t.Where(x => new List<string> { "k2", "n", "zz" }.Contains(x.Id)).Select(x => x.Id).ToList()),
        ("tag lengths", (_, _, t) => t.Select(x => x.Id.Length).Distinct().OrderBy(x => x).ToList()),
        ("tags ordered", (_, _, t) => t.OrderBy(x => x.Note).ThenBy(x => x.Id).Select(x => x.Id).ToList()),
        ("tag reverse", (_, _, t) => t.Select(x => x.Id).Reverse().ToList()),
    ];

    [Fact]
    public void The_corpus_has_at_least_100_queries() =>
        Assert.True(CustomerFilters.Length * CustomerShapes.Length + OtherQueries.Length >= 100);

    [Fact]
    public void Every_query_matches_linq_to_objects_and_again_after_reopening()
    {
        var expected = new List<string>();
        var failures = new List<string>();
        for (var pass = 0; pass < 2; pass++)
        {
            // Each pass opens the database afresh: the first context after the seeding one reopens it from disk.
            using var context = TestContext.Create(_temp.Db());
            var index = 0;
            foreach (var filter in CustomerFilters)
            {
                foreach (var (name, run) in CustomerShapes)
                {
                    Check($"{filter} | {name}", () => run(context.Customers.Where(filter)), () => run(Customers.AsQueryable().Where(filter)));
                }
            }

            foreach (var (name, run) in OtherQueries)
            {
                Check(name, () => run(context, context.OrderLines, context.Tags), () => run(context, Lines.AsQueryable(), Tags.AsQueryable()));
            }

            void Check(string name, Func<object?> actual, Func<object?> reference)
            {
                var want = Serialize(reference);
                var got = Serialize(actual);
                if (got != want)
                {
                    failures.Add($"pass {pass}: {name}\n  expected {want}\n  actual   {got}");
                }

                if (pass == 0)
                {
                    expected.Add(got);
                }
                else if (expected[index] != got)
                {
                    failures.Add($"after reopen: {name}");
                }

                index++;
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(expected.Count >= 100, $"the corpus should hold at least 100 queries, it holds {expected.Count}");
        _output.WriteLine($"{expected.Count} queries, each matching LINQ to objects, before and after reopening");
    }

    private static string Serialize(Func<object?> run)
    {
        try
        {
            return JsonSerializer.Serialize(run());
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Sequence contains", StringComparison.Ordinal))
        {
            return "throws: " + e.Message;
        }
    }
}
