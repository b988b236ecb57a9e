using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Etcd.FunctionalTests.Reliability;

public sealed class LedgerEntry
{
    public int Save { get; set; }

    public int Index { get; set; }

    public string Payload { get; set; } = "";
}

public sealed class LedgerCounter
{
    public int Id { get; set; }

    public int LastSave { get; set; }
}

/// <summary>Each save of the fault tests: rows of one save number plus the counter row, whose token is checked.</summary>
public sealed class LedgerContext(DbContextOptions<LedgerContext> options) : DbContext(options)
{
    public const int RowsPerSave = 8;

    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    public DbSet<LedgerCounter> Counters => Set<LedgerCounter>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<LedgerEntry>().HasKey(e => new { e.Save, e.Index });
        model.Entity<LedgerCounter>().Property(c => c.Id).ValueGeneratedNever();
        model.Entity<LedgerCounter>().Property(c => c.LastSave).IsConcurrencyToken();
    }
}
