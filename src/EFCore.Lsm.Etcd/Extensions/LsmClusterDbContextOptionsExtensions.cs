using EFCore.Lsm.Etcd.Infrastructure;
using EFCore.Lsm.Etcd.Infrastructure.Internal;
using EFCore.Lsm.Etcd.Storage.Internal;
using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;

// User-facing extension methods live where users look for UseXxx, as EF's own providers do.
namespace Microsoft.EntityFrameworkCore;

/// <summary>EFCore.Lsm on an etcd cluster: extension methods for <see cref="DbContextOptionsBuilder"/>.</summary>
public static class LsmClusterDbContextOptionsExtensions
{
    /// <summary>
    /// Stores the context's entities in the etcd v3 cluster whose members' client URLs <paramref name="endpoints"/> lists
    /// (comma-separated, "http://127.0.0.1:2379,http://127.0.0.1:22379"), with the same model, queries, saves and
    /// transactions as <c>UseLsm(path)</c>. Each SaveChanges is one etcd transaction, replicated to a majority of the
    /// members before it returns. docs/etcd_backend.md states the cluster's limits and how each one surfaces.
    /// </summary>
    public static DbContextOptionsBuilder UseLsmCluster(
        this DbContextOptionsBuilder optionsBuilder,
        string endpoints,
        Action<LsmClusterDbContextOptionsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        var cluster = new LsmClusterDbContextOptionsBuilder(new EtcdClusterOptions(EtcdClusterOptions.ParseEndpoints(endpoints)));
        configure?.Invoke(cluster);

        var extension = (optionsBuilder.Options.FindExtension<LsmOptionsExtension>() ?? new LsmOptionsExtension())
            .WithStoreFactory(new EtcdKeyValueStoreFactory(cluster.Options));
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(extension);
        return optionsBuilder;
    }

    /// <inheritdoc cref="UseLsmCluster(DbContextOptionsBuilder, string, Action{LsmClusterDbContextOptionsBuilder}?)"/>
    public static DbContextOptionsBuilder<TContext> UseLsmCluster<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder,
        string endpoints,
        Action<LsmClusterDbContextOptionsBuilder>? configure = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseLsmCluster((DbContextOptionsBuilder)optionsBuilder, endpoints, configure);
}
