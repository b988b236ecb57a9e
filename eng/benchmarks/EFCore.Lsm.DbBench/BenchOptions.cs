using System.Globalization;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Workloads;
using EFCore.Lsm.DbBench.Stores;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench;

/// <summary>The harness's command line, db_bench style: <c>--name=value</c> or <c>--name value</c>.</summary>
internal sealed record BenchOptions
{
    public const string ProcessIsolation = "process";
    public const string NoIsolation = "none";

    /// <summary>In --engines or --providers: run none of them (and so none of that group's workloads).</summary>
    public const string NoneListed = "none";

    public IReadOnlyList<string> Benchmarks { get; init; } = WorkloadCatalog.DefaultList;

    public IReadOnlyList<string> Engines { get; init; } = StoreCatalog.All;

    /// <summary>EF Core providers the EF workloads run on.</summary>
    public IReadOnlyList<string> Providers { get; init; } = EfProviderCatalog.All;

    /// <summary>Seeded customers of the EF workloads (the bulk insert's entities).</summary>
    public int EfNum { get; init; } = 100_000;

    /// <summary>Operations of the EF point workloads: lookups, range queries, updates, deletes.</summary>
    public int EfOps { get; init; } = 10_000;

    /// <summary>Queries of the EF full-scan workloads (scan, count, sum).</summary>
    public int EfScans { get; init; } = 20;

    /// <summary>Durable SaveChanges per context in the ef-insertsync workloads.</summary>
    public int EfSyncOps { get; init; } = 1_000;

    /// <summary>Rows per batch of an EFCore.Lsm migration (ef-rekey); null: the provider's default (MigrationBatchRows).</summary>
    public int? MigrationBatchRows { get; init; }

    /// <summary>Bytes per batch of an EFCore.Lsm migration (ef-rekey); null: the provider's default (MigrationBatchBytes).</summary>
    public long? MigrationBatchBytes { get; init; }

    /// <summary>Npgsql connection string of the PostgreSQL server for the postgres provider (its database is not touched).</summary>
    public string PostgresConnection { get; init; } = EfProviderCatalog.DefaultPostgresConnection;

    /// <summary>Client URLs of the etcd cluster for the etcd provider (its key prefix efbench/ is emptied per workload).</summary>
    public string EtcdEndpoints { get; init; } = EfProviderCatalog.DefaultEtcdEndpoints;

    /// <summary>Keys in the key space, and operations of the fill/read workloads (db_bench's --num).</summary>
    public int Num { get; init; } = 1_000_000;

    /// <summary>Operations of readrandom, readmissing and seekrandom; defaults to <see cref="Num"/> (db_bench's --reads).</summary>
    public int? Reads { get; init; }

    /// <summary>Synced writes per writer in the fillsync workloads.</summary>
    public int SyncOps { get; init; } = 10_000;

    public int ValueSize { get; init; } = 100;

    /// <summary>Next calls after each seek in seekrandom (db_bench's --seek_nexts).</summary>
    public int SeekNexts { get; init; } = 10;

    /// <summary>Entries per write in the fill, overwrite and delete workloads (db_bench's --batch_size).</summary>
    public int BatchSize { get; init; } = 1;

    public string DbDir { get; init; } = Path.Combine(Path.GetTempPath(), "efcore-lsm-bench");

    public string? ResultsDir { get; init; }

    public long CacheSize { get; init; } = 32L << 20;

    public long WriteBufferSize { get; init; } = 16L << 20;

    public int BloomBits { get; init; } = 10;

    public ulong Seed { get; init; } = 301;

    public string Isolation { get; init; } = ProcessIsolation;

    public string? RocksDbLibrary { get; init; }

    public string? LevelDbLibrary { get; init; }

    /// <summary>
    /// Rounds of every engine and provider, interleaved (A, B, C, A, B, C, ...), each a fresh process; the report gives
    /// medians over them and the range of the per-round ratios (default 3).
    /// </summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Before measuring, run the same workloads unmeasured on a small database so the JIT has tiered up (default on).</summary>
    public bool Warmup { get; init; } = true;

    /// <summary>
    /// The longest each workload's own warm-up (unmeasured passes until the JIT has settled, see Running/TieringWarmup)
    /// may take; 0 leaves only the warm-up pass each process starts with (default 10 s).
    /// </summary>
    public double WarmupMaxSeconds { get; init; } = 10;

    /// <summary>Repeatable EF workloads (queries, updates) run whole passes until at least this many seconds have passed.</summary>
    public double EfMinSeconds { get; init; } = 2.0;

    /// <summary>Leave each engine's database on disk after the run (default: removed).</summary>
    public bool KeepDb { get; init; }

    /// <summary>Set by the parent process: run the engines here and write the results as JSON to this file.</summary>
    public string? ChildOutput { get; init; }

    public bool ShowHelp { get; init; }

    public int EffectiveReads => Reads ?? Num;

    /// <summary>The same workloads at warm-up size, in a folder of their own: long enough to tier up the JIT, short to run.</summary>
    public BenchOptions ForWarmup() => this with
    {
        Num = Math.Min(Num, 50_000),
        Reads = Math.Min(EffectiveReads, 50_000),
        SyncOps = Math.Min(SyncOps, 200),
        EfNum = Math.Min(EfNum, 2_000),
        EfOps = Math.Min(EfOps, 200),
        EfScans = Math.Min(EfScans, 2),
        EfSyncOps = Math.Min(EfSyncOps, 50),
        EfMinSeconds = 0,
        DbDir = Path.Combine(DbDir, "warmup"),
        KeepDb = false,
        Warmup = false,
    };

    /// <summary>The requested engine workloads (db_bench group), in order.</summary>
    public IReadOnlyList<string> EngineBenchmarks => Benchmarks.Where(b => !EfWorkloads.IsEfWorkload(b)).ToArray();

    /// <summary>The requested EF workloads, in order.</summary>
    public IReadOnlyList<string> EfBenchmarks => Benchmarks.Where(EfWorkloads.IsEfWorkload).ToArray();

    public StoreOptions StoreOptions => new()
    {
        BlockCacheSize = CacheSize,
        WriteBufferSize = WriteBufferSize,
        BloomBitsPerKey = BloomBits,
    };

    public static string Usage => """
        Usage: EFCore.Lsm.DbBench [options]     (db_bench's workloads over our engine, RocksDB and LevelDB, and EF Core
                                                 workloads over EFCore.Lsm, SQLite, InMemory and PostgreSQL)
          --benchmarks a,b,c       workloads, run in this order (default: all but ef-rekey). Engine workloads:
                                   fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,seekrandom,deleterandom,
                                   fillsync,fillsync8 (fillsyncN = N writers). EF workloads: ef-bulkinsert,ef-find,
                                   ef-find-notrack,ef-range,ef-scan,ef-count,ef-sum,ef-indexed,ef-include,ef-join,
                                   ef-update,ef-insertsync,ef-insertsync8,ef-shortlived,ef-delete,ef-executedelete,
                                   ef-rekey (ef-insertsyncN = N contexts; ef-shortlived = a new context per save;
                                   ef-rekey = an EF migration that changes the primary key of --ef-num rows, on lsm and
                                   sqlite only)
          --engines a,b,c          ours, rocksdb (release build from the RocksDB NuGet package), rocksdb-debian (Debian's
                                   7.8.3, assertions on), leveldb, zonetree, or none (default: all; one that cannot load
                                   here is reported and skipped)
          --providers a,b,c        EF providers: lsm, sqlite, inmemory, postgres, etcd, or none (default: all; one that
                                   cannot run here, such as postgres with no server, is reported and skipped)
          --ef-num N               customers the EF workloads insert and query (default 100000)
          --ef-ops N               ops of ef-find*, ef-range, ef-indexed, ef-include, ef-join, ef-update, ef-delete
                                   (default 10000)
          --ef-scans N             queries of ef-scan, ef-count, ef-sum (default 20)
          --ef-sync-ops N          durable SaveChanges per context in ef-insertsync*, and in all in ef-shortlived (default 1000)
          --migration-batch-rows N rows per batch of an EFCore.Lsm migration in ef-rekey (default: the provider's, 1024)
          --migration-batch-bytes N bytes per batch of an EFCore.Lsm migration in ef-rekey (default: the provider's, 4 MiB)
          --ef-min-seconds S       repeatable EF workloads (queries, updates) run whole passes for at least S s (default 2)
          --rounds N               rounds of every engine and provider, interleaved, each a fresh process (default 3);
                                   the report shows medians and the range of the per-round ratios
          --no-warmup              skip the unmeasured warm-up pass each process runs before measuring, and each
                                   workload's own warm-up
          --warmup-max-seconds S   each workload first runs unmeasured passes until the JIT has settled, for at most
                                   S s (default 10; 0: only the warm-up pass)
          --postgres CONNSTRING    server for the postgres provider (default Host=127.0.0.1;Port=54329;Username=postgres,
                                   as eng/benchmarks/start-postgres.sh starts it); the harness uses database "efbench"
          --etcd URLS              etcd cluster for the etcd provider (default 127.0.0.1:23791-23793, as
                                   eng/benchmarks/start-etcd.sh starts it); the harness uses key prefix "efbench/"
          --num N                  keys in the key space and ops of fill/read workloads (default 1000000)
          --reads N                ops of readrandom/readmissing/seekrandom (default --num)
          --sync-ops N             synced writes per writer in fillsync* (default 10000)
          --value-size N           value bytes (default 100; keys are 16 bytes)
          --seek-nexts N           Next calls after each seek in seekrandom (default 10)
          --batch-size N           entries per write in fill/overwrite/delete workloads (default 1)
          --cache-size BYTES       block cache, K/M/G suffixes allowed (default 32M)
          --write-buffer-size B    memtable size (default 16M)
          --bloom-bits N           Bloom filter bits per key, 0 = none (default 10)
          --db-dir PATH            where databases are created (default <temp>/efcore-lsm-bench)
          --results-dir PATH       report folder (default eng/benchmarks/results in the repository)
          --isolation process|none run each engine in its own child process (default, per-engine RSS) or here
          --rocksdb-library PATH   another librocksdb for the rocksdb engine; --leveldb-library likewise for leveldb
          --seed N                 random seed (default 301)
          --keep-db                leave the databases on disk
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new BenchArgumentException($"Unexpected argument '{arg}'; options start with '--'. Use --help.");
            }

            string name;
            string? inlineValue = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = arg[2..eq];
                inlineValue = arg[(eq + 1)..];
            }
            else
            {
                name = arg[2..];
            }

            // db_bench spells options with underscores; accept both.
            name = name.Replace('_', '-');

            string Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 >= args.Count)
                {
                    throw new BenchArgumentException($"Option --{name} needs a value.");
                }

                return args[++i];
            }

            options = name switch
            {
                "help" or "h" => options with { ShowHelp = true },
                "keep-db" => options with { KeepDb = true },
                "no-warmup" => options with { Warmup = false },
                "rounds" => options with { Rounds = ParseInt(name, Value(), min: 1, max: 100) },
                "ef-min-seconds" => options with { EfMinSeconds = ParseSeconds(name, Value()) },
                "warmup-max-seconds" => options with { WarmupMaxSeconds = ParseSeconds(name, Value()) },
                "benchmarks" => options with { Benchmarks = ParseList(name, Value()) },
                "engines" => options with { Engines = ParseList(name, Value(), allowNone: true) },
                "providers" => options with { Providers = ParseList(name, Value(), allowNone: true) },
                "ef-num" => options with { EfNum = ParseInt(name, Value(), min: 1) },
                "ef-ops" => options with { EfOps = ParseInt(name, Value(), min: 1) },
                "ef-scans" => options with { EfScans = ParseInt(name, Value(), min: 1) },
                "ef-sync-ops" => options with { EfSyncOps = ParseInt(name, Value(), min: 1) },
                "migration-batch-rows" => options with { MigrationBatchRows = ParseInt(name, Value(), min: 1) },
                "migration-batch-bytes" => options with { MigrationBatchBytes = ParseInt(name, Value(), min: 1) },
                "postgres" => options with { PostgresConnection = ParsePath(name, Value()) },
                "etcd" => options with { EtcdEndpoints = ParsePath(name, Value()) },
                "num" => options with { Num = ParseInt(name, Value(), min: 1) },
                "reads" => options with { Reads = ParseInt(name, Value(), min: 1) },
                "sync-ops" => options with { SyncOps = ParseInt(name, Value(), min: 1) },
                "value-size" => options with { ValueSize = ParseInt(name, Value(), min: 0, max: 1 << 20) },
                "seek-nexts" => options with { SeekNexts = ParseInt(name, Value(), min: 0) },
                "batch-size" => options with { BatchSize = ParseInt(name, Value(), min: 1, max: 100_000) },
                "cache-size" => options with { CacheSize = ParseSize(name, Value()) },
                "write-buffer-size" => options with { WriteBufferSize = ParseSize(name, Value(), min: 64 << 10) },
                "bloom-bits" => options with { BloomBits = ParseInt(name, Value(), min: 0, max: 64) },
                "db-dir" => options with { DbDir = ParsePath(name, Value()) },
                "results-dir" => options with { ResultsDir = ParsePath(name, Value()) },
                "seed" => options with { Seed = ParseSeed(name, Value()) },
                "isolation" => options with { Isolation = ParseIsolation(name, Value()) },
                "rocksdb-library" => options with { RocksDbLibrary = ParsePath(name, Value()) },
                "leveldb-library" => options with { LevelDbLibrary = ParsePath(name, Value()) },
                "child-output" => options with { ChildOutput = ParsePath(name, Value()) },
                _ => throw new BenchArgumentException($"Unknown option '--{name}'. Use --help."),
            };
        }

        foreach (var benchmark in options.Benchmarks)
        {
            WorkloadCatalog.Validate(benchmark);
        }

        foreach (var engine in options.Engines)
        {
            if (!StoreCatalog.All.Contains(engine))
            {
                throw new BenchArgumentException($"Unknown engine '{engine}' in --engines; known engines: {string.Join(", ", StoreCatalog.All)}.");
            }
        }

        foreach (var provider in options.Providers)
        {
            if (!EfProviderCatalog.All.Contains(provider))
            {
                throw new BenchArgumentException(
                    $"Unknown provider '{provider}' in --providers; known providers: {string.Join(", ", EfProviderCatalog.All)}.");
            }
        }

        return options;
    }

    /// <summary>The options as arguments for a child process running <paramref name="engine"/> alone on the engine workloads.</summary>
    public IReadOnlyList<string> ToChildArgs(string engine, string childOutput)
        => ToChildArgs(EngineBenchmarks, engine, NoneListed, childOutput);

    /// <summary>The options as arguments for a child process running <paramref name="provider"/> alone on the EF workloads.</summary>
    public IReadOnlyList<string> ToProviderChildArgs(string provider, string childOutput)
        => ToChildArgs(EfBenchmarks, NoneListed, provider, childOutput);

    private List<string> ToChildArgs(IReadOnlyList<string> benchmarks, string engine, string provider, string childOutput)
    {
        var args = new List<string>
        {
            "--benchmarks", string.Join(',', benchmarks),
            "--engines", engine,
            "--providers", provider,
            "--ef-num", EfNum.ToString(CultureInfo.InvariantCulture),
            "--ef-ops", EfOps.ToString(CultureInfo.InvariantCulture),
            "--ef-scans", EfScans.ToString(CultureInfo.InvariantCulture),
            "--ef-sync-ops", EfSyncOps.ToString(CultureInfo.InvariantCulture),
            "--ef-min-seconds", EfMinSeconds.ToString(CultureInfo.InvariantCulture),
            "--warmup-max-seconds", WarmupMaxSeconds.ToString(CultureInfo.InvariantCulture),
            "--postgres", PostgresConnection,
            "--etcd", EtcdEndpoints,
            "--num", Num.ToString(CultureInfo.InvariantCulture),
            "--sync-ops", SyncOps.ToString(CultureInfo.InvariantCulture),
            "--value-size", ValueSize.ToString(CultureInfo.InvariantCulture),
            "--seek-nexts", SeekNexts.ToString(CultureInfo.InvariantCulture),
            "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture),
            "--cache-size", CacheSize.ToString(CultureInfo.InvariantCulture),
            "--write-buffer-size", WriteBufferSize.ToString(CultureInfo.InvariantCulture),
            "--bloom-bits", BloomBits.ToString(CultureInfo.InvariantCulture),
            "--db-dir", DbDir,
            "--seed", Seed.ToString(CultureInfo.InvariantCulture),
            "--isolation", NoIsolation,
            "--child-output", childOutput,
        };
        if (Reads is { } reads)
        {
            args.AddRange(["--reads", reads.ToString(CultureInfo.InvariantCulture)]);
        }

        if (MigrationBatchRows is { } migrationBatchRows)
        {
            args.AddRange(["--migration-batch-rows", migrationBatchRows.ToString(CultureInfo.InvariantCulture)]);
        }

        if (MigrationBatchBytes is { } migrationBatchBytes)
        {
            args.AddRange(["--migration-batch-bytes", migrationBatchBytes.ToString(CultureInfo.InvariantCulture)]);
        }

        if (RocksDbLibrary is not null)
        {
            args.AddRange(["--rocksdb-library", RocksDbLibrary]);
        }

        if (LevelDbLibrary is not null)
        {
            args.AddRange(["--leveldb-library", LevelDbLibrary]);
        }

        if (KeepDb)
        {
            args.Add("--keep-db");
        }

        if (!Warmup)
        {
            args.Add("--no-warmup");
        }

        return args;
    }

    private static string[] ParseList(string name, string value, bool allowNone = false)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(item => item.ToLowerInvariant())
            .ToArray();
        if (items.Length == 0)
        {
            throw new BenchArgumentException($"Option --{name} needs at least one name{(allowNone ? " (or none)" : "")}.");
        }

        if (allowNone && items.Contains(NoneListed))
        {
            return items.Length == 1
                ? []
                : throw new BenchArgumentException($"Option --{name} takes '{NoneListed}' alone, not with other names: '{value}'.");
        }

        return items;
    }

    private static int ParseInt(string name, string value, int min, int max = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) || result < min || result > max)
        {
            throw new BenchArgumentException($"Option --{name} must be a whole number from {min} to {max}, not '{value}'.");
        }

        return result;
    }

    private static double ParseSeconds(string name, string value)
        => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 3600
            ? seconds
            : throw new BenchArgumentException($"Option --{name} must be a number of seconds from 0 to 3600, not '{value}'.");

    private static ulong ParseSeed(string name, string value)
        => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new BenchArgumentException($"Option --{name} must be a non-negative whole number, not '{value}'.");

    /// <summary>A byte count with an optional binary K/M/G suffix (optionally followed by "B" or "iB").</summary>
    internal static long ParseSize(string name, string value, long min = 0)
    {
        var text = value.Trim();
        foreach (var unit in (ReadOnlySpan<string>)["iB", "B"])
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase) && text.Length > unit.Length && !char.IsDigit(text[^(unit.Length + 1)]))
            {
                text = text[..^unit.Length];
                break;
            }
        }

        var shift = 0;
        if (text.Length > 0)
        {
            shift = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => 0,
            };
        }

        var digits = shift == 0 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > (long.MaxValue >> shift))
        {
            throw new BenchArgumentException($"Option --{name} must be a byte count such as 33554432, 32M or 32MiB, not '{value}'.");
        }

        var bytes = number << shift;
        if (bytes < min)
        {
            throw new BenchArgumentException($"Option --{name} must be at least {min} bytes, not '{value}'.");
        }

        return bytes;
    }

    private static string ParsePath(string name, string value)
        => string.IsNullOrWhiteSpace(value) ? throw new BenchArgumentException($"Option --{name} needs a path.") : value;

    private static string ParseIsolation(string name, string value)
        => value is ProcessIsolation or NoIsolation
            ? value
            : throw new BenchArgumentException($"Option --{name} must be '{ProcessIsolation}' or '{NoIsolation}', not '{value}'.");
}

/// <summary>A command-line argument the harness cannot use; the message names the option and the bad value.</summary>
internal sealed class BenchArgumentException(string message) : ArgumentException(message);
