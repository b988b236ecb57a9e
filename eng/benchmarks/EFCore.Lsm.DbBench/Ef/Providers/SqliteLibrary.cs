using Microsoft.Data.Sqlite;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>
/// Checks once per process that SQLite loads (Microsoft.EntityFrameworkCore.Sqlite brings its own SQLitePCLRaw bundle with
/// the e_sqlite3 native library, which Microsoft.Data.Sqlite initialises itself) and reports its version.
/// </summary>
internal static class SqliteLibrary
{
    private static readonly Lock Gate = new();
    private static string? _version;
    private static string? _failure;

    /// <summary>The SQLite version, or null with <paramref name="failure"/> saying why SQLite could not be used.</summary>
    public static string? TryInitialize(out string? failure)
    {
        lock (Gate)
        {
            if (_version is null && _failure is null)
            {
                try
                {
                    using var connection = new SqliteConnection("Data Source=:memory:");
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "select sqlite_version()";
                    _version = (string)command.ExecuteScalar()!;
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
}
