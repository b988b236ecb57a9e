using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// The applied migrations of an EFCore.Lsm database: the catalog's history records (0, 3, migration id) → product version
/// (docs/migrations.md), written in the same batch as each migration's catalog switch, so the history never disagrees with
/// the schema. There is no SQL: the script members refuse, naming what to use instead.
/// </summary>
internal sealed class LsmHistoryRepository(LsmStoreConnection connection) : IHistoryRepository
{
    /// <summary>The EF version recorded with each applied migration, as EF's history table records it.</summary>
    public static readonly string ProductVersion =
        typeof(Migration).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "10.0";

    public LockReleaseBehavior LockReleaseBehavior => LockReleaseBehavior.Explicit;

    public bool Exists() => connection.Store.Exists;

    public Task<bool> ExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(Exists());

    // The history keyspace needs no creation: it is a record kind of the catalog, present once a migration is applied.
    public void Create() => connection.Store.EnsureCreatedEmpty(connection.SyncWrites);

    public Task CreateAsync(CancellationToken cancellationToken = default)
    {
        Create();
        return Task.CompletedTask;
    }

    public IReadOnlyList<HistoryRow> GetAppliedMigrations()
    {
        var prefix = CatalogKeys.KindPrefix(CatalogKeys.HistoryKind);
        var rows = new List<HistoryRow>();
        using var view = connection.Store.KeyValueStore.OpenView();
        using var cursor = view.Scan(prefix, KeyRange.PrefixSuccessor(prefix)!);
        while (cursor.MoveNext())
        {
            var reader = new KeyReader(cursor.Key[prefix.Length..]);
            var id = reader.ReadString();
            rows.Add(new HistoryRow(id, HistoryRecord.Decode(id, cursor.Value)));
        }

        return rows;
    }

    public Task<IReadOnlyList<HistoryRow>> GetAppliedMigrationsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(GetAppliedMigrations());

    public IMigrationsDatabaseLock AcquireDatabaseLock() => new MigrationLock(this, connection.Options.StoreFactory.StoreKey);

    public Task<IMigrationsDatabaseLock> AcquireDatabaseLockAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(AcquireDatabaseLock());

    public string GetCreateScript() => throw NoScripts();

    public string GetCreateIfNotExistsScript() => throw NoScripts();

    public string GetInsertScript(HistoryRow row) => throw NoScripts();

    public string GetDeleteScript(string migrationId) => throw NoScripts();

    public string GetBeginIfNotExistsScript(string migrationId) => throw NoScripts();

    public string GetBeginIfExistsScript(string migrationId) => throw NoScripts();

    public string GetEndIfScript() => throw NoScripts();

    internal static NotSupportedException NoScripts() =>
        new("EFCore.Lsm databases have no SQL, so migrations cannot be scripted; apply them with context.Database.Migrate() or "
            + "'dotnet ef database update'.");

    /// <summary>
    /// Serialises migrations of one store within the process; across processes the state record (0, 4), which a migration
    /// creates on condition that it is absent, refuses a second migrator.
    /// </summary>
    private sealed class MigrationLock : IMigrationsDatabaseLock
    {
        private static readonly Dictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);
        private readonly SemaphoreSlim _semaphore;

        public MigrationLock(IHistoryRepository repository, string storeKey)
        {
            HistoryRepository = repository;
            lock (Locks)
            {
                if (!Locks.TryGetValue(storeKey, out _semaphore!))
                {
                    _semaphore = new SemaphoreSlim(1, 1);
                    Locks[storeKey] = _semaphore;
                }
            }

            _semaphore.Wait();
        }

        public IHistoryRepository HistoryRepository { get; }

        IHistoryRepository IMigrationsDatabaseLock.HistoryRepository => HistoryRepository;

        public void Dispose() => _semaphore.Release();

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
