using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

[assembly: DesignTimeProviderServices("EFCore.Lsm.Design.Internal.LsmDesignTimeServices")]

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// The provider's design-time services, which <c>dotnet ef</c> finds through the assembly's
/// <see cref="DesignTimeProviderServicesAttribute"/>: the provider's runtime services, then EF's design services for
/// them (the runtime annotation code generator that <c>dotnet ef dbcontext optimize</c> needs to write a compiled model),
/// then what <c>dotnet ef migrations add|remove|list</c> and <c>database update</c> need (docs/migrations.md, "dotnet ef").
/// Every design-time service of the provider is registered here, in this one method, so a feature with design-time parts
/// adds them to it.
/// </summary>
public class LsmDesignTimeServices : IDesignTimeServices
{
    /// <summary>Registers the provider's services and its design-time services in <paramref name="serviceCollection"/>.</summary>
    /// <param name="serviceCollection">The design-time service collection <c>dotnet ef</c> builds.</param>
    public virtual void ConfigureDesignTimeServices(IServiceCollection serviceCollection)
    {
        serviceCollection.AddEntityFrameworkLsm();

        // The provider's model has no annotations of its own, so EF's code generator writes all of it; a NativeAOT compiled
        // model (--nativeaot) also writes type mappings, as LsmTypeMapping.Default.Clone(...).
        new EntityFrameworkDesignServicesBuilder(serviceCollection)
            .TryAddCoreServices();

        // Migrations: EF's scaffolder, C# migration and snapshot generators run as they are; the provider supplies the
        // differ (over models: it has no relational model) and what EF's design tools ask a relational provider for. These
        // registrations come after the ones dotnet ef takes from the context, so they are the ones used.
        serviceCollection
            .AddSingleton<IMigrationsModelDiffer, LsmMigrationsModelDiffer>()
            .AddSingleton<IRelationalTypeMappingSource>(p => new LsmDesignTimeTypeMappingSource(Context(p).GetService<ITypeMappingSource>()))
            .AddSingleton<AnnotationCodeGeneratorDependencies>()
            .AddSingleton<IAnnotationCodeGenerator, AnnotationCodeGenerator>()
            .AddSingleton<IModelRuntimeInitializer>(p => new LsmDesignTimeModelRuntimeInitializer(Context(p).GetService<IModelRuntimeInitializer>()))
            .AddSingleton<IModel>(p => LsmDesignTimeModelRuntimeInitializer.WithModelPlaceholder(Context(p).GetService<IDesignTimeModel>().Model))
            .AddSingleton<IDbContextOptions>(p => LsmDesignTimeMigrationsOptions.For(Context(p).GetService<IDbContextOptions>()));
    }

    private static DbContext Context(IServiceProvider services) => services.GetRequiredService<ICurrentDbContext>().Context;
}
