using EFCore.Lsm.DbBench.Ef.Model;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>One EF Core provider with its database for the EF workloads: contexts on demand, a way to start over.</summary>
internal interface IEfProvider : IDisposable
{
    string Name { get; }

    /// <summary>
    /// A new context over the database. <paramref name="durable"/>: every SaveChanges is on disk when it returns (our
    /// SyncWrites, SQLite synchronous=FULL, PostgreSQL synchronous_commit=on); otherwise the provider's usual
    /// non-syncing mode (SQLite synchronous=NORMAL in WAL mode, PostgreSQL synchronous_commit=off).
    /// </summary>
    BenchDbContext CreateContext(bool durable);

    /// <summary>
    /// Options of a context of another model over a database of its own, <paramref name="database"/>, beside this provider's
    /// (the migration workloads), set up as <see cref="CreateContext"/> sets up its contexts when not durable; a new
    /// connection each call where the provider's contexts own one. Null when the harness runs no EF migrations on this provider.
    /// </summary>
    DbContextOptions<TContext>? CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext;

    /// <summary>Drops the database and creates it again with the model's schema and no rows.</summary>
    void Recreate();

    /// <summary>
    /// Unmeasured, before a query or update workload: moves what the provider holds only in its write-ahead log into its
    /// database files, so the reads find the rows where a database that has been open a while keeps them rather than
    /// where a load just left them. EFCore.Lsm flushes its memtable into tables and compacts them into one level (the
    /// seeded 100k customers fit the 16 MiB write buffer, so without this every query would read the memtable only);
    /// SQLite checkpoints its WAL into the database file; the others keep nothing to move.
    /// </summary>
    void SettleForReads()
    {
    }

    /// <summary>Bytes the database occupies on disk (0 for a provider that keeps nothing on disk).</summary>
    long DatabaseBytes();
}
