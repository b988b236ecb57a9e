using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Model;

/// <summary>
/// The EF workloads' context: the same model on every provider. Keys are assigned by the workloads (never generated),
/// so every provider holds exactly the same rows and the lookups know which keys exist. One secondary index, on Region,
/// the same on every provider; the other filters (City, Balance) have none, so those queries scan everywhere. Orders (seeded
/// only by the include and join workloads) reference customers, with EF's index on the foreign key.
/// </summary>
internal sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options)
{
    public DbSet<BenchCustomer> Customers => Set<BenchCustomer>();

    public DbSet<BenchOrder> Orders => Set<BenchOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var customer = modelBuilder.Entity<BenchCustomer>();
        customer.ToTable("Customers");
        customer.HasKey(c => c.Id);
        customer.Property(c => c.Id).ValueGeneratedNever();
        customer.Property(c => c.Name).HasMaxLength(64).IsRequired();
        customer.Property(c => c.City).HasMaxLength(32).IsRequired();
        customer.Property(c => c.Region).HasMaxLength(8).IsRequired();
        customer.Property(c => c.Balance).HasPrecision(18, 2);
        customer.HasIndex(c => c.Region);
        var order = modelBuilder.Entity<BenchOrder>();
        order.ToTable("Orders");
        order.Property(o => o.Id).ValueGeneratedNever();
        order.HasOne(o => o.Customer).WithMany(c => c.Orders).HasForeignKey(o => o.CustomerId);
    }
}
