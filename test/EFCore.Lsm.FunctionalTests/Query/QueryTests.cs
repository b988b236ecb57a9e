using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

public sealed class QueryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();
    private readonly List<Customer> _customers;
    private readonly List<OrderLine> _lines;
    private readonly List<Tag> _tags;

    public QueryTests()
    {
        var random = new Random(42);
        string[] names = ["alice", "Bob", "carol", "dave", "Eve", "frank", "grace", "heidi"];
        _customers = [.. Enumerable.Range(1, 60).Select(i => new Customer
        {
            Id = i * 3 - 20,
            Name = names[random.Next(names.Length)] + (i % 7),
            Balance = Math.Round((decimal)(random.NextDouble() * 1000 - 300), 2),
            Version = random.Next(5),
        })];
        _lines = [.. from o in Enumerable.Range(1, 12) from s in new[] { "a", "ab", "b", "b\0", "ba", "c" }
            where (o + s.Length) % 5 != 0
            select new OrderLine { OrderId = o, Sku = s, Quantity = o * 10 + s.Length }];
        _tags = [.. new[] { "x", "xa", "xb", "y", "ya", "", "z\u00e9" }.Select((t, i) => new Tag { Id = t, Note = i % 2 == 0 ? null : "n" + i })];

        using var context = Create();
        context.AddRange(_customers);
        context.AddRange(_lines);
        context.AddRange(_tags);
        context.SaveChanges();
        _log.Clear();
    }

    public void Dispose() => _temp.Dispose();

    private TestContext Create() => TestContext.Create(_temp.Db(), b => b.UseLoggerFactory(_log).EnableSensitiveDataLogging());

    private static IOrderedEnumerable<Customer> ById(IEnumerable<Customer> c) => c.OrderBy(x => x.Id);

    [Fact]
    public void Root_query_materializes_every_entity_with_tracking()
    {
        using var context = Create();
        var all = context.Customers.ToList();
        Assert.Equal(_customers.Select(c => (c.Id, c.Name, c.Balance, c.Version)).OrderBy(t => t.Id),
            all.Select(c => (c.Id, c.Name, c.Balance, c.Version)).OrderBy(t => t.Id));
        Assert.Equal(60, context.ChangeTracker.Entries<Customer>().Count());
        Assert.All(context.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Unchanged, e.State));

        // Identity resolution: the second query returns the tracked instances.
        var again = context.Customers.Where(c => c.Id == all[3].Id).Single();
        Assert.Same(all[3], again);
        Assert.Equal("full scan Customer", _log.Plans[0]);
    }

    [Fact]
    public void No_tracking_queries_track_nothing_and_identity_resolution_shares_instances()
    {
        using var context = Create();
        var list = context.Customers.AsNoTracking().ToList();
        Assert.Equal(60, list.Count);
        Assert.Empty(context.ChangeTracker.Entries());

        var resolved = context.Customers.AsNoTrackingWithIdentityResolution().Where(c => c.Id < 0).ToList();
        Assert.Equal(_customers.Count(c => c.Id < 0), resolved.Count);
        Assert.Empty(context.ChangeTracker.Entries());
    }

    [Fact]
    public void Projections_do_not_track_entities()
    {
        using var context = Create();
        var names = context.Customers.Select(c => c.Name).ToList();
        Assert.Equal(60, names.Count);
        Assert.Empty(context.ChangeTracker.Entries());

        var pairs = context.Customers.Select(c => new { c, c.Name }).ToList();
        Assert.All(pairs, p => Assert.Equal(p.c.Name, p.Name));
        Assert.Equal(60, context.ChangeTracker.Entries().Count());
    }

    [Fact]
    public void Find_reads_by_point_get_and_returns_tracked_instances()
    {
        using var context = Create();
        var customer = context.Customers.Find(_customers[5].Id);
        Assert.NotNull(customer);
        Assert.Equal(_customers[5].Name, customer.Name);
        Assert.Same(customer, context.Customers.Find(_customers[5].Id));
        Assert.Null(context.Customers.Find(-1000));
        Assert.Equal($"point get Customer ({_customers[5].Id})", _log.Plans[0]);

        var line = context.OrderLines.Find(4, "b\0");
        Assert.NotNull(line);
        Assert.Equal("b\0", line.Sku);
        Assert.Null(context.Tags.Find("nope"));
        Assert.Equal("", context.Tags.Find("")!.Id);
    }

    [Fact]
    public async Task FindAsync_and_async_operators_work()
    {
        await using var context = Create();
        var customer = await context.Customers.FindAsync(_customers[7].Id);
        Assert.Equal(_customers[7].Name, customer!.Name);
        Assert.Equal(60, await context.Customers.CountAsync());
        Assert.Equal(_customers.Where(c => c.Balance > 0).Sum(c => c.Balance),
            await context.Customers.Where(c => c.Balance > 0).SumAsync(c => c.Balance));
        Assert.Equal(_customers.Min(c => c.Id), (await context.Customers.OrderBy(c => c.Id).FirstAsync()).Id);
        Assert.True(await context.Customers.AnyAsync(c => c.Name.StartsWith("a")));

        var streamed = new List<int>();
        await foreach (var c in context.Customers.AsNoTracking().Where(c => c.Id > 10).AsAsyncEnumerable())
        {
            streamed.Add(c.Id);
        }

        Assert.Equal(_customers.Where(c => c.Id > 10).Select(c => c.Id).Order(), streamed);
        Assert.Equal(ById(_customers).Select(c => c.Name).ToList(), await context.Customers.OrderBy(c => c.Id).Select(c => c.Name).ToListAsync());
    }

    [Fact]
    public void Single_and_first_follow_linq_semantics()
    {
        using var context = Create();
        Assert.Throws<InvalidOperationException>(() => context.Customers.Single());
        Assert.Throws<InvalidOperationException>(() => context.Customers.First(c => c.Id == 10_000));
        Assert.Null(context.Customers.FirstOrDefault(c => c.Id == 10_000));
        Assert.Null(context.Customers.SingleOrDefault(c => c.Id == 10_000));
        Assert.Throws<InvalidOperationException>(() => context.Customers.Select(c => c.Balance).Min(b => b + 10_000 > 0 ? b : b) * 0 + context.Customers.Where(c => c.Id > 10_000).Min(c => c.Balance));
        Assert.Equal(0, context.Customers.Where(c => c.Id > 10_000).Select(c => c.Id).FirstOrDefault());
        Assert.Equal(_customers.Max(c => c.Id), context.Customers.OrderBy(c => c.Id).Last().Id);
        Assert.Equal(_customers.OrderBy(c => c.Name).ThenBy(c => c.Id).Last().Id, context.Customers.OrderBy(c => c.Name).ThenBy(c => c.Id).Last().Id);
    }

    [Fact]
    public void Untranslatable_operators_fail_with_efs_translation_error()
    {
        using var context = Create();
        var e = Assert.Throws<InvalidOperationException>(() => context.Customers.OrderBy(c => c.Id).TakeWhile(c => c.Balance > 0).ToList());
        Assert.Contains("could not be translated", e.Message);
        Assert.Contains("TakeWhile", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => context.Customers.OrderBy(c => c.Id).SkipWhile(c => c.Balance > 0).ToList());
        Assert.Contains("SkipWhile", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => context.Customers.Where(c => Describe(c) == "x").ToList());
        Assert.Contains("could not be translated", e.Message);
    }

    private static string Describe(Customer c) => c.Name;

    [Fact]
    public void Queries_in_a_transaction_see_its_snapshot_and_own_writes_in_key_order()
    {
        using var context = Create();
        using var transaction = context.Database.BeginTransaction();
        var victim = context.Customers.Single(c => c.Id == _customers[0].Id);
        context.Remove(victim);
        context.Add(new Customer { Id = 1000, Name = "new" });
        context.Add(new Customer { Id = -1000, Name = "first" });
        context.Add(new Customer { Id = 2, Name = "between" });
        context.SaveChanges();

        // Another context commits after the transaction's snapshot: not visible inside it.
        using (var other = Create())
        {
            other.Add(new Customer { Id = 5000, Name = "outside" });
            other.SaveChanges();
        }

        var expected = _customers.Select(c => c.Id).Where(id => id != _customers[0].Id).Append(1000).Append(-1000).Append(2).Order().ToList();
        Assert.Equal(expected, context.Customers.AsNoTracking().Select(c => c.Id).ToList());
        Assert.Equal(expected.AsEnumerable().Reverse(), context.Customers.OrderByDescending(c => c.Id).Select(c => c.Id).ToList());
        Assert.Equal([-1000], context.Customers.Where(c => c.Id < -100).Select(c => c.Id).ToList());
        Assert.Null(context.Customers.AsNoTracking().FirstOrDefault(c => c.Id == 5000));
        transaction.Rollback();
        Assert.NotNull(context.Customers.AsNoTracking().FirstOrDefault(c => c.Id == 5000));
    }

    [Fact]
    public void Key_queries_choose_pushdown_plans()
    {
        using var context = Create();
        var id = _customers[9].Id;
        void Expect(string plan, Action query)
        {
            _log.Clear();
            query();
            Assert.Equal(plan, Assert.Single(_log.Plans));
        }

        Expect($"point get Customer ({id})", () => context.Customers.Where(c => c.Id == id).ToList());
        Expect("point get Customer (7)", () => context.Customers.Where(c => 7 == c.Id && c.Name != "").ToList());
        Expect("range scan Customer [(42), (43))", () => context.Customers.Where(c => c.Id >= 42 && c.Id < 43).ToList());
        Expect("range scan Customer ((10), ()]", () => context.Customers.Where(c => c.Id > 10).ToList());
        Expect("range scan Customer [(), (10)]", () => context.Customers.Where(c => 10 >= c.Id).ToList());
        Expect("range scan OrderLine [(3), (3)]", () => context.OrderLines.Where(l => l.OrderId == 3).ToList());
        Expect("point get OrderLine (3, \"b\")", () => context.OrderLines.Where(l => l.OrderId == 3 && l.Sku == "b").ToList());
        Expect("range scan OrderLine [(3, \"b\"…), (3, \"b\"…)]", () => context.OrderLines.Where(l => l.OrderId == 3 && l.Sku.StartsWith("b")).ToList());
        Expect("range scan Tag [(\"x\"…), (\"x\"…)]", () => context.Tags.Where(t => t.Id.StartsWith("x")).ToList());
        Expect("full scan Customer", () => context.Customers.Where(c => c.Name == "x").ToList());
        Expect("full scan Customer limit 5", () => context.Customers.OrderBy(c => c.Id).Take(5).ToList());
        Expect("full scan Customer reverse limit 3", () => context.Customers.OrderByDescending(c => c.Id).Take(3).ToList());
        Expect("full scan Customer reverse limit 1", () => context.Customers.OrderBy(c => c.Id).Last());
        Expect("range scan Customer [(), (0)) reverse", () => context.Customers.Where(c => c.Id < 0).OrderByDescending(c => c.Id).ToList());
        Expect("full scan Customer", () => context.Customers.OrderBy(c => c.Name).Take(3).ToList());
        var ids = new List<int> { 40, 1, -17, 1, 99999 };
        Expect("multi get Customer [(40), (1), (-17), (1), (99999)]", () => context.Customers.Where(c => ids.Contains(c.Id)).ToList());
    }

    [Fact]
    public void Pushed_down_queries_return_what_linq_to_objects_returns()
    {
        using var context = Create();
        var ids = new List<int> { 40, 1, -17, 1, 99999, 7 };
        Assert.Equal(_customers.Where(c => ids.Contains(c.Id)).Select(c => c.Id).Order(),
            context.Customers.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToList());
        Assert.Equal(_customers.Where(c => ids.Contains(c.Id)).Select(c => c.Id).OrderDescending(),
            context.Customers.Where(c => ids.Contains(c.Id)).OrderByDescending(c => c.Id).Select(c => c.Id).ToList());
        Assert.Equal(_lines.Where(l => l.OrderId == 3 && l.Sku.StartsWith("b", StringComparison.Ordinal)).Select(l => l.Sku).Order(StringComparer.Ordinal),
            context.OrderLines.Where(l => l.OrderId == 3 && l.Sku.StartsWith("b")).Select(l => l.Sku).ToList());
        Assert.Equal(_lines.Where(l => l.OrderId == 4 && l.Sku == "b").Select(l => l.Quantity),
            context.OrderLines.Where(l => l.OrderId == 4 && l.Sku == "b").Select(l => l.Quantity).ToList());
        string? nothing = null;
        Assert.Empty(context.Tags.Where(t => t.Id == nothing).ToList());
        Assert.Empty(context.Tags.Where(t => t.Id == "\ud800").ToList());
        Assert.Equal(["x", "xa", "xb"], context.Tags.Where(t => t.Id.StartsWith("x")).Select(t => t.Id).ToList());
        Assert.Equal(7, context.Tags.Where(t => t.Id.StartsWith("")).Count());
    }
}
