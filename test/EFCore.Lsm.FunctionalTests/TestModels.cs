using System.ComponentModel.DataAnnotations;
using System.ComponentModel.DataAnnotations.Schema;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests;

public class Customer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Balance { get; set; }

    [ConcurrencyCheck]
    public int Version { get; set; }
}

public class OrderLine
{
    public int OrderId { get; set; }

    public string Sku { get; set; } = "";

    public int Quantity { get; set; }
}

public class Document
{
    public Guid Id { get; set; }

    public string Title { get; set; } = "";

    [Timestamp]
    public byte[]? RowVersion { get; set; }
}

public class Tag
{
    [DatabaseGenerated(DatabaseGeneratedOption.None)]
    public string Id { get; set; } = "";

    public string? Note { get; set; }
}

public enum Color : short
{
    Red = -1,
    Green = 2,
    Blue = 300,
}

[Flags]
public enum Permissions : ulong
{
    None = 0,
    Read = 1,
    All = ulong.MaxValue,
}

public readonly record struct Celsius(double Degrees);

public class AllTypes
{
    public int Id { get; set; }

    public bool Bool { get; set; }
    public byte Byte { get; set; }
    public sbyte SByte { get; set; }
    public short Short { get; set; }
    public ushort UShort { get; set; }
    public int Int { get; set; }
    public uint UInt { get; set; }
    public long Long { get; set; }
    public ulong ULong { get; set; }
    public char Char { get; set; }
    public float Float { get; set; }
    public double Double { get; set; }
    public decimal Decimal { get; set; }
    public string String { get; set; } = "";
    public byte[] Bytes { get; set; } = [];
    public Guid Guid { get; set; }
    public DateTime DateTime { get; set; }
    public DateTimeOffset DateTimeOffset { get; set; }
    public DateOnly DateOnly { get; set; }
    public TimeOnly TimeOnly { get; set; }
    public TimeSpan TimeSpan { get; set; }
    public Color Color { get; set; }
    public Permissions Permissions { get; set; }
    public Celsius Temperature { get; set; }
    public Uri? Link { get; set; }

    public int? NullableInt { get; set; }
    public decimal? NullableDecimal { get; set; }
    public DateTimeOffset? NullableDateTimeOffset { get; set; }
    public Color? NullableColor { get; set; }
    public string? NullableString { get; set; }
    public byte[]? NullableBytes { get; set; }
    public Guid? NullableGuid { get; set; }
}

/// <summary>Keys of many types, with a converter on one, to check key encoding through EF.</summary>
public class DateKeyed
{
    public DateTimeOffset Id { get; set; }

    public string Value { get; set; } = "";
}

public class ConvertedKey
{
    public Celsius Id { get; set; }

    public string Value { get; set; } = "";
}

public class TestContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<OrderLine> OrderLines => Set<OrderLine>();

    public DbSet<Document> Documents => Set<Document>();

    public DbSet<Tag> Tags => Set<Tag>();

    public DbSet<AllTypes> AllTypes => Set<AllTypes>();

    public DbSet<DateKeyed> DateKeyed => Set<DateKeyed>();

    public DbSet<ConvertedKey> ConvertedKeys => Set<ConvertedKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OrderLine>().HasKey(l => new { l.OrderId, l.Sku });
        modelBuilder.Entity<AllTypes>().Property(a => a.Temperature).HasConversion(c => c.Degrees, d => new Celsius(d));
        modelBuilder.Entity<AllTypes>().Property(a => a.Id).ValueGeneratedNever();
        modelBuilder.Entity<ConvertedKey>().Property(a => a.Id).HasConversion(c => c.Degrees, d => new Celsius(d));
    }

    public static TestContext Create(string path, Action<DbContextOptionsBuilder>? configure = null)
    {
        var builder = new DbContextOptionsBuilder<TestContext>().UseTestStore(path);
        configure?.Invoke(builder);
        return new TestContext(builder.Options);
    }
}
