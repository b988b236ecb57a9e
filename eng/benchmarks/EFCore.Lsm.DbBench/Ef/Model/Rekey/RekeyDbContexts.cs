using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Model.Rekey;

/// <summary>
/// The model after the ef-rekey migrations (<see cref="RekeyMigrations"/>): orders keyed by (TenantId, Id), Region indexed.
/// The migrations belong to this context; it runs them (<c>IMigrator.Migrate</c>) on every provider.
/// </summary>
internal sealed class RekeyDbContext(DbContextOptions<RekeyDbContext> options) : DbContext(options)
{
    public DbSet<RekeyOrder> Orders => Set<RekeyOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => RekeyModel.Configure(modelBuilder, rekeyed: true);
}

/// <summary>The model between the two migrations (keyed by Id): the context that loads the rows the re-key then moves.</summary>
internal sealed class RekeyLoadDbContext(DbContextOptions<RekeyLoadDbContext> options) : DbContext(options)
{
    public DbSet<RekeyOrder> Orders => Set<RekeyOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => RekeyModel.Configure(modelBuilder, rekeyed: false);
}

/// <summary>The one description of the Orders table, before and after the re-key (the migrations' target models say the same).</summary>
internal static class RekeyModel
{
    public const string Table = "Orders";

    public static void Configure(ModelBuilder modelBuilder, bool rekeyed)
    {
        var order = modelBuilder.Entity<RekeyOrder>();
        order.ToTable(Table);
        if (rekeyed)
        {
            order.HasKey(o => new { o.TenantId, o.Id });
        }
        else
        {
            order.HasKey(o => o.Id);
        }

        order.Property(o => o.Id).ValueGeneratedNever();
        order.Property(o => o.TenantId).ValueGeneratedNever();
        order.Property(o => o.Name).HasMaxLength(64).IsRequired();
        order.Property(o => o.City).HasMaxLength(32).IsRequired();
        order.Property(o => o.Region).HasMaxLength(8).IsRequired();
        order.Property(o => o.Balance).HasPrecision(18, 2);
        order.HasIndex(o => o.Region);
    }
}
