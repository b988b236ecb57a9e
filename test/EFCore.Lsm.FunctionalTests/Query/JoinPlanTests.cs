using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// The access paths of joins, navigations and includes: an inner side looked up by its primary key is one multi-get of the
/// outer rows' distinct keys (<c>lookup join</c>), by a foreign key one index range per key on that key's index, and a
/// correlated collection (an Include) an index range per outer row. Each query's logged plans are asserted, and its
/// results compared with LINQ-to-objects over the same seed.
/// </summary>
public sealed class JoinPlanTests : IDisposable
{
    private const string OrdersByCustomer = "ShopOrder.IX_Orders_CustomerId";
    private const string LinesByOrder = "ShopLine.IX_Lines_OrderId";

    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();
    private readonly List<ShopCustomer> _customers;
    private readonly List<ShopOrder> _orders;
    private readonly List<ShopLine> _lines;
    private int _queries;

    public JoinPlanTests()
    {
        (_customers, _orders, _lines) = ShopContext.Seed();
        ShopContext.Save(Create, _customers, _orders, _lines);
        _log.Clear();
    }

    public void Dispose() => _temp.Dispose();

    private ShopContext Create() => ShopContext.Create(_temp.Db(), b => b.UseLoggerFactory(_log).EnableSensitiveDataLogging());

    /// <summary>
    /// Runs <paramref name="query"/> and asserts the plans it logged (in order; a plan logged once per outer row appears once
    /// per row) and that its results, as sorted text, are LINQ-to-objects' over the seed.
    /// </summary>
    private void Check<T>(string[] plans, Func<ShopContext, IEnumerable<T>> query, Func<IEnumerable<T>> expected)
    {
        using var db = Create();
        _log.Clear();
        var actual = query(db).Select(r => r?.ToString() ?? "null").Order(StringComparer.Ordinal).ToList();
        var (expectedPlans, actualPlans) = (string.Join("\n", plans), string.Join("\n", _log.Plans));
        Assert.True(expectedPlans == actualPlans, $"Plans differ.\nExpected:\n{expectedPlans}\nActual:\n{actualPlans}");
        Assert.Equal(expected().Select(r => r?.ToString() ?? "null").Order(StringComparer.Ordinal).ToList(), actual);
        _queries++;
    }

    private IEnumerable<(ShopOrder Order, ShopCustomer Customer)> OrdersWithCustomers() =>
        from o in _orders join c in _customers on o.CustomerId equals c.Id select (o, c);

    private static string Lookup(string target, string key) => $"lookup join {target} ({key})";

    [Fact]
    public void Joins_and_navigations_to_a_principal_are_lookup_joins_by_primary_key()
    {
        Check(["index range ShopOrder.IX_Status_Amount [(\"void\"), (\"void\")]", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders where o.Status == "void" join c in db.Customers on o.CustomerId equals c.Id select o.Id + ":" + c.Name,
            () => from x in OrdersWithCustomers() where x.Order.Status == "void" select x.Order.Id + ":" + x.Customer.Name);
        Check(["point get ShopOrder (17)", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders where o.Id == 17 join c in db.Customers on o.CustomerId equals c.Id select c.Email,
            () => from x in OrdersWithCustomers() where x.Order.Id == 17 select x.Customer.Email);
        Check(["range scan ShopOrder [(10), (20))", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders where o.Id >= 10 && o.Id < 20 join c in db.Customers on o.CustomerId equals c.Id select o.Id + c.City,
            () => from x in OrdersWithCustomers() where x.Order.Id >= 10 && x.Order.Id < 20 select x.Order.Id + x.Customer.City);
        Check(["full scan ShopOrder", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders where o.Amount > 450 join c in db.Customers on o.CustomerId equals c.Id select c.Id,
            () => from x in OrdersWithCustomers() where x.Order.Amount > 450 select x.Customer.Id);
        Check(["full scan ShopOrder", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders join c in db.Customers.Where(c => c.Tier == 2) on o.CustomerId equals c.Id select o.Id,
            () => from x in OrdersWithCustomers() where x.Customer.Tier == 2 select x.Order.Id);
        Check(["index range ShopOrder.IX_Status_Amount [(\"paid\", 400), (\"paid\")]", Lookup("ShopCustomer", "CustomerId")],
            db => db.Orders.Where(o => o.Status == "paid" && o.Amount >= 400).Select(o => o.Customer!.Name),
            () => from x in OrdersWithCustomers() where x.Order.Status == "paid" && x.Order.Amount >= 400 select x.Customer.Name);
        Check(["point get ShopOrder (3)", Lookup("ShopCustomer", "CustomerId")],
            db => db.Orders.Where(o => o.Id == 3).Include(o => o.Customer).AsEnumerable().Select(o => o.Customer!.Email),
            () => from x in OrdersWithCustomers() where x.Order.Id == 3 select x.Customer.Email);
        Check(["index range ShopOrder.IX_Status_Amount [(\"new\"), (\"new\")]", Lookup("ShopCustomer", "CustomerId")],
            db => db.Orders.Where(o => o.Status == "new").Include(o => o.Customer).AsEnumerable().Select(o => o.Id + o.Customer!.Name),
            () => from x in OrdersWithCustomers() where x.Order.Status == "new" select x.Order.Id + x.Customer.Name);
        // A filter that reads both sides runs over the join's rows: its outer conjuncts are not pushed below the join.
        Check(["full scan ShopOrder", Lookup("ShopCustomer", "CustomerId")],
            db => db.Orders.Where(o => o.Status == "sent" && o.Customer!.City == "Oslo").Select(o => o.Id),
            () => from x in OrdersWithCustomers() where x.Order.Status == "sent" && x.Customer.City == "Oslo" select x.Order.Id);
        Check(["point get ShopLine (77)", Lookup("ShopOrder", "OrderId"), Lookup("ShopCustomer", "CustomerId")],
            db => db.Lines.Where(l => l.Id == 77).Select(l => l.Order!.Customer!.Name),
            () => from l in _lines where l.Id == 77 from x in OrdersWithCustomers() where x.Order.Id == l.OrderId select x.Customer.Name);
        Check(["range scan ShopLine [(), (30)]", Lookup("ShopOrder", "OrderId"), Lookup("ShopCustomer", "CustomerId")],
            db => db.Lines.Where(l => l.Id <= 30).Include(l => l.Order).ThenInclude(o => o!.Customer).AsEnumerable()
                .Select(l => l.Id + l.Order!.Status + l.Order.Customer!.Email),
            () => from l in _lines where l.Id <= 30 from x in OrdersWithCustomers() where x.Order.Id == l.OrderId
                select l.Id + x.Order.Status + x.Customer.Email);
        Check(["full scan ShopCustomer", Lookup("ShopCustomer", "Id")],
            db => from a in db.Customers where a.Tier == 3 join b in db.Customers on a.Id equals b.Id select b.Email,
            () => from a in _customers where a.Tier == 3 select a.Email);
        Check(["full scan ShopOrder", Lookup("ShopCustomer", "CustomerId")],
            db => from o in db.Orders join c in db.Customers on o.CustomerId equals c.Id where c.City == "Lund" select o.Id,
            () => from x in OrdersWithCustomers() where x.Customer.City == "Lund" select x.Order.Id);
    }

    [Fact]
    public void Joins_on_a_foreign_key_read_its_index_by_the_outer_keys()
    {
        Check(["point get ShopCustomer (7)", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.Id == 7 join o in db.Orders on c.Id equals o.CustomerId select o.Id,
            () => from x in OrdersWithCustomers() where x.Customer.Id == 7 select x.Order.Id);
        Check(["index range ShopCustomer.IX_City [(\"Bergen\"), (\"Bergen\")]", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.City == "Bergen" join o in db.Orders on c.Id equals o.CustomerId select c.Name + o.Amount,
            () => from x in OrdersWithCustomers() where x.Customer.City == "Bergen" select x.Customer.Name + x.Order.Amount);
        Check(["range scan ShopCustomer [(30), ()]", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.Id >= 30 join o in db.Orders.Where(o => o.Status != "void") on c.Id equals o.CustomerId select o.Id,
            () => from x in OrdersWithCustomers() where x.Customer.Id >= 30 && x.Order.Status != "void" select x.Order.Id);
        Check(["point get ShopOrder (40)", Lookup(LinesByOrder, "Id")],
            db => from o in db.Orders where o.Id == 40 join l in db.Lines on o.Id equals l.OrderId select l.Product + l.Quantity,
            () => from o in _orders where o.Id == 40 join l in _lines on o.Id equals l.OrderId select l.Product + l.Quantity);
        Check(["index range ShopCustomer.IX_Email [(\"c9@example.org\"), (\"c9@example.org\")]", Lookup(OrdersByCustomer, "Id"), Lookup(LinesByOrder, "Id")],
            db => from c in db.Customers where c.Email == "c9@example.org" join o in db.Orders on c.Id equals o.CustomerId
                join l in db.Lines on o.Id equals l.OrderId select o.Id + "/" + l.Id,
            () => from x in OrdersWithCustomers() where x.Customer.Email == "c9@example.org" join l in _lines on x.Order.Id equals l.OrderId
                select x.Order.Id + "/" + l.Id);
        Check(["full scan ShopCustomer", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.Credit > 55 join o in db.Orders on c.Id equals o.CustomerId select o.Id,
            () => from x in OrdersWithCustomers() where x.Customer.Credit > 55 select x.Order.Id);
        Check(["multi get ShopCustomer [(3), (4), (38)]", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where new[] { 3, 4, 38 }.Contains(c.Id) join o in db.Orders on c.Id equals o.CustomerId select o.Id,
            () => from x in OrdersWithCustomers() where new[] { 3, 4, 38 }.Contains(x.Customer.Id) select x.Order.Id);
        Check(["point get ShopCustomer (39)", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.Id == 39 join o in db.Orders on c.Id equals o.CustomerId select o.Id,
            () => Enumerable.Empty<int>());
    }

    [Fact]
    public void Left_joins_keep_outer_rows_without_a_match()
    {
        Check(["range scan ShopCustomer [(34), ()]", Lookup(OrdersByCustomer, "Id")],
            db => from c in db.Customers where c.Id >= 34 join o in db.Orders on c.Id equals o.CustomerId into os
                from o in os.DefaultIfEmpty() select c.Id + ":" + (o == null ? "-" : o.Id.ToString()),
            () => from c in _customers where c.Id >= 34 join o in _orders on c.Id equals o.CustomerId into os
                from o in os.DefaultIfEmpty() select c.Id + ":" + (o == null ? "-" : o.Id.ToString()));
        Check(["range scan ShopLine [(490), ()]", Lookup("ShopOrder", "OrderId")],
            db => from l in db.Lines where l.Id >= 490 join o in db.Orders on l.OrderId equals o.Id into os
                from o in os.DefaultIfEmpty() select l.Id + (o == null ? "-" : o.Status),
            () => from l in _lines where l.Id >= 490 join o in _orders on l.OrderId equals o.Id into os
                from o in os.DefaultIfEmpty() select l.Id + (o == null ? "-" : o.Status));
    }

    [Fact]
    public void Collection_includes_read_the_foreign_key_index_per_outer_row()
    {
        Check(["point get ShopCustomer (5)", $"index range {OrdersByCustomer} [(5), (5)]"],
            db => db.Customers.Where(c => c.Id == 5).Include(c => c.Orders).AsEnumerable().SelectMany(c => c.Orders.Select(o => o.Id)),
            () => _orders.Where(o => o.CustomerId == 5).Select(o => o.Id));
        Check(["point get ShopCustomer (11)", $"index range {OrdersByCustomer} [(11), (11)] covering"],
            db => db.Customers.Where(c => c.Id == 11).Select(c => c.Orders.Count),
            () => [_orders.Count(o => o.CustomerId == 11)]);
        Check(["point get ShopCustomer (12)", $"index range {OrdersByCustomer} [(12), (12)] covering"],
            db => db.Customers.Where(c => c.Id == 12).Select(c => c.Orders.Select(o => o.Id).ToList()).AsEnumerable().SelectMany(x => x),
            () => _orders.Where(o => o.CustomerId == 12).Select(o => o.Id));
        Check(["point get ShopOrder (8)", $"index range {LinesByOrder} [(8), (8)]"],
            db => db.Orders.Where(o => o.Id == 8).Include(o => o.Lines).AsEnumerable().SelectMany(o => o.Lines.Select(l => l.Product)),
            () => _lines.Where(l => l.OrderId == 8).Select(l => l.Product));
        var two = new[] { "point get ShopCustomer (2)", $"index range {OrdersByCustomer} [(2), (2)]" }
            .Concat(_orders.Where(o => o.CustomerId == 2).Select(o => $"index range {LinesByOrder} [({o.Id}), ({o.Id})]")).ToArray();
        Check(two,
            db => db.Customers.Where(c => c.Id == 2).Include(c => c.Orders).ThenInclude(o => o.Lines).AsEnumerable()
                .SelectMany(c => c.Orders.SelectMany(o => o.Lines.Select(l => l.Id))),
            () => from o in _orders where o.CustomerId == 2 join l in _lines on o.Id equals l.OrderId select l.Id);
        Check(["point get ShopCustomer (6)", $"index range {OrdersByCustomer} [(6), (6)]"],
            db => db.Customers.Where(c => c.Id == 6).Select(c => c.Orders.Where(o => o.Amount > 100).Sum(o => o.Amount)),
            () => [_orders.Where(o => o.CustomerId == 6 && o.Amount > 100).Sum(o => o.Amount)]);
        Check(["point get ShopCustomer (20)", $"index range {OrdersByCustomer} [(20), (20)]"],
            db => db.Customers.Where(c => c.Id == 20).Include(c => c.Orders.Where(o => o.Status == "paid")).AsEnumerable()
                .SelectMany(c => c.Orders.Select(o => o.Id)),
            () => _orders.Where(o => o.CustomerId == 20 && o.Status == "paid").Select(o => o.Id));
        Check(["point get ShopCustomer (21)", $"index range {OrdersByCustomer} [(21), (21)] covering"],
            db => db.Customers.Where(c => c.Id == 21).Where(c => c.Orders.Any()).Select(c => c.Name),
            () => _customers.Where(c => c.Id == 21 && _orders.Any(o => o.CustomerId == 21)).Select(c => c.Name));
        Check(["point get ShopCustomer (4)", $"index range {OrdersByCustomer} [(4), (4)]"],
            db => db.Customers.Where(c => c.Id == 4).SelectMany(c => c.Orders).Select(o => o.Id + o.Status),
            () => _orders.Where(o => o.CustomerId == 4).Select(o => o.Id + o.Status));
    }

    [Fact]
    public void Thirty_join_and_include_queries_are_checked()
    {
        Joins_and_navigations_to_a_principal_are_lookup_joins_by_primary_key();
        Joins_on_a_foreign_key_read_its_index_by_the_outer_keys();
        Left_joins_keep_outer_rows_without_a_match();
        Collection_includes_read_the_foreign_key_index_per_outer_row();
        Assert.True(_queries >= 30, $"{_queries} join and include queries");
    }
}
