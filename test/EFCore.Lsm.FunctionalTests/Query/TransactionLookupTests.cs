using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// Queries that read rows by key lists — multi gets, the rows of an index range, lookup joins by primary key and by foreign
/// key — inside a transaction whose own saves (adds, index-column updates, deletes with their cascades) are not committed
/// yet: every answer must be the transaction's view, checked against LINQ-to-objects over a model after each save, and
/// again after the commit from another context. Random seeds choose the changes and the key lists.
/// </summary>
public sealed class TransactionLookupTests : IDisposable
{
    private static readonly string?[] Cities = ["Oslo", "Bergen", "Lund", "Aarhus", "Oulu", "Turku", null];
    private static readonly string[] Statuses = ["new", "paid", "sent", "void"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<int> Seeds() => [1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Lookups_inside_a_transaction_see_its_own_writes_and_deletes(int seed)
    {
        var (customers, orders, lines) = ShopContext.Seed();
        ShopContext.Save(Create, customers, orders, lines);
        var model = new Model(customers, orders, lines);
        var random = new Random(seed);

        using (var db = Create())
        using (var transaction = db.Database.BeginTransaction())
        {
            for (var save = 0; save < 3; save++)
            {
                Change(db, model, random);
                db.SaveChanges();
                CheckLookups(db, model, random);
            }

            transaction.Commit();
        }

        using var after = Create();
        CheckLookups(after, model, random);
    }

    private ShopContext Create() => ShopContext.Create(_temp.Db());

    /// <summary>Random adds, index-column updates and deletes (a deleted customer's orders and their lines cascade).</summary>
    private static void Change(ShopContext db, Model model, Random random)
    {
        for (var i = random.Next(3, 8); i > 0; i--)
        {
            var id = model.NextCustomerId++;
            var customer = new ShopCustomer
            {
                Id = id,
                Name = "n" + random.Next(4),
                City = Cities[random.Next(Cities.Length)],
                Email = $"t{id}@example.org",
            };
            db.Add(customer);
            model.Customers.Add(Copy(customer));
        }

        foreach (var id in Pick(random, model.Customers.Select(c => c.Id).ToList(), random.Next(2, 6)))
        {
            var city = Cities[random.Next(Cities.Length)];
            db.Customers.Find(id)!.City = city;
            model.Customers.Single(c => c.Id == id).City = city;
        }

        for (var i = random.Next(2, 6); i > 0; i--)
        {
            var order = new ShopOrder
            {
                Id = model.NextOrderId++,
                CustomerId = model.Customers[random.Next(model.Customers.Count)].Id,
                Status = Statuses[random.Next(Statuses.Length)],
                Amount = random.Next(500),
            };
            db.Add(order);
            model.Orders.Add(new ShopOrder { Id = order.Id, CustomerId = order.CustomerId, Status = order.Status, Amount = order.Amount });
        }

        foreach (var id in Pick(random, model.Customers.Select(c => c.Id).ToList(), random.Next(1, 4)))
        {
            db.Remove(db.Customers.Find(id)!);
            model.Customers.RemoveAll(c => c.Id == id);
            var gone = model.Orders.Where(o => o.CustomerId == id).Select(o => o.Id).ToHashSet();
            model.Orders.RemoveAll(o => gone.Contains(o.Id));
            model.Lines.RemoveAll(l => gone.Contains(l.OrderId));
        }
    }

    private static void CheckLookups(ShopContext db, Model model, Random random)
    {
        // Key lists with repeats, keys of deleted and never-written rows, in random order.
        var ids = Enumerable.Range(0, random.Next(5, 40)).Select(_ => random.Next(-2, model.NextCustomerId + 3)).ToList();
        Assert.Equal(
            Sorted(model.Customers.Where(c => ids.Contains(c.Id)).Select(Text)),
            Sorted(db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id)).AsEnumerable().Select(Text)));

        foreach (var city in Cities)
        {
            Assert.Equal(
                Sorted(model.Customers.Where(c => c.City == city).Select(Text)),
                Sorted(db.Customers.AsNoTracking().Where(c => c.City == city).AsEnumerable().Select(Text)));
        }

        var status = Statuses[random.Next(Statuses.Length)];
        Assert.Equal(
            Sorted(from o in model.Orders where o.Status == status join c in model.Customers on o.CustomerId equals c.Id select o.Id + ":" + Text(c)),
            Sorted(db.Orders.AsNoTracking().Where(o => o.Status == status).Include(o => o.Customer).AsEnumerable()
                .Select(o => o.Id + ":" + Text(o.Customer!))));

        Assert.Equal(
            Sorted(from c in model.Customers where ids.Contains(c.Id) join o in model.Orders on c.Id equals o.CustomerId
                   join l in model.Lines on o.Id equals l.OrderId select c.Id + "/" + o.Id + "/" + l.Id),
            Sorted(from c in db.Customers where ids.Contains(c.Id) join o in db.Orders on c.Id equals o.CustomerId
                   join l in db.Lines on o.Id equals l.OrderId select c.Id + "/" + o.Id + "/" + l.Id));

        var orderIds = Enumerable.Range(0, random.Next(5, 30)).Select(_ => random.Next(0, model.NextOrderId + 2)).ToList();
        Assert.Equal(
            Sorted(from o in model.Orders where orderIds.Contains(o.Id) join c in model.Customers on o.CustomerId equals c.Id
                   select o.Id + ":" + c.City + ":" + model.Lines.Count(l => l.OrderId == o.Id)),
            Sorted(db.Orders.AsNoTracking().Where(o => orderIds.Contains(o.Id)).Include(o => o.Customer).Include(o => o.Lines)
                .AsEnumerable().Select(o => o.Id + ":" + o.Customer!.City + ":" + o.Lines.Count)));
    }

    private static string Text(ShopCustomer c) => $"{c.Id}:{c.City ?? "-"}:{c.Name}";

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Order(StringComparer.Ordinal)];

    private static IEnumerable<int> Pick(Random random, List<int> from, int count) =>
        from.OrderBy(_ => random.Next()).Take(count).ToList();

    private static ShopCustomer Copy(ShopCustomer c) =>
        new() { Id = c.Id, Name = c.Name, City = c.City, Tier = c.Tier, Email = c.Email, Credit = c.Credit };

    /// <summary>What the database should hold: copies of the seed, changed as the transaction changes it.</summary>
    private sealed class Model(List<ShopCustomer> customers, List<ShopOrder> orders, List<ShopLine> lines)
    {
        public List<ShopCustomer> Customers { get; } = [.. customers.Select(Copy)];

        public List<ShopOrder> Orders { get; } =
            [.. orders.Select(o => new ShopOrder { Id = o.Id, CustomerId = o.CustomerId, Status = o.Status, Amount = o.Amount })];

        public List<ShopLine> Lines { get; } =
            [.. lines.Select(l => new ShopLine { Id = l.Id, OrderId = l.OrderId, Product = l.Product, Quantity = l.Quantity })];

        public int NextCustomerId { get; set; } = customers.Max(c => c.Id) + 1;

        public int NextOrderId { get; set; } = orders.Max(o => o.Id) + 1;
    }
}
