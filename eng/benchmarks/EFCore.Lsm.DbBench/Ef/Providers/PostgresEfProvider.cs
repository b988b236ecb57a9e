using EFCore.Lsm.DbBench.Ef.Model;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>
/// EF Core over PostgreSQL (Npgsql) on a server on this machine (eng/benchmarks/start-postgres.sh starts one on loopback).
/// Durable contexts commit with synchronous_commit=on, the others with off, set per connection. The server is a separate
/// process: its memory and disk writes are not in this process's figures.
/// </summary>
internal sealed class PostgresEfProvider : IEfProvider
{
    public const string DatabaseName = "efbench";

    private readonly string _database;
    private readonly DbContextOptions<BenchDbContext> _durable;
    private readonly DbContextOptions<BenchDbContext> _relaxed;

    public PostgresEfProvider(string connectionString)
    {
        _database = new NpgsqlConnectionStringBuilder(connectionString) { Database = DatabaseName }.ToString();
        _durable = Build(_database, synchronousCommit: "on");
        _relaxed = Build(_database, synchronousCommit: "off");
    }

    public string Name => EfProviderCatalog.Postgres;

    public BenchDbContext CreateContext(bool durable) => new(durable ? _durable : _relaxed);

    public void Recreate()
    {
        using var db = CreateContext(durable: false);
        db.Database.EnsureDeleted();
        db.Database.EnsureCreated();
    }

    // The migration workloads run on lsm and sqlite only (the README's Benchmarks section says why).
    public DbContextOptions<TContext>? CreateMigrationOptions<TContext>(string database)
        where TContext : DbContext
        => null;

    public long DatabaseBytes()
    {
        using var connection = new NpgsqlConnection(_database);
        connection.Open();
        using var command = new NpgsqlCommand("select pg_database_size(current_database())", connection);
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose() => NpgsqlConnection.ClearAllPools();

    /// <summary>The server's version, or null with <paramref name="failure"/> saying why no server answered.</summary>
    public static string? TryConnect(string connectionString, out string? failure)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 3 };
            using var connection = new NpgsqlConnection(builder.ToString());
            connection.Open();
            failure = null;
            return connection.PostgreSqlVersion.ToString();
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            failure = e.Message;
            return null;
        }
    }

    private static DbContextOptions<BenchDbContext> Build(string connectionString, string synchronousCommit)
        => new DbContextOptionsBuilder<BenchDbContext>()
            .UseNpgsql(new NpgsqlConnectionStringBuilder(connectionString) { Options = $"-c synchronous_commit={synchronousCommit}" }.ToString())
            .Options;
}
