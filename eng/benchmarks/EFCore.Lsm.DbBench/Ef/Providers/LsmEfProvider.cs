using EFCore.Lsm.DbBench.Ef.Model;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Storage;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>EF Core over EFCore.Lsm, with the engine settings the engine workloads use (block cache, write buffer).</summary>
internal sealed class LsmEfProvider(string path, BenchOptions options) : IEfProvider
{
    private readonly DbContextOptions<BenchDbContext> _durable = Build(path, options, durable: true);
    private readonly DbContextOptions<BenchDbContext> _relaxed = Build(path, options, durable: false);

    // The provider closes its engine when the last context on the path goes; one context held open for the whole run
    // keeps the engine (and its block cache) alive between workloads, as an application's would be.
    private BenchDbContext? _keepAlive;

    public string Name => EfProviderCatalog.Lsm;

    public BenchDbContext CreateContext(bool durable) => new(durable ? _durable : _relaxed);

    public DbContextOptions<TContext> CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext
        => new DbContextOptionsBuilder<TContext>()
            .UseLsm(path + "-" + database, lsm =>
            {
                lsm.SyncWrites(false).WriteBufferSize(options.WriteBufferSize).BlockCacheSize(options.CacheSize);
                if (options.MigrationBatchRows is { } rows)
                {
                    lsm.MigrationBatchRows(rows);
                }

                if (options.MigrationBatchBytes is { } bytes)
                {
                    lsm.MigrationBatchBytes(bytes);
                }
            })
            .Options;

    public void Recreate()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        _keepAlive = CreateContext(durable: false);
        _keepAlive.Database.EnsureCreated();
    }

    /// <summary>
    /// Closes the provider's engine, opens the folder with the engine itself (the settings the provider opens it with;
    /// tables LZ4-compressed, the engine's default) to flush the memtable and compact every table into one level, and
    /// opens it again through EF: the query workloads then read tables, through the block cache, with an empty memtable.
    /// </summary>
    public void SettleForReads()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
        if (!LsmStorePool.Close(path))
        {
            throw new InvalidOperationException($"A context still uses '{path}', so its engine cannot be closed to settle it.");
        }

        using (var engine = LsmDatabase.Open(path, new LsmOptions { WriteBufferSize = options.WriteBufferSize, BlockCacheSize = options.CacheSize }))
        {
            // CompactRange flushes the memtable first.
            engine.CompactRange(null, null);
            engine.WaitForCompactions();
        }

        _keepAlive = CreateContext(durable: false);
        _keepAlive.Database.EnsureCreated();
    }

    public long DatabaseBytes() => ProcessStats.DirectorySize(path);

    public void Dispose()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    private static DbContextOptions<BenchDbContext> Build(string path, BenchOptions options, bool durable)
        => new DbContextOptionsBuilder<BenchDbContext>()
            .UseLsm(path, lsm => lsm.SyncWrites(durable).WriteBufferSize(options.WriteBufferSize).BlockCacheSize(options.CacheSize))
            .Options;
}
