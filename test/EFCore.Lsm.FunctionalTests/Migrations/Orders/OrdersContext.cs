using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Migrations.Orders;

/// <summary>The model after the five hand-written migrations of this folder (written as <c>dotnet ef migrations add</c> writes them).</summary>
public sealed class Order
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public int Number { get; set; }

    public string? Remark { get; set; }

    public long Quantity { get; set; }

    public int Priority { get; set; }
}

public sealed class OrdersContext(string path, Action<DbContextOptionsBuilder>? options = null) : DbContext
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        optionsBuilder.UseLsm(path, o => o.MigrationBatchRows(2));
        options?.Invoke(optionsBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var order = modelBuilder.Entity<Order>();
        order.HasKey(o => new { o.CustomerId, o.Number });
        order.Property(o => o.Id).ValueGeneratedNever();
        order.Property(o => o.Priority).HasDefaultValue(3);
        order.HasIndex(o => o.Remark);
    }
}
