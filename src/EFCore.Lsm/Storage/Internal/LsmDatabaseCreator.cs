using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// <c>EnsureCreated</c> writes the catalog for the model (and then inserts <c>HasData</c> rows and runs <c>UseSeeding</c>);
/// <c>EnsureDeleted</c> deletes every row and the catalog. The engine's files stay: other contexts in the process may
/// share the open engine, and an emptied database takes a few bytes.
/// </summary>
internal sealed class LsmDatabaseCreator(
    IDatabase database,
    IDesignTimeModel designTimeModel,
    IUpdateAdapterFactory updateAdapterFactory,
    ICurrentDbContext currentContext,
    IDbContextOptions contextOptions) : IDatabaseCreator
{
    private readonly LsmDatabaseWrapper _database = (LsmDatabaseWrapper)database;

    public bool EnsureCreated()
    {
        var created = _database.Store.EnsureCreated(currentContext.Context.Model, _database.Connection.SyncWrites);
        if (created)
        {
            _database.SaveChanges(SeedEntries().GetEntriesToSave());
        }

        var core = contextOptions.FindExtension<CoreOptionsExtension>();
        if (core?.Seeder is { } seeder)
        {
            seeder(currentContext.Context, created);
        }
        else if (core?.AsyncSeeder is not null)
        {
            throw new InvalidOperationException(CoreStrings.MissingSeeder);
        }

        return created;
    }

    public async Task<bool> EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        var created = _database.Store.EnsureCreated(currentContext.Context.Model, _database.Connection.SyncWrites);
        if (created)
        {
            await _database.SaveChangesAsync(SeedEntries().GetEntriesToSave(), cancellationToken).ConfigureAwait(false);
        }

        var core = contextOptions.FindExtension<CoreOptionsExtension>();
        if (core?.AsyncSeeder is { } asyncSeeder)
        {
            await asyncSeeder(currentContext.Context, created, cancellationToken).ConfigureAwait(false);
        }
        else if (core?.Seeder is not null)
        {
            throw new InvalidOperationException(CoreStrings.MissingSeeder);
        }

        return created;
    }

    public bool EnsureDeleted() => _database.Store.DeleteAll(_database.Connection.SyncWrites);

    public Task<bool> EnsureDeletedAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(EnsureDeleted());
    }

    public bool CanConnect()
    {
        _ = _database.Store;
        return true;
    }

    public Task<bool> CanConnectAsync(CancellationToken cancellationToken = default) => Task.FromResult(CanConnect());

    private IUpdateAdapter SeedEntries()
    {
        // HasData lives on the design-time model; the entries are built against the runtime model the store maps.
        var adapter = updateAdapterFactory.CreateStandalone();
        foreach (var entityType in designTimeModel.Model.GetEntityTypes())
        {
            IEntityType? runtimeType = null;
            foreach (var seed in entityType.GetSeedData())
            {
                runtimeType ??= adapter.Model.FindEntityType(entityType.Name)!;
                var values = new Dictionary<string, object?>(seed, StringComparer.Ordinal);
                var entry = adapter.CreateEntry(values, runtimeType);
                entry.EntityState = EntityState.Added;
            }
        }

        return adapter;
    }
}
