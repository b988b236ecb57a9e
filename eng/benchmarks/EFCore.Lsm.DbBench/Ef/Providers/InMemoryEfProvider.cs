using EFCore.Lsm.DbBench.Ef.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>EF Core InMemory: no persistence and no I/O, so its figures are the ceiling of EF's own overhead.</summary>
internal sealed class InMemoryEfProvider : IEfProvider
{
    private readonly DbContextOptions<BenchDbContext> _options = new DbContextOptionsBuilder<BenchDbContext>()
        .UseInMemoryDatabase("efbench", new InMemoryDatabaseRoot())
        .Options;

    public string Name => EfProviderCatalog.InMemory;

    // InMemory has nothing to sync: the durable runs are the same as the others.
    public BenchDbContext CreateContext(bool durable) => new(_options);

    public void Recreate()
    {
        using var db = CreateContext(durable: false);
        db.Database.EnsureDeleted();
        db.Database.EnsureCreated();
    }

    // The migration workloads run on lsm and sqlite only (the README's Benchmarks section says why).
    public DbContextOptions<TContext>? CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext
        => null;

    public long DatabaseBytes() => 0;

    public void Dispose()
    {
    }
}
