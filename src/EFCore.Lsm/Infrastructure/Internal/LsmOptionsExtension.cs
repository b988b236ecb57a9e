using System.Globalization;
using System.Text;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.Infrastructure.Internal;

/// <summary>
/// The options <c>UseLsm</c> records on a <c>DbContextOptions</c>: the database path and the engine settings. Immutable:
/// every <c>WithX</c> returns a changed copy, as EF's options extensions are shared between option instances.
/// </summary>
public sealed class LsmOptionsExtension : IDbContextOptionsExtension
{
    /// <summary>Default memtable size: the engine's default (16 MiB).</summary>
    public const long DefaultWriteBufferSize = 16L << 20;

    /// <summary>Default block cache size: the engine's default (32 MiB).</summary>
    public const long DefaultBlockCacheSize = 32L << 20;

    private string? _path;
    private bool _syncWrites = true;
    private bool _enforceForeignKeys = true;
    private long _writeBufferSize = DefaultWriteBufferSize;
    private long _blockCacheSize = DefaultBlockCacheSize;
    private bool _readOnly;
    private ILsmKeyValueStoreFactory? _storeFactory;
    private string? _migrationsAssembly;
    private int _migrationBatchRows = DefaultMigrationBatchRows;
    private long _migrationBatchBytes = DefaultMigrationBatchBytes;
    private ExtensionInfo? _info;

    /// <summary>Rows a migration reads and writes per batch by default (docs/migrations.md, "Memory").</summary>
    public const int DefaultMigrationBatchRows = 1024;

    /// <summary>Bytes of keys and values a migration buffers per batch by default: 4 MiB (docs/migrations.md, "Memory").</summary>
    public const long DefaultMigrationBatchBytes = 4L << 20;

    public LsmOptionsExtension()
    {
    }

    private LsmOptionsExtension(LsmOptionsExtension copyFrom)
    {
        _path = copyFrom._path;
        _syncWrites = copyFrom._syncWrites;
        _enforceForeignKeys = copyFrom._enforceForeignKeys;
        _writeBufferSize = copyFrom._writeBufferSize;
        _blockCacheSize = copyFrom._blockCacheSize;
        _readOnly = copyFrom._readOnly;
        _storeFactory = copyFrom._storeFactory;
        _migrationsAssembly = copyFrom._migrationsAssembly;
        _migrationBatchRows = copyFrom._migrationBatchRows;
        _migrationBatchBytes = copyFrom._migrationBatchBytes;
    }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    /// <summary>The database directory as given to <c>UseLsm</c>.</summary>
    public string Path => _path ?? throw new InvalidOperationException("UseLsm was not given a database path.");

    /// <summary>
    /// What opens the store: the embedded engine in <see cref="Path"/>, unless another backend set its own factory
    /// (<see cref="WithStoreFactory"/>).
    /// </summary>
    public ILsmKeyValueStoreFactory StoreFactory =>
        _storeFactory ??= new EngineKeyValueStoreFactory(Path, _writeBufferSize, _blockCacheSize, _readOnly);

    /// <summary>Whether <c>SaveChanges</c> waits for the write-ahead log to reach stable storage (the default).</summary>
    public bool SyncWrites => _syncWrites;

    /// <summary>
    /// Whether saves check foreign keys and apply delete behaviours to dependents that are not tracked (the default), as
    /// SQLite's <c>foreign_keys</c> pragma does; off for bulk loads that bring principals and dependents in any order.
    /// </summary>
    public bool EnforceForeignKeys => _enforceForeignKeys;

    /// <summary>The engine's memtable size in bytes (<c>LsmOptions.WriteBufferSize</c>).</summary>
    public long WriteBufferSize => _writeBufferSize;

    /// <summary>The engine's block cache size in bytes (<c>LsmOptions.BlockCacheSize</c>).</summary>
    public long BlockCacheSize => _blockCacheSize;

    /// <summary>The assembly the context's migrations live in (null: the context's own assembly).</summary>
    public string? MigrationsAssembly => _migrationsAssembly;

    /// <summary>
    /// Rows a migration copies, re-keys or indexes per batch: what bounds its memory (one batch of rows and their new keys)
    /// however large the table is.
    /// </summary>
    public int MigrationBatchRows => _migrationBatchRows;

    /// <summary>
    /// Bytes of keys, values and conditions a migration buffers per batch before writing it: with wide rows this, not the row
    /// count, is what bounds a migration's memory.
    /// </summary>
    public long MigrationBatchBytes => _migrationBatchBytes;

    public LsmOptionsExtension WithMigrationsAssembly(string? assemblyName)
    {
        var clone = new LsmOptionsExtension(this);
        clone._migrationsAssembly = assemblyName;
        return clone;
    }

    public LsmOptionsExtension WithMigrationBatchRows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1, nameof(rows));
        var clone = new LsmOptionsExtension(this);
        clone._migrationBatchRows = rows;
        return clone;
    }

    public LsmOptionsExtension WithMigrationBatchBytes(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1, "MigrationBatchBytes");
        var clone = new LsmOptionsExtension(this);
        clone._migrationBatchBytes = bytes;
        return clone;
    }

    /// <summary>Whether the engine is opened read-only (<c>LsmOptions.ReadOnly</c>): no lock, and every write is refused.</summary>
    public bool ReadOnly => _readOnly;

    public LsmOptionsExtension WithPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var clone = new LsmOptionsExtension(this);
        clone._path = path;
        clone.DropEngineFactory();
        return clone;
    }

    /// <summary>A copy that opens its store through <paramref name="factory"/> (a backend other than the embedded engine).</summary>
    public LsmOptionsExtension WithStoreFactory(ILsmKeyValueStoreFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var clone = new LsmOptionsExtension(this);
        clone._storeFactory = factory;
        clone._path ??= factory.StoreKey;
        return clone;
    }

    public LsmOptionsExtension WithSyncWrites(bool syncWrites)
    {
        var clone = new LsmOptionsExtension(this);
        clone._syncWrites = syncWrites;
        return clone;
    }

    public LsmOptionsExtension WithEnforceForeignKeys(bool enforce)
    {
        var clone = new LsmOptionsExtension(this);
        clone._enforceForeignKeys = enforce;
        return clone;
    }

    public LsmOptionsExtension WithWriteBufferSize(long bytes)
    {
        // The engine refuses tiny memtables too; checking here names the option the user set.
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 64L * 1024, nameof(bytes));
        var clone = new LsmOptionsExtension(this);
        clone._writeBufferSize = bytes;
        clone.DropEngineFactory();
        return clone;
    }

    public LsmOptionsExtension WithBlockCacheSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes, nameof(bytes));
        var clone = new LsmOptionsExtension(this);
        clone._blockCacheSize = bytes;
        clone.DropEngineFactory();
        return clone;
    }

    public LsmOptionsExtension WithReadOnly(bool readOnly)
    {
        var clone = new LsmOptionsExtension(this);
        clone._readOnly = readOnly;
        clone.DropEngineFactory();
        return clone;
    }

    public void ApplyServices(IServiceCollection services) => services.AddEntityFrameworkLsm();

    // An engine factory derived from the path and engine settings is rebuilt after either changes; another backend's stays.
    private void DropEngineFactory()
    {
        if (_storeFactory is EngineKeyValueStoreFactory)
        {
            _storeFactory = null;
        }
    }

    public void Validate(IDbContextOptions options)
    {
        if (string.IsNullOrWhiteSpace(_path) && _storeFactory is null)
        {
            throw new InvalidOperationException("UseLsm was not given a database path.");
        }
    }

    private sealed class ExtensionInfo : DbContextOptionsExtensionInfo
    {
        private string? _logFragment;

        public ExtensionInfo(LsmOptionsExtension extension)
            : base(extension)
        {
        }

        private new LsmOptionsExtension Extension => (LsmOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => true;

        public override string LogFragment => _logFragment ??= BuildLogFragment();

        // Nothing in these options changes which services are registered or how the model is built: the path and the
        // engine settings are read per context. So every UseLsm configuration shares one internal service provider
        // (and its compiled models and queries), as InMemory's store name does.
        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
            debugInfo["Lsm:Path"] = Extension._path ?? string.Empty;
            debugInfo["Lsm:SyncWrites"] = Extension._syncWrites ? "1" : "0";
            debugInfo["Lsm:EnforceForeignKeys"] = Extension._enforceForeignKeys ? "1" : "0";
            debugInfo["Lsm:WriteBufferSize"] = Extension._writeBufferSize.ToString(CultureInfo.InvariantCulture);
            debugInfo["Lsm:BlockCacheSize"] = Extension._blockCacheSize.ToString(CultureInfo.InvariantCulture);
            debugInfo["Lsm:ReadOnly"] = Extension._readOnly ? "1" : "0";
            debugInfo["Lsm:MigrationBatchRows"] = Extension._migrationBatchRows.ToString(CultureInfo.InvariantCulture);
            debugInfo["Lsm:MigrationBatchBytes"] = Extension._migrationBatchBytes.ToString(CultureInfo.InvariantCulture);
        }

        private string BuildLogFragment()
        {
            var builder = new StringBuilder();
            builder.Append("Path=").Append(Extension._path).Append(' ');
            if (!Extension._syncWrites)
            {
                builder.Append("SyncWrites=false ");
            }

            if (!Extension._enforceForeignKeys)
            {
                builder.Append("EnforceForeignKeys=false ");
            }

            if (Extension._writeBufferSize != DefaultWriteBufferSize)
            {
                builder.Append("WriteBufferSize=").Append(Extension._writeBufferSize.ToString(CultureInfo.InvariantCulture)).Append(' ');
            }

            if (Extension._blockCacheSize != DefaultBlockCacheSize)
            {
                builder.Append("BlockCacheSize=").Append(Extension._blockCacheSize.ToString(CultureInfo.InvariantCulture)).Append(' ');
            }

            if (Extension._readOnly)
            {
                builder.Append("ReadOnly ");
            }

            if (Extension._migrationBatchRows != DefaultMigrationBatchRows)
            {
                builder.Append("MigrationBatchRows=").Append(Extension._migrationBatchRows.ToString(CultureInfo.InvariantCulture)).Append(' ');
            }

            if (Extension._migrationBatchBytes != DefaultMigrationBatchBytes)
            {
                builder.Append("MigrationBatchBytes=").Append(Extension._migrationBatchBytes.ToString(CultureInfo.InvariantCulture)).Append(' ');
            }

            return builder.ToString();
        }
    }
}
