using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;

[assembly: DesignTimeProviderServices("EFCore.Lsm.Design.Internal.LsmDesignTimeServices")]

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// The provider's design-time services, which <c>dotnet ef</c> finds through the assembly's
/// <see cref="DesignTimeProviderServicesAttribute"/>: the provider's runtime services, then EF's design services for
/// them (the runtime annotation code generator that <c>dotnet ef dbcontext optimize</c> needs to write a compiled model).
/// Every design-time service of the provider is registered here, in the one builder chain below, so a feature with
/// design-time parts (migrations) adds them to this method.
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
    }
}
