using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

public class ShopCustomer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string? City { get; set; }

    public int? Tier { get; set; }

    public string Email { get; set; } = "";

    public decimal Credit { get; set; }

    public List<ShopOrder> Orders { get; set; } = [];
}

public class ShopOrder
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public ShopCustomer? Customer { get; set; }

    public string Status { get; set; } = "";

    public int Amount { get; set; }

    public List<ShopLine> Lines { get; set; } = [];
}

public class ShopLine
{
    public int Id { get; set; }

    public int OrderId { get; set; }

    public ShopOrder? Order { get; set; }

    public string Product { get; set; } = "";

    public int Quantity { get; set; }
}

/// <summary>
/// A customer–order–line model with secondary indexes of every kind the planner reads: one column (nullable), composite with
/// a descending part, unique, and the foreign keys' (EF creates one per foreign key).
/// </summary>
public class ShopContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ShopCustomer> Customers => Set<ShopCustomer>();

    public DbSet<ShopOrder> Orders => Set<ShopOrder>();

    public DbSet<ShopLine> Lines => Set<ShopLine>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<ShopCustomer>().Property(c => c.Id).ValueGeneratedNever();
        model.Entity<ShopCustomer>().HasIndex(c => c.City, "IX_City");
        model.Entity<ShopCustomer>().HasIndex(c => new { c.Name, c.Tier }, "IX_Name_Tier").IsDescending(false, true);
        model.Entity<ShopCustomer>().HasIndex(c => c.Email, "IX_Email").IsUnique();
        model.Entity<ShopOrder>().Property(o => o.Id).ValueGeneratedNever();
        model.Entity<ShopOrder>().HasIndex(o => new { o.Status, o.Amount }, "IX_Status_Amount");
        model.Entity<ShopLine>().Property(l => l.Id).ValueGeneratedNever();
    }

    public static ShopContext Create(string path, Action<DbContextOptionsBuilder>? configure = null)
    {
        var builder = new DbContextOptionsBuilder<ShopContext>().UseTestStore(path);
        configure?.Invoke(builder);
        return new ShopContext(builder.Options);
    }

    /// <summary>
    /// Saves <paramref name="groups"/> in order, 100 entities per SaveChanges (an etcd transaction holds at most 1,024
    /// operations, and each row brings its index entries and foreign key checks).
    /// </summary>
    public static void Save(Func<ShopContext> create, params IEnumerable<object>[] groups)
    {
        foreach (var chunk in groups.SelectMany(g => g).Chunk(100))
        {
            using var context = create();
            context.AddRange(chunk);
            context.SaveChanges();
        }
    }

    /// <summary>A deterministic seed: 40 customers (some without city or tier), 200 orders, 500 lines.</summary>
    public static (List<ShopCustomer> Customers, List<ShopOrder> Orders, List<ShopLine> Lines) Seed()
    {
        string[] cities = ["Oslo", "Bergen", "Lund", "Aarhus", "Oulu"];
        string[] names = ["ada", "bob", "cy", "dee", "eve", "fay"];
        string[] statuses = ["new", "paid", "sent", "void"];
        var random = new Random(7);
        var customers = Enumerable.Range(1, 40).Select(i => new ShopCustomer
        {
            Id = i,
            Name = names[i % names.Length],
            City = i % 9 == 0 ? null : cities[random.Next(cities.Length)],
            Tier = i % 7 == 0 ? null : random.Next(-2, 4),
            Email = $"c{i}@example.org",
            Credit = i * 1.5m,
        }).ToList();
        var orders = Enumerable.Range(1, 200).Select(i => new ShopOrder
        {
            Id = i,
            CustomerId = 1 + random.Next(36),
            Status = statuses[random.Next(statuses.Length)],
            Amount = random.Next(-50, 500),
        }).ToList();
        var lines = Enumerable.Range(1, 500).Select(i => new ShopLine
        {
            Id = i,
            OrderId = 1 + random.Next(190),
            Product = "p" + random.Next(30),
            Quantity = random.Next(1, 9),
        }).ToList();
        return (customers, orders, lines);
    }
}
