using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Owned;

// An owned-types model, as EF's OwnedQuery tests use: an optional owned reference with a nested owned reference
// (Order.ShippingAddress.Geo), a required-shaped owned value (Order.Total, Product.Price), an owned collection with EF's
// ordinal key (Customer.Addresses), owned values on both ends of a relationship (Order → Customer).
public class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Address> Addresses { get; set; } = [];

    public List<Order> Orders { get; set; } = [];
}

public class Order
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public Customer? Customer { get; set; }

    public DateTime Placed { get; set; }

    public Address? ShippingAddress { get; set; }

    public Money? Total { get; set; }
}

public class Product
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public Dimensions? Size { get; set; }

    public Money? Price { get; set; }
}

public class Address
{
    public string Street { get; set; } = "";

    public string City { get; set; } = "";

    public string? Zip { get; set; }

    public Geo? Geo { get; set; }
}

public class Geo
{
    public double Latitude { get; set; }

    public double Longitude { get; set; }
}

public class Money
{
    public decimal Amount { get; set; }

    public string Currency { get; set; } = "";
}

public class Dimensions
{
    public double Width { get; set; }

    public double Height { get; set; }

    public int Depth { get; set; }
}

public sealed class ShopContext(DbContextOptions options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Customer>(b =>
        {
            b.Property(c => c.Id).ValueGeneratedNever();
            b.OwnsMany(c => c.Addresses, a => a.OwnsOne(x => x.Geo));
        });
        modelBuilder.Entity<Order>(b =>
        {
            b.Property(o => o.Id).ValueGeneratedNever();
            b.OwnsOne(o => o.ShippingAddress, a => a.OwnsOne(x => x.Geo));
            b.OwnsOne(o => o.Total);
        });
        modelBuilder.Entity<Product>(b =>
        {
            b.Property(p => p.Id).ValueGeneratedNever();
            b.OwnsOne(p => p.Size);
            b.OwnsOne(p => p.Price);
        });
    }
}

/// <summary>The deterministic seed: the same objects back LINQ-to-objects, and copies of them are saved to the provider.</summary>
public sealed class ShopData
{
    private static readonly string[] Cities = ["Oslo", "Bergen", "Paris", "Lima", "Rome", "Tromsø"];

    public ShopData()
    {
        var random = new Random(20261202);
        for (var id = 1; id <= 10; id++)
        {
            var customer = new Customer { Id = id, Name = "customer " + (char)('a' + id - 1) };
            for (var a = 0; a < id % 4; a++)
            {
                customer.Addresses.Add(NewAddress(random, a));
            }

            Customers.Add(customer);
        }

        for (var id = 1; id <= 30; id++)
        {
            var customer = Customers[random.Next(Customers.Count)];
            var order = new Order
            {
                Id = id,
                CustomerId = customer.Id,
                Customer = customer,
                Placed = new DateTime(2026, 1, 1).AddDays(random.Next(300)),
                ShippingAddress = id % 5 == 0 ? null : NewAddress(random, id),
                Total = id % 7 == 0 ? null : new Money { Amount = random.Next(1, 100000) / 100m, Currency = id % 3 == 0 ? "EUR" : "NOK" },
            };
            customer.Orders.Add(order);
            Orders.Add(order);
        }

        for (var id = 1; id <= 8; id++)
        {
            Products.Add(new Product
            {
                Id = id,
                Name = "product " + id,
                Size = id % 4 == 0 ? null : new Dimensions { Width = random.Next(1, 50) / 2.0, Height = random.Next(1, 50), Depth = random.Next(1, 9) },
                Price = new Money { Amount = id * 12.5m, Currency = id % 2 == 0 ? "EUR" : "NOK" },
            });
        }
    }

    public List<Customer> Customers { get; } = [];

    public List<Order> Orders { get; } = [];

    public List<Product> Products { get; } = [];

    public IQueryable<T> Set<T>() => typeof(T) switch
    {
        var t when t == typeof(Customer) => (IQueryable<T>)Customers.AsQueryable(),
        var t when t == typeof(Order) => (IQueryable<T>)Orders.AsQueryable(),
        var t when t == typeof(Product) => (IQueryable<T>)Products.AsQueryable(),
        var t => throw new ArgumentException(t.Name),
    };

    public void Seed(DbContext context)
    {
        context.AddRange(Customers.Select(c => new Customer { Id = c.Id, Name = c.Name, Addresses = [.. c.Addresses.Select(Copy)] }));
        context.AddRange(Orders.Select(o => new Order
        {
            Id = o.Id,
            CustomerId = o.CustomerId,
            Placed = o.Placed,
            ShippingAddress = o.ShippingAddress is null ? null : Copy(o.ShippingAddress),
            Total = Copy(o.Total),
        }));
        context.AddRange(Products.Select(p => new Product
        {
            Id = p.Id,
            Name = p.Name,
            Size = p.Size is null ? null : new Dimensions { Width = p.Size.Width, Height = p.Size.Height, Depth = p.Size.Depth },
            Price = Copy(p.Price),
        }));
        context.SaveChanges();
    }

    private static Address NewAddress(Random random, int n) => new()
    {
        Street = (n * 7 % 13 + 1) + " " + (n % 2 == 0 ? "Main St" : "Harbour Rd"),
        City = Cities[random.Next(Cities.Length)],
        Zip = n % 3 == 0 ? null : random.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Geo = n % 2 == 0 ? new Geo { Latitude = random.Next(-900, 900) / 10.0, Longitude = random.Next(-1800, 1800) / 10.0 } : null,
    };

    private static Address Copy(Address a) => new()
    {
        Street = a.Street,
        City = a.City,
        Zip = a.Zip,
        Geo = a.Geo is null ? null : new Geo { Latitude = a.Geo.Latitude, Longitude = a.Geo.Longitude },
    };

    private static Money? Copy(Money? m) => m is null ? null : new Money { Amount = m.Amount, Currency = m.Currency };
}
