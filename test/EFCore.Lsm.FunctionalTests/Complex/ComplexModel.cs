using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// A model with complex properties of every shape the provider stores in the entity's row: a required class with a nested
/// required complex value and a value converter (Shipment.Origin, .Origin.Geo), an optional class with the same type
/// (Shipment.Destination), a required struct (Shipment.Size) and an optional struct (Shipment.Insurance). Records, so that
/// LINQ-to-objects compares them by value as EF compares complex values.
/// </summary>
public sealed class ComplexContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Shipment> Shipments => Set<Shipment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Shipment>(b =>
        {
            b.Property(s => s.Id).ValueGeneratedNever();
            b.ComplexProperty(s => s.Origin, a =>
            {
                a.Property(x => x.Kind).HasConversion<string>();
                a.ComplexProperty(x => x.Geo);
            });
            b.ComplexProperty(s => s.Destination, a =>
            {
                a.Property(x => x.Kind).HasConversion<string>();
                a.ComplexProperty(x => x.Geo);
            });
            b.ComplexProperty(s => s.Size);
            b.ComplexProperty(s => s.Insurance);
        });
}

public class Shipment
{
    public int Id { get; set; }

    public string Reference { get; set; } = "";

    public Place Origin { get; set; } = new();

    public Place? Destination { get; set; }

    public Parcel Size { get; set; }

    public Cover? Insurance { get; set; }
}

public enum PlaceKind
{
    Home,
    Depot,
    Shop,
}

public record class Place
{
    public string City { get; set; } = "";

    public string? Street { get; set; }

    public int Number { get; set; }

    public PlaceKind Kind { get; set; }

    public Geo Geo { get; set; } = new();
}

public record class Geo
{
    public double Latitude { get; set; }

    public double Longitude { get; set; }
}

public struct Parcel
{
    public int Width { get; set; }

    public int Height { get; set; }

    public decimal Weight { get; set; }
}

public record struct Cover
{
    public decimal Amount { get; set; }

    public string Currency { get; set; }
}
