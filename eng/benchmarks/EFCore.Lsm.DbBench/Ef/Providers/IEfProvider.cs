using EFCore.Lsm.DbBench.Ef.Model;

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

    /// <summary>Drops the database and creates it again with the model's schema and no rows.</summary>
    void Recreate();

    /// <summary>Bytes the database occupies on disk (0 for a provider that keeps nothing on disk).</summary>
    long DatabaseBytes();
}
