using System.Globalization;
using System.Text.Json;
using EFCore.Lsm.DbBench;
using EFCore.Lsm.DbBench.Ef.Model;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Reporting;

namespace EFCore.Lsm.Benchmarks.Tests;

/// <summary>
/// Runs the EF workload group through the harness's entry point at a tiny size on lsm, inmemory and (where its native
/// library loads) sqlite, and checks each workload's answers against the seeded data computed here, so a provider
/// returning wrong rows fails the test. PostgreSQL is not needed: an unreachable server must be skipped, not fatal.
/// </summary>
public sealed class EfHarnessSmokeTests
{
    private const int EfNum = 1500;
    private const int EfOps = 40;
    private const int EfScans = 3;
    private const int EfSyncOps = 6;
    private const ulong Seed = 301;

    // ef-delete early: the next workload needs every seeded row back, so the runner recreates the database mid-run.
    private static readonly string[] Workloads =
    [
        "ef-bulkinsert", "ef-find", "ef-delete", "ef-find-notrack", "ef-range", "ef-scan", "ef-count", "ef-sum", "ef-indexed", "ef-include", "ef-join",
        "ef-update", "ef-insertsync", "ef-insertsync4", "ef-shortlived", "ef-executedelete",
    ];

    [Fact]
    public void Runs_every_ef_workload_on_each_available_provider_with_the_same_answers()
    {
        using var dir = new TestDirectory();
        var providers = new List<string> { "lsm", "inmemory" };
        if (EfProviderCatalog.TryPrepare("sqlite", new BenchOptions(), out _))
        {
            providers.Add("sqlite");
        }

        var (exitCode, output, report) = Run(dir,
            "--engines", "none", "--providers", string.Join(',', providers), "--benchmarks", string.Join(',', Workloads),
            "--ef-num", EfNum.ToString(CultureInfo.InvariantCulture), "--ef-ops", EfOps.ToString(CultureInfo.InvariantCulture),
            "--ef-scans", EfScans.ToString(CultureInfo.InvariantCulture), "--ef-sync-ops", EfSyncOps.ToString(CultureInfo.InvariantCulture),
            "--seed", Seed.ToString(CultureInfo.InvariantCulture), "--isolation", "none");

        Assert.True(exitCode == 0, output);
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToList();
        Assert.Equal(providers, runs.Select(r => r.GetProperty("Engine").GetString()));
        var expected = ExpectedNotes();
        foreach (var run in runs)
        {
            var provider = run.GetProperty("Engine").GetString()!;
            Assert.True(run.GetProperty("Available").GetBoolean(), provider);
            Assert.True(run.GetProperty("Error").ValueKind == JsonValueKind.Null, run.GetProperty("Error").ToString());
            var results = run.GetProperty("Results").EnumerateArray().ToDictionary(r => r.GetProperty("Workload").GetString()!);
            Assert.Equal(Workloads, results.Keys);
            foreach (var (workload, result) in results)
            {
                Assert.Equal("ef", result.GetProperty("Group").GetString());
                Assert.True(result.GetProperty("OpsPerSecond").GetDouble() > 0, $"{provider} {workload}");
                Assert.True(result.GetProperty("P99Micros").GetDouble() >= result.GetProperty("P50Micros").GetDouble(), $"{provider} {workload}");
                Assert.True(result.GetProperty("PeakRssBytes").GetInt64() > 0, $"{provider} {workload}");
                Assert.Contains($"{provider,-8} {workload}", output, StringComparison.Ordinal);
                if (expected.TryGetValue(workload, out var note))
                {
                    Assert.True(note == result.GetProperty("Note").GetString(), $"{provider} {workload}: {result.GetProperty("Note")} != {note}");
                }
            }

            Assert.Equal(EfNum, results["ef-bulkinsert"].GetProperty("Operations").GetInt64());
            Assert.StartsWith("loaded by an unmeasured ef-bulkinsert", results["ef-find-notrack"].GetProperty("Preparation").GetString());
            Assert.Equal(JsonValueKind.Null, results["ef-range"].GetProperty("Preparation").ValueKind);
            Assert.Equal(4 * EfSyncOps, results["ef-insertsync4"].GetProperty("Operations").GetInt64());
            if (provider != "inmemory")
            {
                Assert.True(results["ef-bulkinsert"].GetProperty("DiskBytesAfter").GetInt64() > EfNum * 20, provider);
            }
        }

        // lsm's rows carry its ratio to each other provider; the targets against the providers that ran are printed.
        Assert.Matches(@"ef-find\s+lsm\s.*\d\.\d\d inmemory", output);
        Assert.Contains("bulk insert (ef-bulkinsert): lsm/inmemory ", output, StringComparison.Ordinal);
        if (providers.Contains("sqlite"))
        {
            Assert.Contains("primary-key lookup, tracking (ef-find): lsm/sqlite ", output, StringComparison.Ordinal);
        }

        var folder = report.RootElement.GetProperty("ResultsFolder").GetString()!;
        var markdown = File.ReadAllText(Path.Combine(folder, ReportWriter.MarkdownFile));
        Assert.Contains("## EF Core: lsm / each provider", markdown, StringComparison.Ordinal);
        Assert.Contains($"]({ReportWriter.SvgFile})", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("## Ours / best peer", markdown, StringComparison.Ordinal);
        foreach (var workload in Workloads)
        {
            Assert.Contains($"| {workload} | lsm |", markdown, StringComparison.Ordinal);
        }

        // Databases are removed after the run unless --keep-db.
        Assert.Empty(Directory.GetDirectories(dir.Sub("db")));
    }

    [Fact]
    public void Sqlite_loads_from_the_bundled_native_library()
    {
        // The e_sqlite3 bundle ships the native library for the usual platforms, so on them the provider must load.
        Assert.True(EfProviderCatalog.TryPrepare("sqlite", new BenchOptions(), out var detail), detail);
        Assert.Matches(@"SQLite 3\.\d+\.\d+", detail);
    }

    [Fact]
    public void An_unreachable_postgres_is_reported_and_the_other_providers_still_run()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir,
            "--engines", "none", "--providers", "postgres,lsm", "--benchmarks", "ef-bulkinsert,ef-find", "--ef-num", "200",
            "--ef-ops", "10", "--postgres", "Host=127.0.0.1;Port=1;Username=postgres;Timeout=1", "--isolation", "none");

        Assert.True(exitCode == 0, output);
        Assert.Contains("start-postgres.sh", output, StringComparison.Ordinal);
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToList();
        Assert.Equal(["postgres", "lsm"], runs.Select(r => r.GetProperty("Engine").GetString()));
        Assert.False(runs[0].GetProperty("Available").GetBoolean());
        Assert.Equal(2, runs[1].GetProperty("Results").GetArrayLength());
    }

    [Fact]
    public void One_command_runs_engine_and_ef_workloads_each_in_its_own_child_process()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir,
            "--benchmarks", "fillseq,ef-bulkinsert,readrandom,ef-find-notrack", "--engines", "ours", "--providers", "lsm,inmemory",
            "--num", "300", "--ef-num", "300", "--ef-ops", "20");

        Assert.True(exitCode == 0, output);
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToList();
        Assert.Equal(["ours", "lsm", "inmemory"], runs.Select(r => r.GetProperty("Engine").GetString()));
        Assert.Equal(["fillseq", "readrandom"], Workloads(runs[0]));
        Assert.Equal(["ef-bulkinsert", "ef-find-notrack"], Workloads(runs[1]));
        Assert.Equal(["ef-bulkinsert", "ef-find-notrack"], Workloads(runs[2]));
        Assert.Equal("20 of 20 found", runs[1].GetProperty("Results")[1].GetProperty("Note").GetString());

        static List<string?> Workloads(JsonElement run)
            => run.GetProperty("Results").EnumerateArray().Select(r => r.GetProperty("Workload").GetString()).ToList();
    }

    /// <summary>What each workload must report, computed from the seeded rows without any provider.</summary>
    private static Dictionary<string, string> ExpectedNotes()
    {
        var data = new BenchData(Seed);
        var customers = Enumerable.Range(0, EfNum).Select(data.Customer).ToList();
        long scanned = 0;
        long counted = 0;
        decimal sum = 0;
        for (var i = 0; i < EfScans; i++)
        {
            var city = BenchData.Cities[i % BenchData.Cities.Count];
            scanned += customers.Count(c => c.City == city && c.Balance >= BenchData.ScanMinimumBalance);
            counted += customers.Count(c => c.City == city);
            sum += customers.Where(c => c.City == city).Sum(c => c.Balance);
        }

        var regions = new EFCore.Lsm.DbBench.Workloads.SplitMix64(
            EFCore.Lsm.DbBench.Workloads.DbBenchWorkloads.SeedFor(new BenchOptions { Seed = Seed }, "ef-indexed"));
        long indexed = 0;
        for (var i = 0; i < EfOps; i++)
        {
            var region = BenchData.RegionName((int)regions.NextIndex(BenchData.RegionCount));
            indexed += customers.Count(c => c.Region == region);
        }

        return new Dictionary<string, string>
        {
            ["ef-indexed"] = $"{indexed} rows matched",
            ["ef-include"] = $"{EfOps * BenchData.OrdersPerCustomer} orders found",
            ["ef-join"] = $"{EfOps * BenchData.OrdersPerCustomer} orders found",
            ["ef-executedelete"] = $"{EfNum / 10} rows deleted, 0 left in the range",
            ["ef-bulkinsert"] = $"{EfNum} entities in {(EfNum + 999) / 1000} SaveChanges; latencies are per SaveChanges",
            ["ef-find"] = $"{EfOps} of {EfOps} found",
            ["ef-find-notrack"] = $"{EfOps} of {EfOps} found",
            ["ef-range"] = $"{EfOps * 100} rows (100.0 per query), 0 out of range or order",
            ["ef-scan"] = $"{scanned} rows matched",
            ["ef-count"] = $"{counted} counted",
            ["ef-sum"] = string.Create(CultureInfo.InvariantCulture, $"sum {sum:F2}"),
            ["ef-update"] = $"{EfOps} rows saved",
            ["ef-insertsync"] = $"1 context(s) x {EfSyncOps} synced saves, {EfSyncOps} rows saved",
            ["ef-insertsync4"] = $"4 context(s) x {EfSyncOps} synced saves, {4 * EfSyncOps} rows saved",
            ["ef-shortlived"] = $"{EfSyncOps} contexts x 1 synced save, {EfSyncOps} rows saved",
            ["ef-delete"] = $"{EfOps} of {EfOps} deleted",
        };
    }

    [Fact]
    public void The_rekey_migration_moves_every_row_to_its_new_key_on_lsm_and_sqlite_and_is_refused_elsewhere_naming_the_provider()
    {
        using var dir = new TestDirectory();
        var providers = new List<string> { "lsm", "inmemory" };
        if (EfProviderCatalog.TryPrepare("sqlite", new BenchOptions(), out _))
        {
            providers.Add("sqlite");
        }

        var (exitCode, output, report) = Run(dir,
            "--engines", "none", "--providers", string.Join(',', providers), "--benchmarks", "ef-rekey",
            "--ef-num", EfNum.ToString(CultureInfo.InvariantCulture), "--migration-batch-rows", "100",
            "--seed", Seed.ToString(CultureInfo.InvariantCulture), "--isolation", "none");

        // InMemory runs no migrations: its run fails, naming the workload and the provider, and the others are unaffected.
        Assert.Equal(1, exitCode);
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToDictionary(r => r.GetProperty("Engine").GetString()!);
        Assert.Contains("ef-rekey runs EF migrations", runs["inmemory"].GetProperty("Error").GetString(), StringComparison.Ordinal);
        foreach (var provider in providers.Where(p => p != "inmemory"))
        {
            Assert.True(runs[provider].GetProperty("Error").ValueKind == JsonValueKind.Null, runs[provider].GetProperty("Error").ToString());
            var result = Assert.Single(runs[provider].GetProperty("Results").EnumerateArray());
            Assert.Equal(EfNum, result.GetProperty("Operations").GetInt64());

            // The workload checks its result after the measurement (every row under its new key, the index) and fails otherwise.
            Assert.StartsWith($"{EfNum} rows re-keyed to (TenantId, Id)", result.GetProperty("Note").GetString(), StringComparison.Ordinal);
            Assert.StartsWith($"{EfNum} rows loaded keyed by Id", result.GetProperty("Preparation").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains("batches of 100 rows", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_ef_workload_first_runs_unmeasured_passes_and_the_database_is_as_the_measurement_needs()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir,
            "--engines", "none", "--providers", "lsm", "--benchmarks", "ef-bulkinsert,ef-count,ef-executedelete",
            "--ef-num", EfNum.ToString(CultureInfo.InvariantCulture), "--ef-scans", EfScans.ToString(CultureInfo.InvariantCulture), "--seed", Seed.ToString(CultureInfo.InvariantCulture),
            "--isolation", "none", "--ef-min-seconds", "0.01", "--warmup-max-seconds", "0.2");

        Assert.True(exitCode == 0, output);
        var results = report.RootElement.GetProperty("RoundRuns")[0][0].GetProperty("Results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("Workload").GetString()!);

        // Inserts and deletes warm up at the warm-up size (here the measured size: it is below 2,000) on databases
        // recreated for each pass; a query on the measured database.
        var warmupSize = FormattableString.Invariant($"{EfNum:N0} customers");
        Assert.Equal(warmupSize, results["ef-bulkinsert"].GetProperty("Warmup").GetProperty("Scale").GetString());
        Assert.Equal(JsonValueKind.Null, results["ef-count"].GetProperty("Warmup").GetProperty("Scale").ValueKind);
        Assert.Equal(warmupSize, results["ef-executedelete"].GetProperty("Warmup").GetProperty("Scale").GetString());

        // The measured runs still saw the database they need: every seeded customer inserted, then found by the
        // count and deleted in part by the ExecuteDelete, as without the warm-up.
        Assert.Equal(ExpectedNotes()["ef-bulkinsert"], results["ef-bulkinsert"].GetProperty("Note").GetString());
        Assert.Equal(ExpectedNotes()["ef-count"], results["ef-count"].GetProperty("Note").GetString());
        Assert.Equal(ExpectedNotes()["ef-executedelete"], results["ef-executedelete"].GetProperty("Note").GetString());
    }

    private static (int ExitCode, string Output, JsonDocument Report) Run(TestDirectory dir, params string[] args)
    {
        using var output = new StringWriter();
        // One round unless the test asks for more: rounds are tested once, in the first test.
        // No minimum duration for the EF workloads either: these tests check answers, not speed.
        string[] rounds = args.Contains("--rounds") ? [] : ["--rounds", "1"];
        string[] minimum = args.Contains("--ef-min-seconds") ? [] : ["--ef-min-seconds", "0"];
        var exitCode = BenchHarness.Run([.. args, .. rounds, .. minimum, "--db-dir", dir.Sub("db"), "--results-dir", dir.Sub("results")], output);
        var resultFolders = Directory.Exists(dir.Sub("results")) ? Directory.GetDirectories(dir.Sub("results")) : [];
        Assert.True(resultFolders.Length == 1, output.ToString());
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(resultFolders[0], ReportWriter.JsonFile)));
        return (exitCode, output.ToString(), report);
    }
}
