using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// The access paths of queries over secondary indexes and of joins and includes (the logged plan of each source), and their
/// results against LINQ-to-objects over the same seed: every plan must return what a full scan returns.
/// </summary>
public sealed class IndexPlanTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();
    private readonly List<ShopCustomer> _customers;
    private readonly List<ShopOrder> _orders;
    private readonly List<ShopLine> _lines;

    public IndexPlanTests()
    {
        (_customers, _orders, _lines) = ShopContext.Seed();
        ShopContext.Save(Create, _customers, _orders, _lines);
        _log.Clear();
    }

    public void Dispose() => _temp.Dispose();

    private ShopContext Create() => ShopContext.Create(_temp.Db(), b => b.UseLoggerFactory(_log).EnableSensitiveDataLogging());

    /// <summary>Runs <paramref name="query"/> and asserts the plans it logged, in order.</summary>
    private T Expect<T>(string[] plans, Func<T> query)
    {
        _log.Clear();
        var result = query();
        Assert.Equal(string.Join("\n", plans), string.Join("\n", _log.Plans));
        return result;
    }

    private static List<int> Ids(IEnumerable<ShopCustomer> customers) => [.. customers.Select(c => c.Id)];

    [Fact]
    public void Equality_on_an_index_column_reads_an_index_range_then_the_rows()
    {
        using var db = Create();
        var city = "Oslo";
        Assert.Equal(
            Ids(_customers.Where(c => c.City == city)),
            Ids(Expect(["index range ShopCustomer.IX_City [(\"Oslo\"), (\"Oslo\")]"], () => db.Customers.Where(c => c.City == city).ToList())));
        Assert.Equal(
            Ids(_customers.Where(c => c.City == null)),
            Ids(Expect(["index range ShopCustomer.IX_City [(null), (null)]"], () => db.Customers.Where(c => c.City == null).ToList())));
        string? none = null;
        Assert.Equal(
            Ids(_customers.Where(c => c.City == none)),
            Ids(Expect(["index range ShopCustomer.IX_City [(null), (null)]"], () => db.Customers.Where(c => c.City == none).ToList())));
        Assert.Empty(Expect(["index range ShopCustomer.IX_City [(\"Nowhere\"), (\"Nowhere\")]"],
            () => db.Customers.Where(c => c.City == "Nowhere").ToList()));
    }

    [Fact]
    public void The_residual_filter_still_runs_on_the_rows_of_an_index_range()
    {
        using var db = Create();
        Assert.Equal(
            Ids(_customers.Where(c => c.City == "Lund" && c.Credit > 20)),
            Ids(Expect(["index range ShopCustomer.IX_City [(\"Lund\"), (\"Lund\")]"],
                () => db.Customers.Where(c => c.City == "Lund" && c.Credit > 20).ToList())));
    }

    [Fact]
    public void Ranges_and_prefixes_on_the_next_index_column_bound_the_scan()
    {
        using var db = Create();
        Assert.Equal(
            _orders.Where(o => o.Status == "paid" && o.Amount >= 100 && o.Amount < 300).OrderBy(o => o.Amount).ThenBy(o => o.Id).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount [(\"paid\", 100), (\"paid\", 300)) covering"],
                () => db.Orders.Where(o => o.Status == "paid" && o.Amount >= 100 && o.Amount < 300).Select(o => o.Id).ToList()));
        Assert.Equal(
            _orders.Where(o => o.Status.StartsWith("s", StringComparison.Ordinal)).OrderBy(o => o.Status, StringComparer.Ordinal).ThenBy(o => o.Amount).ThenBy(o => o.Id).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount [(\"s\"…), (\"s\"…)] covering"],
                () => db.Orders.Where(o => o.Status.StartsWith("s")).Select(o => o.Id).ToList()));
        Assert.Equal(
            _orders.Where(o => string.CompareOrdinal(o.Status, "p") > 0).OrderBy(o => o.Status, StringComparer.Ordinal).ThenBy(o => o.Amount).ThenBy(o => o.Id).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount ((\"p\"), ()] covering"],
                () => db.Orders.Where(o => o.Status.CompareTo("p") > 0).Select(o => o.Id).ToList()));
    }

    [Fact]
    public void A_range_on_a_nullable_or_descending_column_leaves_out_nulls_and_keeps_the_order()
    {
        using var db = Create();
        // IX_Name_Tier has Tier descending: a lower value bound is an upper byte bound, and null entries sort last.
        Assert.Equal(
            Ids(_customers.Where(c => c.Name == "bob" && c.Tier < 2).OrderByDescending(c => c.Tier).ThenBy(c => c.Id)),
            Ids(Expect(["index range ShopCustomer.IX_Name_Tier [(\"bob\"), (\"bob\", 2))"],
                () => db.Customers.Where(c => c.Name == "bob" && c.Tier < 2).ToList())));
        Assert.Equal(
            Ids(_customers.Where(c => c.Name == "cy" && c.Tier >= 0).OrderByDescending(c => c.Tier).ThenBy(c => c.Id)),
            Ids(Expect(["index range ShopCustomer.IX_Name_Tier [(\"cy\", 0), (\"cy\")]"],
                () => db.Customers.Where(c => c.Name == "cy" && c.Tier >= 0).ToList())));
        Assert.Equal(
            Ids(_customers.Where(c => c.Name == "bob" && c.Tier == 1)),
            Ids(Expect(["index range ShopCustomer.IX_Name_Tier [(\"bob\", 1), (\"bob\", 1)]"],
                () => db.Customers.Where(c => c.Name == "bob" && c.Tier == 1).ToList())));
        Assert.Equal(
            Ids(_customers.Where(c => c.Name == "ada" && c.Tier == null)),
            Ids(Expect(["index range ShopCustomer.IX_Name_Tier [(\"ada\", null), (\"ada\", null)]"],
                () => db.Customers.Where(c => c.Name == "ada" && c.Tier == null).ToList())));
    }

    [Fact]
    public void An_ordering_the_index_gives_needs_no_sort_and_take_becomes_the_limit()
    {
        using var db = Create();
        Assert.Equal(
            _orders.Where(o => o.Status == "new").OrderBy(o => o.Amount).ThenBy(o => o.Id).Take(5).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount [(\"new\"), (\"new\")] covering limit 5"],
                () => db.Orders.Where(o => o.Status == "new").OrderBy(o => o.Amount).Take(5).Select(o => o.Id).ToList()));
        Assert.Equal(
            _orders.Where(o => o.Status == "new").OrderByDescending(o => o.Amount).ThenByDescending(o => o.Id).Take(4).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount [(\"new\"), (\"new\")] covering reverse limit 4"],
                () => db.Orders.Where(o => o.Status == "new").OrderByDescending(o => o.Amount).ThenByDescending(o => o.Id).Take(4).Select(o => o.Id).ToList()));
        // Descending in the index: OrderByDescending(Tier) is its forward order.
        Assert.Equal(
            Ids(_customers.Where(c => c.Name == "dee").OrderByDescending(c => c.Tier).ThenBy(c => c.Id).Take(3)),
            Ids(Expect(["index range ShopCustomer.IX_Name_Tier [(\"dee\"), (\"dee\")] limit 3"],
                () => db.Customers.Where(c => c.Name == "dee").OrderByDescending(c => c.Tier).Take(3).ToList())));
        // An ordering the index does not give is sorted, and the Take stays on the client.
        Assert.Equal(
            _orders.Where(o => o.Status == "void").OrderBy(o => o.CustomerId).ThenBy(o => o.Id).Take(3).Select(o => o.Id),
            Expect(["index range ShopOrder.IX_Status_Amount [(\"void\"), (\"void\")]"],
                () => db.Orders.Where(o => o.Status == "void").OrderBy(o => o.CustomerId).ThenBy(o => o.Id).Take(3).Select(o => o.Id).ToList()));
    }

    [Fact]
    public void A_query_that_reads_only_indexed_columns_and_the_key_is_covered_by_the_index()
    {
        using var db = Create();
        Assert.Equal(
            _orders.Where(o => o.Status == "sent" && o.Amount > 250).OrderBy(o => o.Amount).ThenBy(o => o.Id).Select(o => new { o.Id, o.Amount }),
            Expect(["index range ShopOrder.IX_Status_Amount ((\"sent\", 250), (\"sent\")] covering"],
                () => db.Orders.Where(o => o.Status == "sent" && o.Amount > 250).Select(o => new { o.Id, o.Amount }).ToList()));
        Assert.Equal(
            _customers.Count(c => c.City == "Bergen"),
            Expect(["index range ShopCustomer.IX_City [(\"Bergen\"), (\"Bergen\")] covering"], () => db.Customers.Count(c => c.City == "Bergen")));
        Assert.Equal(
            _customers.Where(c => c.Name == "eve").OrderByDescending(c => c.Tier).ThenBy(c => c.Id).Select(c => c.Tier),
            Expect(["index range ShopCustomer.IX_Name_Tier [(\"eve\"), (\"eve\")] covering"],
                () => db.Customers.Where(c => c.Name == "eve").Select(c => c.Tier).ToList()));
        // Credit is not in the entry: the rows are read.
        Assert.Equal(
            _customers.Where(c => c.City == "Oulu").Select(c => c.Credit),
            Expect(["index range ShopCustomer.IX_City [(\"Oulu\"), (\"Oulu\")]"],
                () => db.Customers.Where(c => c.City == "Oulu").Select(c => c.Credit).ToList()));
    }

    [Fact]
    public void Unique_index_equality_reads_at_most_one_entry_and_wins_over_other_paths()
    {
        using var db = Create();
        Assert.Equal(17, Expect(["index range ShopCustomer.IX_Email [(\"c17@example.org\"), (\"c17@example.org\")]"],
            () => db.Customers.Single(c => c.Email == "c17@example.org" && c.City != "x")).Id);
        var city = _customers[16].City;
        Assert.Equal(17, Expect(["index range ShopCustomer.IX_Email [(\"c17@example.org\"), (\"c17@example.org\")]"],
            () => db.Customers.Single(c => c.City == city && c.Email == "c17@example.org" && c.Name == "fay")).Id);
        Assert.Equal(
            Ids(_customers.Where(c => c.Id == 3 && c.City == "Oslo")),
            Ids(Expect(["point get ShopCustomer (3)"], () => db.Customers.Where(c => c.Id == 3 && c.City == "Oslo").ToList())));
    }

    [Fact]
    public void A_list_of_index_values_reads_one_range_per_distinct_value_in_index_order()
    {
        using var db = Create();
        var cities = new[] { "Oulu", "Aarhus", "Oulu", "Nowhere" };
        Assert.Equal(
            Ids(_customers.Where(c => cities.Contains(c.City)).OrderBy(c => c.City, StringComparer.Ordinal).ThenBy(c => c.Id)),
            Ids(Expect(["index range ShopCustomer.IX_City in [(\"Oulu\"), (\"Aarhus\"), (\"Oulu\"), (\"Nowhere\")]"],
                () => db.Customers.Where(c => cities.Contains(c.City)).ToList())));
    }

    [Fact]
    public void Filters_no_index_serves_read_the_whole_keyspace()
    {
        using var db = Create();
        Assert.Equal(
            Ids(_customers.Where(c => c.Tier == 1)),
            Ids(Expect(["full scan ShopCustomer"], () => db.Customers.Where(c => c.Tier == 1).ToList())));
        Assert.Equal(
            _orders.Where(o => o.Amount > 400).Select(o => o.Id),
            Expect(["full scan ShopOrder"], () => db.Orders.Where(o => o.Amount > 400).Select(o => o.Id).ToList()));
    }

    [Fact]
    public void Index_reads_see_the_changes_of_later_saves_and_of_an_open_transaction()
    {
        using (var db = Create())
        {
            var c = db.Customers.Single(x => x.Id == 5);
            c.City = "Reykjavik";
            db.SaveChanges();
        }

        using (var db = Create())
        {
            Assert.Equal([5], Ids(db.Customers.Where(c => c.City == "Reykjavik").ToList()));
            using var transaction = db.Database.BeginTransaction();
            db.Add(new ShopCustomer { Id = 99, Name = "zed", City = "Reykjavik", Email = "z@example.org" });
            db.SaveChanges();
            Assert.Equal([5, 99], Ids(db.Customers.AsNoTracking().Where(c => c.City == "Reykjavik").ToList()));
            transaction.Rollback();
        }

        using (var db = Create())
        {
            Assert.Equal([5], Ids(db.Customers.Where(c => c.City == "Reykjavik").ToList()));
        }
    }
}
