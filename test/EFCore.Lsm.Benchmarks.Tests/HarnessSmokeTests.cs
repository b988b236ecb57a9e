using System.Text.Json;
using System.Xml.Linq;
using EFCore.Lsm.DbBench;
using EFCore.Lsm.DbBench.Reporting;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.Benchmarks.Tests;

/// <summary>
/// Runs the harness's entry point at a tiny size and checks that it ran and reported every requested workload on
/// every engine that is installed (ours always; the peers only where their libraries are). Not about speed.
/// </summary>
public sealed class HarnessSmokeTests
{
    private const int Num = 2000;

    private static readonly string[] Workloads =
        ["fillseq", "readrandom", "readmissing", "readseq", "seekrandom", "overwrite", "fillrandom", "deleterandom", "fillsync", "fillsync4"];

    [Fact]
    public void Runs_every_requested_workload_on_ours_and_installed_peers()
    {
        using var dir = new TestDirectory();
        var engines = InstalledEngines();
        var (exitCode, output, report) = Run(dir,
            "--num", Num.ToString(), "--sync-ops", "20", "--benchmarks", string.Join(',', Workloads),
            "--engines", string.Join(',', engines), "--isolation", "none", "--rounds", "2");

        Assert.True(exitCode == 0, output);

        // Two interleaved rounds, each with every engine; the top-level results are their medians with the range and CPU per op.
        var rounds = report.RootElement.GetProperty("RoundRuns").EnumerateArray().ToList();
        Assert.Equal(2, rounds.Count);
        foreach (var round in rounds)
        {
            Assert.Equal(engines, round.EnumerateArray().Select(r => r.GetProperty("Engine").GetString()));
        }
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToList();
        Assert.Equal(engines, runs.Select(r => r.GetProperty("Engine").GetString()));
        foreach (var run in runs)
        {
            var engine = run.GetProperty("Engine").GetString();
            Assert.True(run.GetProperty("Available").GetBoolean(), engine);
            Assert.Equal(JsonValueKind.Null, run.GetProperty("Error").ValueKind);
            var results = run.GetProperty("Results").EnumerateArray().ToDictionary(r => r.GetProperty("Workload").GetString()!);
            Assert.Equal(Workloads.Order(), results.Keys.Order());
            foreach (var (workload, result) in results)
            {
                Assert.True(result.GetProperty("OpsPerSecond").GetDouble() > 0, $"{engine} {workload}");
                Assert.True(result.GetProperty("P99Micros").GetDouble() >= result.GetProperty("P50Micros").GetDouble(), $"{engine} {workload}");
                Assert.True(result.GetProperty("PeakRssBytes").GetInt64() > 0, $"{engine} {workload}");
                Assert.Equal(2, result.GetProperty("Rounds").GetInt32());
                Assert.True(result.GetProperty("OpsPerSecondMin").GetDouble() <= result.GetProperty("OpsPerSecond").GetDouble(), $"{engine} {workload}");
                Assert.True(result.GetProperty("OpsPerSecondMax").GetDouble() >= result.GetProperty("OpsPerSecond").GetDouble(), $"{engine} {workload}");
                Assert.True(result.GetProperty("CpuSecondsPerOp").GetDouble() > 0, $"{engine} {workload}");
                if (OperatingSystem.IsLinux())
                {
                    Assert.True(result.GetProperty("LoadAverageMax").GetDouble() >= 0, $"{engine} {workload}");
                }
                Assert.Contains($"{engine,-8} {workload}", output, StringComparison.Ordinal);
            }

            // The workloads check what they read: every stored key is found, no missing key is, a scan sees them all.
            Assert.Equal($"{Num} of {Num} found", results["readrandom"].GetProperty("Note").GetString());
            Assert.Equal($"0 of {Num} found", results["readmissing"].GetProperty("Note").GetString());
            Assert.StartsWith($"{Num} entries, {Num * (16 + 100)} bytes read", results["readseq"].GetProperty("Note").GetString());
            Assert.StartsWith($"{Num} of {Num} found", results["seekrandom"].GetProperty("Note").GetString());
            Assert.Equal(Num, results["readseq"].GetProperty("Operations").GetInt64());
            Assert.Equal(20, results["fillsync"].GetProperty("Operations").GetInt64());
            Assert.Equal(80, results["fillsync4"].GetProperty("Operations").GetInt64());

            // fillseq of 2000 x 116 bytes went to the WAL (LevelDB may still hold up to 64 KiB of it in its write buffer).
            Assert.True(results["fillseq"].GetProperty("DiskDeltaBytes").GetInt64() >= Num * 116 / 2, engine);
        }

        var folder = report.RootElement.GetProperty("ResultsFolder").GetString()!;
        var markdown = File.ReadAllText(Path.Combine(folder, ReportWriter.MarkdownFile));
        foreach (var workload in Workloads)
        {
            Assert.Contains($"| {workload} | ours |", markdown, StringComparison.Ordinal);
        }

        var svg = XDocument.Load(Path.Combine(folder, ReportWriter.SvgFile));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        if (engines.Count > 1)
        {
            // One bar per workload, each labelled with the peer it is compared with.
            var labels = svg.Root.Elements().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
            Assert.Equal(Workloads.Length, labels.Count(l => l.Contains("x vs ", StringComparison.Ordinal)));
        }

        // The note on Debian's builds appears exactly when a peer ran from one (the NuGet RocksDB and ZoneTree are not).
        if (engines.Contains("rocksdb-debian") || engines.Contains("leveldb"))
        {
            Assert.Contains(ReportWriter.DistroAssertionNote, markdown, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain(ReportWriter.DistroAssertionNote, markdown, StringComparison.Ordinal);
        }

        // Databases are removed after the run unless --keep-db.
        Assert.Empty(Directory.GetDirectories(dir.Sub("db")));
    }

    [Fact]
    public void Runs_each_engine_in_a_child_process_by_default()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir, "--num", "500", "--benchmarks", "fillseq,readrandom", "--engines", "ours");

        Assert.True(exitCode == 0, output);
        var run = Assert.Single(report.RootElement.GetProperty("Engines").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("Error").ValueKind);
        Assert.Equal(["fillseq", "readrandom"], run.GetProperty("Results").EnumerateArray().Select(r => r.GetProperty("Workload").GetString()));
        Assert.Contains("ours     readrandom", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_engines_only_run_reports_no_empty_EF_table()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir,
            "--num", "300", "--benchmarks", "fillseq,ef-find", "--engines", "ours", "--providers", "none", "--isolation", "none");

        Assert.True(exitCode == 0, output);
        var folder = report.RootElement.GetProperty("ResultsFolder").GetString()!;
        var markdown = File.ReadAllText(Path.Combine(folder, ReportWriter.MarkdownFile));
        Assert.Contains("## Ours / best peer", markdown, StringComparison.Ordinal);
        Assert.Contains("| fillseq | ours |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("## EF Core: lsm / each provider", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_peer_library_is_reported_and_the_other_engines_still_run()
    {
        using var dir = new TestDirectory();
        var missing = dir.Sub("librocksdb-missing.so");
        var (exitCode, output, report) = Run(dir,
            "--num", "300", "--benchmarks", "fillrandom,readrandom", "--engines", "rocksdb,ours", "--rocksdb-library", missing,
            "--isolation", "none");

        Assert.True(exitCode == 0, output);
        Assert.Contains("rocksdb: ", output, StringComparison.Ordinal);
        Assert.Contains("skipping it and running the others", output, StringComparison.Ordinal);
        var runs = report.RootElement.GetProperty("Engines").EnumerateArray().ToList();
        Assert.False(runs[0].GetProperty("Available").GetBoolean());
        Assert.Contains(missing, runs[0].GetProperty("Detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, runs[1].GetProperty("Results").GetArrayLength());
        Assert.DoesNotContain("(rocksdb)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_workload_first_runs_unmeasured_passes_and_the_results_say_how_many()
    {
        using var dir = new TestDirectory();
        var (exitCode, output, report) = Run(dir,
            "--num", Num.ToString(), "--benchmarks", "fillseq,readseq", "--engines", "ours", "--providers", "none",
            "--isolation", "none", "--warmup-max-seconds", "0.2");

        Assert.True(exitCode == 0, output);
        var results = report.RootElement.GetProperty("RoundRuns")[0][0].GetProperty("Results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("Workload").GetString()!, r => r.GetProperty("Warmup"));

        // A fill warms up on a scratch database at the warm-up size; a read on the database it is measured on.
        Assert.Equal("2,000 keys", results["fillseq"].GetProperty("Scale").GetString());
        Assert.Equal("2,000 reads", results["readseq"].GetProperty("Scale").GetString());
        Assert.All(results.Values, w => Assert.True(w.GetProperty("Passes").GetInt32() >= 1));
        Assert.Contains("unmeasured passes at 2,000 keys", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Sub("db"), "ours-warmup")), "the scratch database is removed");
    }

    [Theory]
    [InlineData("--num", "0", "--num")]
    [InlineData("--benchmarks", "fillseq,readfast", "readfast")]
    [InlineData("--engines", "ours,sqlite", "sqlite")]
    [InlineData("--isolation", "thread", "thread")]
    [InlineData("--frobnicate", "1", "--frobnicate")]
    public void Bad_arguments_exit_with_2_and_name_the_problem(string option, string value, string named)
    {
        using var output = new StringWriter();
        Assert.Equal(2, BenchHarness.Run([option, value], output));
        Assert.StartsWith("error: ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains(named, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_prints_usage_and_runs_nothing()
    {
        using var output = new StringWriter();
        Assert.Equal(0, BenchHarness.Run(["--help"], output));
        Assert.Contains("--benchmarks", output.ToString(), StringComparison.Ordinal);
    }

    internal static List<string> InstalledEngines()
    {
        var options = new BenchOptions();
        return StoreCatalog.All.Where(e => StoreCatalog.TryPrepare(e, options, out _)).ToList();
    }

    private static (int ExitCode, string Output, JsonDocument Report) Run(TestDirectory dir, params string[] args)
    {
        using var output = new StringWriter();
        // One round unless the test asks for more: rounds are tested once, in the first test.
        // No minimum duration for the EF workloads either: these tests check answers, not speed.
        string[] rounds = args.Contains("--rounds") ? [] : ["--rounds", "1"];
        // No warm-up of each workload until the JIT settles (up to 10 s each) unless the test is about it.
        string[] warmup = args.Contains("--warmup-max-seconds") ? [] : ["--warmup-max-seconds", "0"];
        var exitCode = BenchHarness.Run([.. args, .. rounds, .. warmup, "--ef-min-seconds", "0", "--db-dir", dir.Sub("db"), "--results-dir", dir.Sub("results")], output);
        var resultFolders = Directory.Exists(dir.Sub("results")) ? Directory.GetDirectories(dir.Sub("results")) : [];
        Assert.True(resultFolders.Length == 1, output.ToString());
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(resultFolders[0], ReportWriter.JsonFile)));
        return (exitCode, output.ToString(), report);
    }
}
