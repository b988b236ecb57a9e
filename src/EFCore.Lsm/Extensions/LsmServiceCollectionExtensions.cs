using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Metadata.Conventions.Internal;
using EFCore.Lsm.Migrations.Internal;
using EFCore.Lsm.Query.Internal;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.ValueGeneration.Internal;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>EFCore.Lsm extension methods for <see cref="IServiceCollection"/>.</summary>
public static class LsmServiceCollectionExtensions
{
    /// <summary>
    /// Adds the services of the EFCore.Lsm provider to an EF internal service provider. <c>UseLsm</c> calls this for you;
    /// call it yourself only when you build the internal service provider (<c>UseInternalServiceProvider</c>).
    /// </summary>
    public static IServiceCollection AddEntityFrameworkLsm(this IServiceCollection serviceCollection)
    {
        ArgumentNullException.ThrowIfNull(serviceCollection);

        var builder = new EntityFrameworkServicesBuilder(serviceCollection)
            .TryAdd<LoggingDefinitions, LsmLoggingDefinitions>()
            .TryAdd<IDatabaseProvider, DatabaseProvider<LsmOptionsExtension>>()
            .TryAdd<IValueGeneratorSelector, LsmValueGeneratorSelector>()
            .TryAdd<IDatabase, LsmDatabaseWrapper>()
            .TryAdd<IDbContextTransactionManager, LsmTransactionManager>()
            .TryAdd<IDatabaseCreator, LsmDatabaseCreator>()
            .TryAdd<IQueryContextFactory, LsmQueryContextFactory>()
            .TryAdd<IQueryableMethodTranslatingExpressionVisitorFactory, LsmQueryableMethodTranslatingExpressionVisitorFactory>()
            .TryAdd<IShapedQueryCompilingExpressionVisitorFactory, LsmShapedQueryCompilingExpressionVisitorFactory>()
            .TryAdd<IQueryTranslationPreprocessorFactory, LsmQueryTranslationPreprocessorFactory>()
            .TryAdd<IModelValidator, LsmModelValidator>()
            .TryAdd<IProviderConventionSetBuilder, LsmConventionSetBuilder>()
            .TryAdd<ITypeMappingSource, LsmTypeMappingSource>()
#pragma warning disable EF1001 // EF's materializer source, extended to fill complex collections.
            .TryAdd<IStructuralTypeMaterializerSource, LsmStructuralTypeMaterializerSource>()
#pragma warning restore EF1001
            .TryAdd<IResettableService, LsmStoreConnection>(p => p.GetRequiredService<LsmStoreConnection>())
            .TryAddProviderSpecificServices(b => b
                .TryAddScoped<LsmStoreConnection, LsmStoreConnection>()
                .TryAddSingleton<LsmStoreTracker, LsmStoreTracker>()

                // Migrations: EF's Migration classes and tools, interpreted on key schemas (docs/migrations.md). Registering
                // IMigrator is all Database.Migrate() needs; the provider stays non-relational.
                .TryAddSingleton<IMigrationsIdGenerator, LsmMigrationsIdGenerator>()
                .TryAddScoped<IMigrationsAssembly, LsmMigrationsAssembly>()
                .TryAddScoped<IHistoryRepository, LsmHistoryRepository>()
                .TryAddScoped<IMigrator, LsmMigrator>());

        builder.TryAddCoreServices();
        return serviceCollection;
    }
}
