using EFCore.Lsm.DbBench.Ef.Model;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>
/// EF Core over SQLite in WAL journal mode. Each context owns one open connection, set up with synchronous=FULL (durable)
/// or NORMAL and a 32 MiB page cache (the block cache the engines get), because synchronous is a per-connection setting.
/// </summary>
internal sealed class SqliteEfProvider(string folder, BenchOptions options) : IEfProvider
{
    private readonly string _file = Path.Combine(folder, "efbench.db");

    public string Name => EfProviderCatalog.Sqlite;

    public BenchDbContext CreateContext(bool durable) => new(Options<BenchDbContext>(_file, durable));

    /// <summary>A database file of its own beside efbench.db, in WAL mode like it (the mode is stored in the file).</summary>
    public DbContextOptions<TContext> CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext
    {
        Directory.CreateDirectory(folder);
        return Options<TContext>(Path.Combine(folder, database + ".db"), durable: false, walMode: true);
    }

    public void Recreate()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        using var db = CreateContext(durable: false);
        db.Database.EnsureCreated();

        // WAL mode is stored in the database file, so every later connection uses it.
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }

    /// <summary>Checkpoints the WAL into the database file (TRUNCATE: the WAL is then empty), as an idle database ends up.</summary>
    public void SettleForReads()
    {
        using var db = CreateContext(durable: false);
        db.Database.ExecuteSqlRaw("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private DbContextOptions<TContext> Options<TContext>(string file, bool durable, bool walMode = false)
        where TContext : DbContext
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = $"{(walMode ? "PRAGMA journal_mode=WAL; " : "")}PRAGMA synchronous={(durable ? "FULL" : "NORMAL")}; "
                + $"PRAGMA cache_size=-{options.CacheSize >> 10};";
            pragma.ExecuteNonQuery();
        }

        // The context disposes the connection it was given ownership of.
        return new DbContextOptionsBuilder<TContext>().UseSqlite(connection, contextOwnsConnection: true).Options;
    }

    public long DatabaseBytes() => Measurement.ProcessStats.DirectorySize(folder);

    public void Dispose() => SqliteConnection.ClearAllPools();
}
