using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Data.Sqlite;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>
/// Makes EF's SQLite provider run on SQLitePCLRaw 2.0.6, the only version the package registry here has. Microsoft.Data.Sqlite
/// is compiled against SQLitePCLRaw 2.1.x, so the runtime does not bind its requests to the 2.0.6 assemblies in the app
/// folder by itself; a Resolving handler does (the API it uses exists in both). Then the e_sqlite3 bundle is initialised.
/// </summary>
internal static class SqliteNativeLoader
{
    private static readonly Lock Gate = new();
    private static string? _version;
    private static string? _failure;

    /// <summary>Loads SQLite once per process; the SQLite version, or null with <paramref name="failure"/> saying why not.</summary>
    public static string? TryInitialize(out string? failure)
    {
        lock (Gate)
        {
            if (_version is null && _failure is null)
            {
                try
                {
                    AssemblyLoadContext.Default.Resolving += ResolveFromAppFolder;
                    Initialize();
                    _version = QueryVersion();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _failure = $"{e.GetType().Name}: {e.Message}";
                }
            }

            failure = _failure;
            return _version;
        }
    }

    // Separate methods, so the SQLitePCLRaw and Microsoft.Data.Sqlite types are bound only after the handler is in place.
    private static void Initialize() => SQLitePCL.Batteries_V2.Init();

    private static string QueryVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select sqlite_version()";
        return (string)command.ExecuteScalar()!;
    }

    private static Assembly? ResolveFromAppFolder(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || !name.Name.StartsWith("SQLitePCLRaw.", StringComparison.Ordinal))
        {
            return null;
        }

        var file = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
        return File.Exists(file) ? context.LoadFromAssemblyPath(file) : null;
    }
}
