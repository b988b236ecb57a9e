using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// EF's <see cref="IMigrator"/> for EFCore.Lsm: what <c>Database.Migrate()</c> and <c>dotnet ef database update</c> run.
/// Chooses the migrations to apply or revert as EF's relational migrator does (all pending; or up or down to a target;
/// "0" reverts all), and runs each one's operations on the key schemas in a <see cref="MigrationSession"/>: one atomic switch
/// per migration, history row included. A migration interrupted by a crash is rolled back first (or, when it had already
/// switched, its cleanup finished), then the plan runs.
/// </summary>
internal sealed class LsmMigrator(
    LsmStoreConnection connection,
    IMigrationsAssembly migrationsAssembly,
    IHistoryRepository historyRepository,
    IDesignTimeModel designTimeModel,
    IDatabaseProvider databaseProvider,
    IDiagnosticsLogger<DbLoggerCategory.Migrations> logger) : IMigrator
{
    private const int MaxAttempts = 5;

    public void Migrate(string? targetMigration = null)
    {
        using var migrationLock = historyRepository.AcquireDatabaseLock();
        var store = connection.Store;
        Recover(store);
        historyRepository.Create();
        var (up, down) = Plan(targetMigration);
        foreach (var (migration, previous) in down)
        {
            Run(store, migration, previous, revert: true);
        }

        foreach (var (migration, previous) in up)
        {
            Run(store, migration, previous, revert: false);
        }
    }

    public Task MigrateAsync(string? targetMigration = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The store's writes are synchronous (see LsmDatabaseWrapper.SaveChangesAsync): the async form does the same work.
        Migrate(targetMigration);
        return Task.CompletedTask;
    }

    public string GenerateScript(
        string? fromMigration = null, string? toMigration = null, MigrationsSqlGenerationOptions options = MigrationsSqlGenerationOptions.Default) =>
        throw LsmHistoryRepository.NoScripts();

    /// <summary>
    /// Whether the context's model differs from the last migration's model snapshot in anything the store keeps (tables,
    /// columns and their stored types and nullability, keys, indexes): then a migration is missing.
    /// </summary>
    public bool HasPendingModelChanges()
    {
        var snapshot = migrationsAssembly.ModelSnapshot?.Model;
        var current = SchemaSignature.Of(designTimeModel.Model);
        return snapshot is null ? current.Count > 0 : !SchemaSignature.Of(snapshot).SequenceEqual(current);
    }

    /// <summary>Rolls back, or finishes, a migration a crash interrupted (its state record says which).</summary>
    private void Recover(LsmStore store)
    {
        using var view = store.KeyValueStore.OpenView();
        if (view.Get(CatalogKeys.MigrationState()) is not { } record)
        {
            return;
        }

        var state = MigrationState.Decode(record);
        if (state.Phase == MigrationPhase.Building)
        {
            logger.MigrationInterrupted(
                $"Migration '{state.MigrationId}' was interrupted before its catalog switch; what it had built is removed and the "
                + "database is as it was before it.");
            MigrationSession.RollBack(store.KeyValueStore, state, connection.SyncWrites);
        }
        else
        {
            logger.MigrationInterrupted(
                $"Migration '{state.MigrationId}' was interrupted after its catalog switch; the keyspaces it replaced are removed.");
            MigrationSession.FinishCleanup(store.KeyValueStore, state, connection.SyncWrites);
        }

        store.ReloadCatalog();
    }

    private (List<(Migration, Migration?)> Up, List<(Migration, Migration?)> Down) Plan(string? target)
    {
        var all = migrationsAssembly.Migrations.ToList();
        var applied = historyRepository.GetAppliedMigrations().Select(r => r.MigrationId).ToHashSet(StringComparer.Ordinal);
        string? targetId = null;
        if (target is not null && target != Migration.InitialDatabase)
        {
            targetId = migrationsAssembly.FindMigrationId(target) ?? throw new InvalidOperationException(
                $"The migration '{target}' was not found (migrations: {string.Join(", ", all.Select(m => m.Key))}).");
        }

        var up = new List<(Migration, Migration?)>();
        var down = new List<(Migration, Migration?)>();
        for (var i = 0; i < all.Count; i++)
        {
            var id = all[i].Key;
            var included = target is null || (targetId is not null && string.CompareOrdinal(id, targetId) <= 0);
            var previous = i > 0 ? Create(all[i - 1].Value) : null;
            if (included && !applied.Contains(id))
            {
                up.Add((Create(all[i].Value), previous));
            }
            else if (!included && applied.Contains(id))
            {
                down.Insert(0, (Create(all[i].Value), previous));
            }
        }

        return (up, down);
    }

    private Migration Create(System.Reflection.TypeInfo type) => migrationsAssembly.CreateMigration(type, databaseProvider.Name);

    private void Run(LsmStore store, Migration migration, Migration? previous, bool revert)
    {
        var id = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<MigrationAttribute>(migration.GetType())!.Id;
        var operations = revert ? migration.DownOperations : migration.UpOperations;
        IReadOnlyList<IReadOnlyModel?> models = revert
            ? [previous?.TargetModel, migration.TargetModel, designTimeModel.Model]
            : [migration.TargetModel, previous?.TargetModel, designTimeModel.Model];
        var indexes = store.Catalog.Entities.Values.Sum(e => e.Indexes.Count);
        var keyspaces = 16 + (operations.Count * 4) + (indexes * 2)
            + operations.OfType<CreateTableOperation>().Sum(c => c.Columns.Count);
        logger.MigrationStarting(id, revert);
        for (var attempt = 1; ; attempt++)
        {
            using var session = new MigrationSession(
                store, id, revert, models, connection.Options.MigrationBatchRows, connection.Options.MigrationBatchBytes,
                connection.SyncWrites, logger);
            session.Begin(keyspaces);
            try
            {
                var interpreter = new OperationInterpreter(session);
                for (var i = 0; i < operations.Count; i++)
                {
                    session.Step = $"{id}: {i + 1}/{operations.Count} {Describe(operations[i])}";
                    logger.MigrationOperationProgress(session.Step);
                    interpreter.Apply(operations[i]);
                }

                session.Step = $"{id}: indexes";
                session.Commit();
                return;
            }
            catch (LsmMigrationConflictException) when (attempt < MaxAttempts)
            {
                session.Abandon();
            }
            catch
            {
                session.Abandon();
                throw;
            }
        }
    }

    private static string Describe(MigrationOperation operation) =>
        operation switch
        {
            CreateTableOperation o => $"CreateTable {o.Name}",
            DropTableOperation o => $"DropTable {o.Name}",
            RenameTableOperation o => $"RenameTable {o.Name} to {o.NewName}",
            AddColumnOperation o => $"AddColumn {o.Table}.{o.Name}",
            DropColumnOperation o => $"DropColumn {o.Table}.{o.Name}",
            RenameColumnOperation o => $"RenameColumn {o.Table}.{o.Name} to {o.NewName}",
            AlterColumnOperation o => $"AlterColumn {o.Table}.{o.Name}",
            AddPrimaryKeyOperation o => $"AddPrimaryKey {o.Table} ({string.Join(", ", o.Columns)})",
            DropPrimaryKeyOperation o => $"DropPrimaryKey {o.Table}",
            CreateIndexOperation o => $"CreateIndex {o.Name} on {o.Table}",
            DropIndexOperation o => $"DropIndex {o.Name}",
            RenameIndexOperation o => $"RenameIndex {o.Name} to {o.NewName}",
            InsertDataOperation o => $"InsertData {o.Table}",
            UpdateDataOperation o => $"UpdateData {o.Table}",
            DeleteDataOperation o => $"DeleteData {o.Table}",
            LsmCustomOperation o => $"LsmOperation {o.Description}",
            _ => operation.GetType().Name.Replace("Operation", "", StringComparison.Ordinal),
        };
}

/// <summary>What of a model an EFCore.Lsm database stores, as comparable lines (for <see cref="IMigrator.HasPendingModelChanges"/>).</summary>
internal static class SchemaSignature
{
    public static List<string> Of(IReadOnlyModel model)
    {
        var lines = new List<string>();
        foreach (var entityType in model.GetEntityTypes().Where(e => !e.IsOwned()).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var table = LsmTableNames.Of(entityType);
            lines.Add($"table {table} {entityType.Name}");
            foreach (var property in StoredColumns(entityType).OrderBy(LsmTableNames.ColumnOf, StringComparer.Ordinal))
            {
                lines.Add($"column {table}.{LsmTableNames.ColumnOf(property)} {Stored(property)} {(property.IsNullable ? "null" : "not null")}");
            }

            if (entityType.FindPrimaryKey() is { } key)
            {
                lines.Add($"key {table} ({string.Join(", ", key.Properties.Select(LsmTableNames.ColumnOf))})");
            }

            foreach (var index in entityType.GetIndexes())
            {
                lines.Add($"index {table} ({string.Join(", ", index.Properties.Select(LsmTableNames.ColumnOf))}){(index.IsUnique ? " unique" : "")}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>
    /// The columns of <paramref name="entityType"/>'s table: its own and its complex values' members, and those of the owned
    /// references stored in its rows (nested ones too, named `Home_City` as EF's relational conventions do), without an
    /// owned type's key, which is the owner's. Owned collections' elements are not columns of the table.
    /// </summary>
    private static IEnumerable<IReadOnlyProperty> StoredColumns(IReadOnlyEntityType entityType)
    {
        foreach (var property in LsmRowLayout.FlattenedProperties(entityType))
        {
            if (!entityType.IsOwned() || property.FindContainingPrimaryKey() is null)
            {
                yield return property;
            }
        }

        foreach (var navigation in entityType.GetNavigations().Where(n => !n.IsCollection && n.TargetEntityType.IsOwned() && !n.IsOnDependent))
        {
            foreach (var property in StoredColumns(navigation.TargetEntityType))
            {
                yield return property;
            }
        }
    }

    // A snapshot's property types are already the stored (provider) types; a model's are after value conversion. Enums are
    // stored as their integers either way.
    private static string Stored(IReadOnlyProperty property)
    {
        var type = property.GetValueConverter()?.ProviderClrType ?? property.FindTypeMapping()?.Converter?.ProviderClrType ?? property.ClrType;
        type = Nullable.GetUnderlyingType(type) ?? type;
        return (type.IsEnum ? Enum.GetUnderlyingType(type) : type).FullName!;
    }
}
