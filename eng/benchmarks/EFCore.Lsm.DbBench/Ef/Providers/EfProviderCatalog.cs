using System.Reflection;

namespace EFCore.Lsm.DbBench.Ef.Providers;

/// <summary>The EF Core providers the EF workloads run on (--providers), whether each can run here, and how to open one.</summary>
internal static class EfProviderCatalog
{
    public const string Lsm = "lsm";
    public const string Sqlite = "sqlite";
    public const string InMemory = "inmemory";
    public const string Postgres = "postgres";
    public const string Etcd = "etcd";

    /// <summary>The connection string --postgres defaults to: the server eng/benchmarks/start-postgres.sh starts.</summary>
    public const string DefaultPostgresConnection = "Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres";

    /// <summary>The endpoints --etcd defaults to: the cluster eng/benchmarks/start-etcd.sh starts.</summary>
    public const string DefaultEtcdEndpoints = "http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793";

    public static IReadOnlyList<string> All { get; } = [Lsm, Sqlite, InMemory, Postgres, Etcd];

    /// <summary>The providers ours is compared with, in report order.</summary>
    public static IReadOnlyList<string> Peers { get; } = [Sqlite, InMemory, Postgres, Etcd];

    /// <summary>
    /// Whether <paramref name="provider"/> can run in this process (for SQLite this loads the native library, for
    /// PostgreSQL it connects to the server); <paramref name="detail"/> names what is used, or says why it cannot run.
    /// </summary>
    public static bool TryPrepare(string provider, BenchOptions options, out string detail)
    {
        switch (provider)
        {
            case Lsm:
                detail = $"EF Core {EfCoreVersion()} + EFCore.Lsm {typeof(LsmEfProvider).Assembly.GetName().Version}";
                return true;
            case InMemory:
                detail = $"EF Core {EfCoreVersion()} InMemory (no persistence: the ceiling for EF's own overhead)";
                return true;
            case Sqlite:
                if (SqliteLibrary.TryInitialize(out var sqliteFailure) is not { } sqliteVersion)
                {
                    detail = $"SQLite native library did not load ({sqliteFailure})";
                    return false;
                }

                detail = $"EF Core {EfCoreVersion()} + SQLite {sqliteVersion} (SQLitePCLRaw e_sqlite3), WAL journal, " +
                    "synchronous=FULL for durable saves, NORMAL otherwise";
                return true;
            case Postgres:
                if (PostgresEfProvider.TryConnect(options.PostgresConnection, out var pgFailure) is not { } pgVersion)
                {
                    detail = $"no PostgreSQL server answered at '{options.PostgresConnection}' ({pgFailure}); " +
                        "start one with eng/benchmarks/start-postgres.sh";
                    return false;
                }

                detail = $"EF Core {EfCoreVersion()} + Npgsql, PostgreSQL {pgVersion} on loopback, synchronous_commit on for durable " +
                    "saves, off otherwise (the server's memory and writes are not in this process's figures)";
                return true;
            case Etcd:
                if (EtcdEfProvider.TryConnect(options.EtcdEndpoints, out var etcdFailure) is not { } etcdVersion)
                {
                    detail = $"no etcd member answered at '{options.EtcdEndpoints}' ({etcdFailure}); start a cluster with eng/benchmarks/start-etcd.sh";
                    return false;
                }

                detail = $"EF Core {EfCoreVersion()} + EFCore.Lsm on etcd {etcdVersion} (UseLsmCluster), 3 members on loopback, every save " +
                    "replicated to a majority and fsynced (the members' memory and writes are not in this process's figures)";
                return true;
            default:
                throw new BenchArgumentException($"Unknown provider '{provider}'; known providers: {string.Join(", ", All)}.");
        }
    }

    public static IEfProvider Open(string provider, string path, BenchOptions options) => provider switch
    {
        Lsm => new LsmEfProvider(path, options),
        Sqlite => new SqliteEfProvider(path, options),
        InMemory => new InMemoryEfProvider(),
        Postgres => new PostgresEfProvider(options.PostgresConnection),
        Etcd => new EtcdEfProvider(options.EtcdEndpoints),
        _ => throw new BenchArgumentException($"Unknown provider '{provider}'; known providers: {string.Join(", ", All)}."),
    };

    private static string? EfCoreVersion()
        => typeof(Microsoft.EntityFrameworkCore.DbContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?
            .InformationalVersion.Split('+')[0];
}
