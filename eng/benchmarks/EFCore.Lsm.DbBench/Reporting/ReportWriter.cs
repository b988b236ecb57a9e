using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Reporting;
using EFCore.Lsm.DbBench.Ef.Workloads;
using EFCore.Lsm.DbBench.Running;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.DbBench.Reporting;

/// <summary>Turns a <see cref="BenchReport"/> into the console table, report.md, ratios.svg and results.json.</summary>
internal static class ReportWriter
{
    public const string MarkdownFile = "report.md";
    public const string SvgFile = "ratios.svg";
    public const string JsonFile = "results.json";

    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true };

    private static readonly string[] Header =
    [
        "workload", "engine", "ops", "ops/s", "ops/s range", "CPU µs/op", "p50 µs", "p99 µs", "disk Δ MiB", "written MiB",
        "peak RSS MiB", "anon/file MiB", "load", "ours/peer (range)",
    ];

    public static void WriteConsole(BenchReport report, TextWriter output)
    {
        var rows = Rows(report);
        var widths = Header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine();
        output.WriteLine(string.Join("  ", Header.Select((h, i) => i < 2 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        }

        foreach (var engine in report.Engines.Where(e => !e.Available || e.Error is not null))
        {
            output.WriteLine(engine.Available ? $"{engine.Engine}: failed: {engine.Error}" : $"{engine.Engine}: skipped, {engine.Detail}");
        }

        if (PeerFiguresFromDistroBuilds(report))
        {
            output.WriteLine(DistroAssertionNote);
        }

        var targets = EfComparison.TargetLines(report);
        if (targets.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("EF Core targets (throughput of EF Core + EFCore.Lsm / the peer's, same run):");
            foreach (var line in targets)
            {
                output.WriteLine("  " + line);
            }
        }
    }

    /// <summary>Writes report.md, ratios.svg and results.json into a new timestamped folder under the results folder.</summary>
    public static string WriteFiles(BenchReport report, string resultsRoot)
    {
        var folder = Path.Combine(resultsRoot, report.StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        for (var n = 2; Directory.Exists(folder); n++)
        {
            folder = Path.Combine(resultsRoot, report.StartedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + n);
        }

        Directory.CreateDirectory(folder);
        report.ResultsFolder = folder;
        File.WriteAllText(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(report, JsonOptions));
        File.WriteAllText(Path.Combine(folder, SvgFile), RenderSvg(report));
        File.WriteAllText(Path.Combine(folder, MarkdownFile), RenderMarkdown(report));
        return folder;
    }

    internal const string DistroAssertionNote =
        "Note: the rocksdb-debian and leveldb rows come from Debian's packaged libraries (RocksDB 7.8.3 is built with assertions " +
        "on); the rocksdb row is the release build from the RocksDB NuGet package.";

    internal static string RenderSvg(BenchReport report)
    {
        var bars = new List<SvgBarChart.Bar>();
        foreach (var workload in report.Options.Benchmarks)
        {
            if (report.RatioToBestPeer(workload) is { } ratio)
            {
                bars.Add(new SvgBarChart.Bar(workload, ratio.Ratio, $"{ratio.Ratio:F2}x vs {ratio.Peer} ({ratio.Min:F2}-{ratio.Max:F2})", ratio.Min, ratio.Max));
            }
            else if (EfComparison.Ratio(report, workload, EfProviderCatalog.Sqlite) is { } efRatio)
            {
                // EF workloads: EF Core + EFCore.Lsm against EF Core + SQLite, the embedded database an EF application would pick.
                bars.Add(new SvgBarChart.Bar(workload, efRatio.Ratio, $"{efRatio.Ratio:F2}x vs sqlite ({efRatio.Min:F2}-{efRatio.Max:F2})", efRatio.Min, efRatio.Max));
            }
        }

        var o = report.Options;
        var groups = new List<string>();
        if (o.EngineBenchmarks.Count > 0 && o.Engines.Count > 0)
        {
            groups.Add($"engines ({string.Join(", ", o.Engines)}) at {o.Num:N0} keys: ours / best peer");
        }

        if (o.EfBenchmarks.Count > 0 && o.Providers.Count > 0)
        {
            groups.Add($"EF ({string.Join(", ", o.Providers)}) at {o.EfNum:N0} customers: lsm / sqlite");
        }

        var title = bars.Count == 0 ? "Throughput ratios (no peer results)" : "Throughput ratios, median of " + o.Rounds + " interleaved rounds";
        var subtitle = (groups.Count == 0 ? "nothing ran" : string.Join("; ", groups)) + $". {report.StartedAt:yyyy-MM-dd}. Right of 1 = ours faster.";
        return SvgBarChart.Render(title, bars, 1.0, "ratio to the peer (1 = parity)", subtitle);
    }

    internal static string RenderMarkdown(BenchReport report)
    {
        var o = report.Options;
        var md = new StringBuilder();
        md.AppendLine("# EFCore.Lsm engine benchmark");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Started: {report.StartedAt:yyyy-MM-dd HH:mm:ss zzz}, finished {report.FinishedAt:HH:mm:ss}");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"- Rounds: {o.Rounds}, interleaved (every engine and provider once per round, each a fresh process, " +
            $"{(o.Warmup ? "after an unmeasured warm-up pass at a small size; each repeated EF workload also runs unmeasured passes at full size until the JIT has compiled nothing for twice its call-counting delay" : "no warm-up")}); figures are medians over the rounds");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1 min) over all measurements: {LoadRange(report)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `EFCore.Lsm.DbBench {string.Join(' ', report.CommandLine)}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {MachineDescription()}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Database folder: `{Path.GetFullPath(o.DbDir)}`");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"- Settings: num {o.Num:N0}, reads {o.EffectiveReads:N0}, keys 16 B, values {o.ValueSize} B, batch size {o.BatchSize}, " +
            $"sync ops per writer {o.SyncOps:N0}, seek nexts {o.SeekNexts}, block cache {o.CacheSize >> 20} MiB, " +
            $"write buffer {o.WriteBufferSize >> 20} MiB, Bloom {o.BloomBits} bits/key, 4 KiB blocks, WAL on, no compression (except the ours-compressed row: LZ4, Zstd bottommost), " +
            $"block checksums verified on every read by every engine, seed {o.Seed}");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"- EF settings: {o.EfNum:N0} customers, {o.EfOps:N0} ops per point workload, {o.EfScans} queries per scan workload, " +
            $"{o.EfSyncOps:N0} durable saves per context; queries and updates repeat whole passes for at least {o.EfMinSeconds:F1} s; " +
            $"lsm gets the block cache and write buffer above, SQLite a {o.CacheSize >> 20} MiB page cache; queries and updates read a settled " +
            $"database (lsm: memtable flushed, tables LZ4-compressed and compacted into one level; SQLite: WAL checkpointed)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Isolation: {(o.Isolation == BenchOptions.ProcessIsolation ? "each engine in its own child process" : "all engines in one process")}");
        md.AppendLine();
        md.AppendLine("## Engines");
        md.AppendLine();
        foreach (var engine in report.Engines)
        {
            var status = !engine.Available ? "skipped" : engine.Error is null ? "ran" : $"failed: {engine.Error}";
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{engine.Engine}**: {status}; {engine.Detail}");
        }

        if (PeerFiguresFromDistroBuilds(report))
        {
            md.AppendLine();
            md.AppendLine(DistroAssertionNote);
        }

        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", Header) + " | note |");
        md.AppendLine("|" + string.Join("|", Header.Select((_, i) => i < 2 ? "---" : "---:")) + "|---|");
        foreach (var (row, result) in Rows(report).Zip(OrderedResults(report)))
        {
            var passes = result.Passes > 1 ? $"{result.Passes} passes" : null;
            var warmup = result.Warmup is { } w ? TieringWarmup.Describe(w) : null;
            var note = string.Join("; ", new[] { result.Note, passes, warmup, result.Preparation }.Where(n => n is not null));
            md.AppendLine("| " + string.Join(" | ", row) + " | " + note.Replace("|", "\\|", StringComparison.Ordinal) + " |");
        }

        md.AppendLine();
        if (report.Find(StoreCatalog.OursCompressed, "fillseq") is not null || report.Engines.Any(e => e.Engine == StoreCatalog.OursCompressed))
        {
            md.AppendLine("## Block compression (ours-compressed / ours)");
            md.AppendLine();
            md.AppendLine("The same engine with LZ4 data blocks (Zstd in the bottommost level) against no compression: throughput ratio " +
                "(median of per-round ratios) and the database's size on disk after each workload (median).");
            md.AppendLine();
            md.AppendLine("| workload | ops/s ratio | range | disk MiB, compressed | disk MiB, uncompressed | CPU µs/op, compressed | uncompressed |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var workload in o.EngineBenchmarks)
            {
                var c = report.Find(StoreCatalog.OursCompressed, workload);
                var u = report.Find(StoreCatalog.Ours, workload);
                if (c is not null && u is not null && report.Ratio(StoreCatalog.OursCompressed, StoreCatalog.Ours, workload) is { } ratio)
                {
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {workload} | {ratio.Ratio:F2} | {ratio.Min:F2}-{ratio.Max:F2} | {c.DiskBytesAfter / 1048576.0:F1} | " +
                        $"{u.DiskBytesAfter / 1048576.0:F1} | {c.CpuSecondsPerOp * 1e6:F2} | {u.CpuSecondsPerOp * 1e6:F2} |");
                }
            }

            md.AppendLine();
        }

        // A section appears only for a group that ran: an engines-only run (--providers none) has no EF table, an EF-only run
        // (--engines none) no engine table; the chart holds the bars of both groups and goes with the first section shown.
        var engineGroupRan = o.EngineBenchmarks.Count > 0 && o.Engines.Count > 0;
        var efGroupRan = o.EfBenchmarks.Count > 0 && o.Providers.Count > 0;
        if (engineGroupRan)
        {
            md.AppendLine("## Ours / best peer");
            md.AppendLine();
            md.AppendLine("Throughput ratio: ops/s of ours divided by the best peer's (the one with the highest median), per round, then " +
                "the median of those ratios and their range; above 1 means ours is faster. CPU is user + system seconds of each engine's " +
                "process per operation (all threads), which stays comparable when another process competes for the cores.");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![ours / best peer]({SvgFile})");
            md.AppendLine();
            md.AppendLine("| workload | ratio (median) | range | best peer | ours CPU µs/op | peer CPU µs/op |");
            md.AppendLine("|---|---:|---:|---|---:|---:|");
            foreach (var workload in o.EngineBenchmarks)
            {
                if (report.RatioToBestPeer(workload) is { } ratio)
                {
                    var oursCpu = report.Find(StoreCatalog.Ours, workload)?.CpuSecondsPerOp * 1e6 ?? 0;
                    var peerCpu = report.Find(ratio.Peer, workload)?.CpuSecondsPerOp * 1e6 ?? 0;
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {workload} | {ratio.Ratio:F2} | {ratio.Min:F2}-{ratio.Max:F2} | {ratio.Peer} | {oursCpu:F2} | {peerCpu:F2} |");
                }
            }
        }

        var targets = EfComparison.TargetLines(report);
        if (efGroupRan)
        {
            md.AppendLine();
            md.AppendLine("## EF Core: lsm / each provider");
            if (!engineGroupRan)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"![lsm / sqlite]({SvgFile})");
            }
            md.AppendLine();
            md.AppendLine("Throughput of EF Core + EFCore.Lsm divided by each provider's on the same workload; above 1 means lsm is faster.");
            md.AppendLine();
            md.AppendLine("| workload | " + string.Join(" | ", EfProviderCatalog.Peers.Select(p => "lsm/" + p)) + " |");
            md.AppendLine("|---|" + string.Join("|", EfProviderCatalog.Peers.Select(_ => "---:")) + "|");
            foreach (var workload in o.EfBenchmarks)
            {
                var cells = EfProviderCatalog.Peers.Select(p => EfComparison.Ratio(report, workload, p) is { } r
                    ? string.Create(CultureInfo.InvariantCulture, $"{r.Ratio:F2} ({r.Min:F2}-{r.Max:F2})")
                    : "");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {workload} | {string.Join(" | ", cells)} |");
            }

            if (targets.Count > 0)
            {
                md.AppendLine();
                md.AppendLine("Targets:");
                md.AppendLine();
                foreach (var line in targets)
                {
                    md.AppendLine("- " + line);
                }
            }
        }

        md.AppendLine();
        md.AppendLine("## What the columns mean");
        md.AppendLine();
        md.AppendLine("- **ops/s**: operations divided by the wall time of the workload (all writers together for fillsyncN), the median " +
            "over the rounds; **ops/s range** is the slowest and fastest round.");
        md.AppendLine("- **CPU µs/op**: user + system CPU time of the engine's process (every thread, from getrusage) during the workload, per " +
            "operation, median over rounds. Background work still running when a workload ends is counted in the next one.");
        md.AppendLine("- **load**: the machine's 1-minute load average at the start and end of each round's measurement (lowest-highest); " +
            "about 1 is this harness alone on 2 cores, higher means other processes competed.");
        md.AppendLine("- **p50/p99 µs**: per-operation latency from Stopwatch timestamps, kept in a log-linear histogram (about 3% resolution).");
        md.AppendLine("- **disk Δ MiB**: growth of the engine's database folder during the workload (negative when compaction or deletes shrank it).");
        md.AppendLine("- **written MiB**: `write_bytes` of /proc/self/io during the workload: bytes the whole process (including the engine's " +
            "background flush and compaction threads) sent to storage. Work still running when the workload ends counts towards the next one.");
        md.AppendLine("- **peak RSS MiB**: VmHWM of the process running the engine, reset before each workload through /proc/self/clear_refs " +
            "when the kernel allows (scope `workload`), else the process's peak so far. Every engine runs inside a .NET process, so every " +
            "figure includes the runtime's own footprint; the peers' native memory is counted too. For the postgres provider it is " +
            "the client's only: the server is another process, and its disk writes are not in **written MiB** either.");
        md.AppendLine("- **anon/file MiB**: the process's RSS at the end of the workload split into anonymous memory (heaps, block " +
            "cache, memtables) and file-backed pages (libraries, and tables read through mmap: ours and LevelDB map their tables, " +
            "so pages the OS page cache holds anyway count in their RSS).");
        md.AppendLine("- **ours/peer**: on engine workloads, ours / the best peer (highest median), the median of the per-round ratios " +
            "with their range; on EF workloads (row `lsm`), EF Core + EFCore.Lsm / each other provider (medians of per-round ratios).");
        md.AppendLine();
        md.AppendLine("## Rounds");
        md.AppendLine();
        md.AppendLine("Methods JIT-compiled: how many methods the runtime compiled while the workload was measured (tier-1 " +
            "recompilations included); a large figure means the workload's time includes code the JIT had not yet optimised.");
        md.AppendLine();
        md.AppendLine("| round | engine | workload | ops/s | CPU µs/op | methods JIT-compiled | load start | load end |");
        md.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|");
        foreach (var round in report.RoundRuns)
        {
            foreach (var engine in round)
            {
                foreach (var r in engine.Results)
                {
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {r.Round} | {r.Engine} | {r.Workload} | {r.OpsPerSecond:N0} | {r.CpuSecondsPerOp * 1e6:F2} | {r.JitCompilations:N0} | {r.LoadAverageStart:F2} | {r.LoadAverageEnd:F2} |");
                }
            }
        }
        return md.ToString();
    }

    private static bool PeerFiguresFromDistroBuilds(BenchReport report)
        => report.Engines.Any(e => e.Available && e.Results.Count > 0 &&
            (e.Engine == StoreCatalog.RocksDbDebian || (e.Engine == StoreCatalog.LevelDb && report.Options.LevelDbLibrary is null)));

    private static string LoadRange(BenchReport report)
    {
        var loads = report.RoundRuns.SelectMany(r => r).SelectMany(e => e.Results)
            .SelectMany(r => new[] { r.LoadAverageStart, r.LoadAverageEnd }).Where(l => l is not null).Select(l => l!.Value).ToList();
        return loads.Count == 0
            ? "not available"
            : string.Create(CultureInfo.InvariantCulture, $"{loads.Min():F2}-{loads.Max():F2} (median {Stats.Median(loads):F2})");
    }

    /// <summary>Results ordered by workload (in run order), then engine (in --engines order).</summary>
    private static IEnumerable<WorkloadResult> OrderedResults(BenchReport report)
    {
        foreach (var workload in report.Options.Benchmarks)
        {
            foreach (var engine in report.Engines)
            {
                if (engine.Results.FirstOrDefault(r => r.Workload == workload) is { } result)
                {
                    yield return result;
                }
            }
        }
    }

    private static List<string[]> Rows(BenchReport report)
    {
        static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

        var rows = new List<string[]>();
        foreach (var r in OrderedResults(report))
        {
            var ratio = r.Engine == StoreCatalog.Ours && report.RatioToBestPeer(r.Workload) is { } x
                ? string.Create(CultureInfo.InvariantCulture, $"{x.Ratio:F2} ({x.Min:F2}-{x.Max:F2}) {x.Peer}")
                : r.Engine == StoreCatalog.OursCompressed && report.Ratio(StoreCatalog.OursCompressed, StoreCatalog.Ours, r.Workload) is { } c
                    ? string.Create(CultureInfo.InvariantCulture, $"{c.Ratio:F2} ({c.Min:F2}-{c.Max:F2}) ours")
                : r.Group == EfWorkloads.Group && r.Engine == EfProviderCatalog.Lsm
                    ? EfComparison.Describe(report, r.Workload)
                    : "";
            rows.Add(
            [
                r.Workload,
                r.Engine,
                r.Operations.ToString("N0", CultureInfo.InvariantCulture),
                r.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{r.OpsPerSecondMin:N0}-{r.OpsPerSecondMax:N0}"),
                (r.CpuSecondsPerOp * 1e6).ToString("F2", CultureInfo.InvariantCulture),
                r.P50Micros.ToString("F2", CultureInfo.InvariantCulture),
                r.P99Micros.ToString("F2", CultureInfo.InvariantCulture),
                Mib(r.DiskDeltaBytes),
                r.WriteBytes is { } w ? Mib(w) : "n/a",
                Mib(r.PeakRssBytes) + (r.PeakRssScope == "workload" ? "" : "*"),
                r.RssAnonymousBytes is { } anon && r.RssFileBytes is { } mapped ? $"{Mib(anon)}/{Mib(mapped)}" : "n/a",
                r.LoadAverageMin is { } lo && r.LoadAverageMax is { } hi ? string.Create(CultureInfo.InvariantCulture, $"{lo:F2}-{hi:F2}") : "n/a",
                ratio,
            ]);
        }

        return rows;
    }

    private static string MachineDescription()
    {
        var cpu = "unknown CPU";
        long? memory = null;
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim() ?? cpu;
            var memTotal = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (memTotal is not null && long.TryParse(memTotal["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out var kb))
            {
                memory = kb * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux: the runtime's description below still says what ran.
        }

        var memoryText = memory is { } m ? $", {m / (1024.0 * 1024 * 1024):F1} GiB RAM" : "";
        return $"{Environment.ProcessorCount} cores ({cpu}){memoryText}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }
}
