using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>
/// A context whose model is given by the test, one EF model per <c>variant</c> name: what an application whose model
/// changes between deployments has (a property removed, renamed, retyped; an entity class renamed).
/// </summary>
public sealed class ModelVariantContext(DbContextOptions options, string variant, Action<ModelBuilder> configure) : DbContext(options)
{
    public string Variant { get; } = variant;

    protected override void OnModelCreating(ModelBuilder modelBuilder) => configure(modelBuilder);

    public static ModelVariantContext Create(
        string path, string variant, Action<ModelBuilder> configure, Action<DbContextOptionsBuilder>? options = null)
    {
        var builder = new DbContextOptionsBuilder<ModelVariantContext>()
            .UseLsm(path)
            .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>();
        options?.Invoke(builder);
        return new ModelVariantContext(builder.Options, variant, configure);
    }

    private sealed class VariantCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) =>
            context is ModelVariantContext c ? (c.Variant, designTime) : (context.GetType(), designTime);
    }
}
