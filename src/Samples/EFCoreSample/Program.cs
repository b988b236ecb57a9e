using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

// An ordinary DbContext on UseLsm: create the database, save in one atomic batch, query by key range, reopen.
var path = args.Length > 0 ? args[0] : Path.Combine("data", "shop");

using (var db = new ShopContext(path))
{
    db.Database.EnsureDeleted();
    db.Database.EnsureCreated();
    db.Customers.AddRange(new Customer { Name = "Ada" }, new Customer { Name = "Alan" }, new Customer { Name = "Grace" });
    for (var n = 1; n <= 50; n++)
    {
        db.Orders.Add(new Order { CustomerId = 1 + (n % 3), Number = n, Total = n * 9.99m, PlacedAt = DateTimeOffset.UtcNow });
    }

    Console.WriteLine($"saved {db.SaveChanges()} entities in one atomic WAL batch");
}

using (var db = new ShopContext(path, logPlans: true))
{
    // Equality on the key prefix + a range on the next part: a bounded range scan, no sort (key order).
    var orders = db.Orders.Where(o => o.CustomerId == 2 && o.Number >= 10 && o.Number < 20).OrderBy(o => o.Number).ToList();
    Console.WriteLine($"customer 2, orders 10..19: {string.Join(", ", orders.Select(o => $"#{o.Number} {o.Total}"))}");

    var ada = db.Customers.Find(1)!; // point get
    ada.Name = "Ada Lovelace";
    db.SaveChanges();

    var big = db.Orders.Where(o => o.Total > 400m).Count(); // full scan, filtered after the scan
    Console.WriteLine($"orders over 400: {big}");
}

using (var db = new ShopContext(path))
{
    Console.WriteLine($"after reopen: customer 1 is {db.Customers.Single(c => c.Id == 1).Name}, {db.Orders.Count()} orders");
}

public sealed class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class Order
{
    public int CustomerId { get; set; }

    public int Number { get; set; }

    public decimal Total { get; set; }

    public DateTimeOffset PlacedAt { get; set; }
}

public sealed class ShopContext(string path, bool logPlans = false) : DbContext
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    protected override void OnConfiguring(DbContextOptionsBuilder options)
    {
        options.UseLsm(path);
        if (logPlans)
        {
            // Each query logs its plan ("range scan Order [...]", "point get Customer (1)"), as relational providers log SQL.
            options.LogTo(Console.WriteLine, [EFCore.Lsm.Diagnostics.LsmEventId.QueryPlanExecuting], LogLevel.Information,
                Microsoft.EntityFrameworkCore.Diagnostics.DbContextLoggerOptions.None);
        }
    }

    protected override void OnModelCreating(ModelBuilder model)
        => model.Entity<Order>().HasKey(o => new { o.CustomerId, o.Number });
}
