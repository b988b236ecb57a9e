using EFCore.Lsm.Infrastructure;
using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;

// User-facing extension methods live where users look for UseXxx, as EF's own providers do.
namespace Microsoft.EntityFrameworkCore;

/// <summary>EFCore.Lsm extension methods for <see cref="DbContextOptionsBuilder"/>.</summary>
public static class LsmDbContextOptionsExtensions
{
    /// <summary>
    /// Stores the context's entities in the EFCore.Lsm database in the directory <paramref name="path"/> (created when
    /// missing). All contexts of a process that use one path share one open engine.
    /// </summary>
    public static DbContextOptionsBuilder UseLsm(
        this DbContextOptionsBuilder optionsBuilder,
        string path,
        Action<LsmDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        var extension = (optionsBuilder.Options.FindExtension<LsmOptionsExtension>() ?? new LsmOptionsExtension()).WithPath(path);
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(extension);
        configure?.Invoke(new LsmDbContextOptionsBuilder(optionsBuilder));
        return optionsBuilder;
    }

    /// <inheritdoc cref="UseLsm(DbContextOptionsBuilder, string, Action{LsmDbContextOptionsBuilder}?)"/>
    public static DbContextOptionsBuilder<TContext> UseLsm<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder,
        string path,
        Action<LsmDbContextOptionsBuilder>? configure = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseLsm((DbContextOptionsBuilder)optionsBuilder, path, configure);
}
