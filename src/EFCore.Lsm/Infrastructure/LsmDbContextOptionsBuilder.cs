using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.Infrastructure;

/// <summary>Engine settings for <c>UseLsm</c>: <c>options.UseLsm("data/app", lsm =&gt; lsm.SyncWrites(false))</c>.</summary>
public sealed class LsmDbContextOptionsBuilder
{
    private readonly DbContextOptionsBuilder _optionsBuilder;

    /// <summary>Wraps the options builder that <c>UseLsm</c> configures; <c>UseLsm</c> creates it for its callback.</summary>
    /// <param name="optionsBuilder">The context's options builder.</param>
    public LsmDbContextOptionsBuilder(DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        _optionsBuilder = optionsBuilder;
    }

    /// <summary>The options builder this one configures.</summary>
    public DbContextOptionsBuilder OptionsBuilder => _optionsBuilder;

    /// <summary>
    /// Whether <c>SaveChanges</c> and transaction commits wait for the write-ahead log to be flushed to stable storage
    /// (default true: an acknowledged save survives power loss). False only survives a process crash.
    /// </summary>
    public LsmDbContextOptionsBuilder SyncWrites(bool sync = true) => With(e => e.WithSyncWrites(sync));

    /// <summary>
    /// Whether <c>SaveChanges</c> checks foreign keys (a dependent must name an existing principal) and applies the model's
    /// delete behaviours to dependents the context does not track (default true). Turn it off for a bulk load that saves
    /// dependents before their principals, as SQLite's <c>PRAGMA foreign_keys = OFF</c> does; nothing is checked or
    /// cascaded while it is off, and rows saved meanwhile are not checked later.
    /// </summary>
    public LsmDbContextOptionsBuilder EnforceForeignKeys(bool enforce = true) => With(e => e.WithEnforceForeignKeys(enforce));

    /// <summary>The engine's memtable size in bytes (default 16 MiB, at least 64 KiB).</summary>
    public LsmDbContextOptionsBuilder WriteBufferSize(long bytes) => With(e => e.WithWriteBufferSize(bytes));

    /// <summary>The engine's block cache size in bytes (default 32 MiB; 0 turns the cache off).</summary>
    public LsmDbContextOptionsBuilder BlockCacheSize(long bytes) => With(e => e.WithBlockCacheSize(bytes));

    /// <summary>
    /// The assembly that holds the context's migrations (its <c>[DbContext]</c> <c>Migration</c> classes and model snapshot),
    /// as relational providers' <c>MigrationsAssembly</c>; default the context's own assembly.
    /// </summary>
    public LsmDbContextOptionsBuilder MigrationsAssembly(string? assemblyName) => With(e => e.WithMigrationsAssembly(assemblyName));

    /// <summary>
    /// Rows a migration copies, re-keys or indexes per batch (default 1024): what bounds a migration's memory however large
    /// the table is (docs/migrations.md).
    /// </summary>
    public LsmDbContextOptionsBuilder MigrationBatchRows(int rows) => With(e => e.WithMigrationBatchRows(rows));

    /// <summary>
    /// Bytes of rows or index entries (keys, values and conditions) a migration buffers before writing a batch (default
    /// 4 MiB, at least 1): what bounds a migration's memory when rows are wide. A batch is written when it reaches this or
    /// <see cref="MigrationBatchRows"/>, whichever comes first; a single row larger than it is written alone (docs/migrations.md).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is less than 1.</exception>
    public LsmDbContextOptionsBuilder MigrationBatchBytes(long bytes) => With(e => e.WithMigrationBatchBytes(bytes));

    /// <summary>
    /// Opens the database read-only (<c>LsmOptions.ReadOnly</c>): no lock and no write, so it works beside another process
    /// that has the database open, and on a full or read-only disk. Contexts see the database as it was when the store
    /// opened; <c>SaveChanges</c> and anything else that writes (registering a new entity type in the catalog, reserving
    /// generated keys) fail with an error that names read-only.
    /// </summary>
    public LsmDbContextOptionsBuilder ReadOnly(bool readOnly = true) => With(e => e.WithReadOnly(readOnly));

    private LsmDbContextOptionsBuilder With(Func<LsmOptionsExtension, LsmOptionsExtension> change)
    {
        var extension = _optionsBuilder.Options.FindExtension<LsmOptionsExtension>() ?? new LsmOptionsExtension();
        ((IDbContextOptionsBuilderInfrastructure)_optionsBuilder).AddOrUpdateExtension(change(extension));
        return this;
    }
}
