using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>
/// Where the functional tests' databases live: the one place that configures the store for a test context. Here it is the
/// embedded engine in a folder (<c>UseLsm(path)</c>). A test project that runs this suite on another backend links these
/// sources and implements <see cref="UseOtherBackend"/> (EFCore.Lsm.Etcd.FunctionalTests runs it on an etcd cluster, one
/// key prefix per path). A test that needs the embedded engine itself (a folder, a file lock, a killed process) calls
/// <c>UseLsm</c> directly and is left out of the other backends' projects.
/// </summary>
public static partial class TestStore
{
    private static readonly Lazy<ITestStoreBackend> s_backend = new(() =>
    {
        ITestStoreBackend? other = null;
        UseOtherBackend(ref other);
        return other ?? new EmbeddedBackend();
    });

    public static ITestStoreBackend Backend => s_backend.Value;

    /// <summary>Stores the context's entities in the test database named by <paramref name="path"/>.</summary>
    public static DbContextOptionsBuilder<TContext> UseTestStore<TContext>(this DbContextOptionsBuilder<TContext> builder, string path)
        where TContext : DbContext
    {
        Backend.Configure(builder, path);
        return builder;
    }

    /// <summary>Implemented by a test project that runs the suite on another backend.</summary>
    static partial void UseOtherBackend(ref ITestStoreBackend? backend);

    private sealed class EmbeddedBackend : ITestStoreBackend
    {
        public void Configure(DbContextOptionsBuilder builder, string path) => builder.UseLsm(path);

        // Stores stay open in the pool after their contexts go; close the ones in this folder so it can be deleted.
        public void Release(string folder) => LsmStorePoolEntries.Shared.CloseUnder(folder);
    }
}

/// <summary>A store the functional tests can run on.</summary>
public interface ITestStoreBackend
{
    /// <summary>Configures <paramref name="builder"/> for the test database named by <paramref name="path"/>.</summary>
    void Configure(DbContextOptionsBuilder builder, string path);

    /// <summary>A test is over: close the databases named by paths under <paramref name="folder"/> and drop what they hold.</summary>
    void Release(string folder);
}
