using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Owned;

/// <summary>
/// A model with owned types of every shape the provider stores in the owner's row: an optional owned reference with a
/// nested owned reference (Order.ShippingAddress.Geo), an owned collection with EF's generated ordinal key
/// (Customer.Addresses), an owned collection element with its own nested reference, a value converter inside an owned
/// type, and a concurrency token on an owner.
/// </summary>
public sealed class OwnedContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Customer> Customers => Set<Customer>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(b =>
        {
            b.Property(o => o.Version).IsConcurrencyToken();
            b.OwnsOne(o => o.ShippingAddress, a =>
            {
                a.Property(x => x.Kind).HasConversion<string>();
                a.OwnsOne(x => x.Geo);
            });
        });
        modelBuilder.Entity<Customer>(b => b.OwnsMany(c => c.Addresses, a => a.OwnsOne(x => x.Geo)));
    }
}

public class Order
{
    public int Id { get; set; }

    public string Product { get; set; } = "";

    public int Version { get; set; }

    public Address? ShippingAddress { get; set; }
}

public class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Address> Addresses { get; set; } = [];
}

public enum AddressKind
{
    Home,
    Work,
}

public class Address
{
    public string City { get; set; } = "";

    public string? Street { get; set; }

    public int Number { get; set; }

    public AddressKind Kind { get; set; }

    public Geo? Geo { get; set; }
}

public class Geo
{
    public double Latitude { get; set; }

    public double Longitude { get; set; }
}
