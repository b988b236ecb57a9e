using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.CrashWorker;

public sealed class LedgerEntry
{
    public int Save { get; set; }

    public int Index { get; set; }

    public string Payload { get; set; } = "";
}

public sealed class Counter
{
    public int Id { get; set; }

    public int LastSave { get; set; }
}

/// <summary>Shared by the crash worker and the test that checks what survived its SIGKILL.</summary>
public sealed class LedgerContext(string path) : DbContext
{
    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    public DbSet<Counter> Counters => Set<Counter>();

    // Small memtables, so kills also land in flushes and compactions.
    protected override void OnConfiguring(DbContextOptionsBuilder options)
        => options.UseLsm(path, o => o.WriteBufferSize(64 * 1024));

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<LedgerEntry>().HasKey(e => new { e.Save, e.Index });
        model.Entity<Counter>().Property(c => c.Id).ValueGeneratedNever();
        model.Entity<Counter>().Property(c => c.LastSave).IsConcurrencyToken();
    }
}
