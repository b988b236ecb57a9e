using EFCore.Lsm.Infrastructure;
using EFCore.Lsm.Storage;
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

    /// <summary>
    /// Stores the context's entities in the test database named by <paramref name="path"/>, with provider settings
    /// (<paramref name="lsm"/>: those a backend has no use for, such as an engine's buffer sizes on etcd, change nothing).
    /// </summary>
    public static DbContextOptionsBuilder<TContext> UseTestStore<TContext>(
        this DbContextOptionsBuilder<TContext> builder, string path, Action<LsmDbContextOptionsBuilder> lsm)
        where TContext : DbContext
    {
        Backend.Configure(builder, path);
        lsm(new LsmDbContextOptionsBuilder(builder));
        return builder;
    }

    /// <summary>
    /// Closes the store of the test database named by <paramref name="path"/> (contexts opened after it open it again, as a
    /// new process would); false when it was not open.
    /// </summary>
    public static bool Close(string path) => Backend.Close(path);

    /// <summary>Implemented by a test project that runs the suite on another backend.</summary>
    static partial void UseOtherBackend(ref ITestStoreBackend? backend);

    private sealed class EmbeddedBackend : ITestStoreBackend
    {
        public void Configure(DbContextOptionsBuilder builder, string path) => builder.UseLsm(path);

        public bool Close(string path) => LsmStorePool.Close(path);

        // Stores stay open in the pool after their contexts go; close the ones in this folder so it can be deleted.
        public void Release(string folder) => LsmStorePoolEntries.Shared.CloseUnder(folder);
    }
}

/// <summary>A store the functional tests can run on.</summary>
public interface ITestStoreBackend
{
    /// <summary>Configures <paramref name="builder"/> for the test database named by <paramref name="path"/>.</summary>
    void Configure(DbContextOptionsBuilder builder, string path);

    /// <summary>Closes the store of the test database named by <paramref name="path"/>; false when it was not open.</summary>
    bool Close(string path);

    /// <summary>A test is over: close the databases named by paths under <paramref name="folder"/> and drop what they hold.</summary>
    void Release(string folder);
}
