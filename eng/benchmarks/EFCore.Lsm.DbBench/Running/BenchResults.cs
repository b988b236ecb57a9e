namespace EFCore.Lsm.DbBench.Running;

/// <summary>One workload's figures on one engine.</summary>
internal sealed record WorkloadResult
{
    public required string Engine { get; init; }

    public required string Workload { get; init; }

    public required string Group { get; init; }

    public long Operations { get; init; }

    public double Seconds { get; init; }

    public double OpsPerSecond { get; init; }

    public double P50Micros { get; init; }

    public double P99Micros { get; init; }

    public double MaxMicros { get; init; }

    /// <summary>Growth of the database folder during the workload (negative when compaction or deletes shrank it).</summary>
    public long DiskDeltaBytes { get; init; }

    public long DiskBytesAfter { get; init; }

    /// <summary>/proc/self/io write_bytes during the workload (all threads of the process), null where unavailable.</summary>
    public long? WriteBytes { get; init; }

    public long PeakRssBytes { get; init; }

    /// <summary>
    /// RSS when the workload ended, split into anonymous memory and file-backed pages (mapped tables count there), so a
    /// peak can be told apart into what the engine holds and what the page cache holds for it.
    /// </summary>
    public long? RssAnonymousBytes { get; init; }

    public long? RssFileBytes { get; init; }

    /// <summary>"workload" when the peak was reset before this workload, "process" when it is the process's peak so far.</summary>
    public required string PeakRssScope { get; init; }

    /// <summary>
    /// User + system CPU seconds of the engine's process during the workload, every thread (background flush and
    /// compaction too), from the OS. Unlike wall time it stays comparable when another process competes for the cores.
    /// </summary>
    public double CpuSeconds { get; init; }

    public double CpuSecondsPerOp { get; init; }

    /// <summary>The machine's 1-minute load average when the workload started and ended (null where unavailable).</summary>
    public double? LoadAverageStart { get; init; }

    public double? LoadAverageEnd { get; init; }

    /// <summary>The round this result comes from (1-based), or 0 for a median over rounds.</summary>
    public int Round { get; init; }

    /// <summary>For a median over rounds: how many rounds, and the slowest and fastest round's ops/s.</summary>
    public int Rounds { get; init; } = 1;

    public double OpsPerSecondMin { get; init; }

    public double OpsPerSecondMax { get; init; }

    /// <summary>For a median over rounds: the lowest and highest load average seen at any start or end.</summary>
    public double? LoadAverageMin { get; init; }

    public double? LoadAverageMax { get; init; }

    /// <summary>Set when the runner first had to load the database (unmeasured fillseq) or other context.</summary>
    public string? Preparation { get; init; }

    /// <summary>Whole passes a repeatable EF workload ran to last its minimum time (1 for everything else).</summary>
    public int Passes { get; init; } = 1;

    /// <summary>The workload's own check, such as "1000 of 1000 found" (of the first pass).</summary>
    public string? Note { get; init; }

    /// <summary>
    /// Methods the JIT compiled in the process while the workload was measured (tier-1 recompilations included): near 0
    /// when the warm-up left settled code; large when the figure includes tier-0 time.
    /// </summary>
    public long JitCompilations { get; init; }

    /// <summary>
    /// The unmeasured passes a repeatable EF workload ran at full size just before it was measured, until the JIT had
    /// settled (null for the others; a median over rounds keeps the first round's).
    /// </summary>
    public WarmupSummary? Warmup { get; init; }
}

/// <summary>One engine's run: whether it could run, with which library, and its results (or the error that stopped it).</summary>
internal sealed record EngineRun
{
    public required string Engine { get; init; }

    public bool Available { get; init; }

    /// <summary>The library or assembly used, or why the engine could not run.</summary>
    public required string Detail { get; init; }

    public string? Error { get; init; }

    public List<WorkloadResult> Results { get; init; } = [];
}

/// <summary>
/// Everything one harness invocation measured: every round's runs (each engine and provider a fresh process per round,
/// rounds interleaved A, B, C, A, B, C, ...) and, in <see cref="Engines"/>, one run per engine whose results are the
/// medians over the rounds.
/// </summary>
internal sealed record BenchReport
{
    public required BenchOptions Options { get; init; }

    public required IReadOnlyList<string> CommandLine { get; init; }

    /// <summary>Per engine or provider, its results as medians over the rounds (what the tables show).</summary>
    public required List<EngineRun> Engines { get; init; }

    /// <summary>The runs of each round, in the order they ran.</summary>
    public List<List<EngineRun>> RoundRuns { get; init; } = [];

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    public string? ResultsFolder { get; set; }

    /// <summary>The median result for (engine, workload), or null when that engine did not run it.</summary>
    public WorkloadResult? Find(string engine, string workload)
        => Engines.FirstOrDefault(e => e.Engine == engine)?.Results.FirstOrDefault(r => r.Workload == workload);

    /// <summary>
    /// Our throughput divided by the best peer's on <paramref name="workload"/> (above 1: ours is faster): the median of the
    /// per-round ratios against the peer with the highest median ops/s, with their min and max; null when ours or every
    /// peer is missing.
    /// </summary>
    public RatioSummary? RatioToBestPeer(string workload)
    {
        var best = Engines
            .Where(e => Stores.StoreCatalog.IsPeer(e.Engine))
            .Select(e => e.Results.FirstOrDefault(r => r.Workload == workload))
            .Where(r => r is not null && r.OpsPerSecond > 0)
            .MaxBy(r => r!.OpsPerSecond);
        return best is null ? null : Ratio(Stores.StoreCatalog.Ours, best.Engine, workload);
    }

    /// <summary>The per-round ratios of <paramref name="engine"/>'s ops/s to <paramref name="peer"/>'s, summarised; null if none.</summary>
    public RatioSummary? Ratio(string engine, string peer, string workload)
    {
        var ratios = new List<double>();
        foreach (var round in RoundRuns)
        {
            var ours = round.FirstOrDefault(e => e.Engine == engine)?.Results.FirstOrDefault(r => r.Workload == workload);
            var theirs = round.FirstOrDefault(e => e.Engine == peer)?.Results.FirstOrDefault(r => r.Workload == workload);
            if (ours is { OpsPerSecond: > 0 } && theirs is { OpsPerSecond: > 0 })
            {
                ratios.Add(ours.OpsPerSecond / theirs.OpsPerSecond);
            }
        }

        return ratios.Count == 0 ? null : new RatioSummary(Stats.Median(ratios), ratios.Min(), ratios.Max(), ratios.Count, peer);
    }

    /// <summary>Builds the per-engine medians of <see cref="RoundRuns"/> into <see cref="Engines"/>.</summary>
    public void Aggregate()
    {
        Engines.Clear();
        var names = RoundRuns.SelectMany(r => r).Select(e => e.Engine).Distinct().ToList();
        foreach (var name in names)
        {
            var runs = RoundRuns.Select(r => r.FirstOrDefault(e => e.Engine == name)).Where(e => e is not null).Select(e => e!).ToList();
            var first = runs.FirstOrDefault(e => e.Available) ?? runs[0];
            var errors = runs.Where(e => e.Error is not null).Select(e => e.Error).Distinct().ToList();
            var merged = new EngineRun
            {
                Engine = name,
                Available = runs.Any(e => e.Available),
                Detail = first.Detail,
                Error = errors.Count == 0 ? null : string.Join("; ", errors),
            };
            var workloads = runs.SelectMany(e => e.Results).Select(r => r.Workload).Distinct().ToList();
            foreach (var workload in workloads)
            {
                var results = runs.SelectMany(e => e.Results).Where(r => r.Workload == workload).ToList();
                merged.Results.Add(MedianOf(results));
            }

            Engines.Add(merged);
        }
    }

    private static WorkloadResult MedianOf(List<WorkloadResult> results)
    {
        var loads = results.SelectMany(r => new[] { r.LoadAverageStart, r.LoadAverageEnd }).Where(l => l is not null).Select(l => l!.Value).ToList();
        var writes = results.Where(r => r.WriteBytes is not null).Select(r => (double)r.WriteBytes!.Value).ToList();
        var first = results[0];
        return first with
        {
            Round = 0,
            Rounds = results.Count,
            Operations = (long)Stats.Median(results.Select(r => (double)r.Operations)),
            Seconds = Stats.Median(results.Select(r => r.Seconds)),
            OpsPerSecond = Stats.Median(results.Select(r => r.OpsPerSecond)),
            OpsPerSecondMin = results.Min(r => r.OpsPerSecond),
            OpsPerSecondMax = results.Max(r => r.OpsPerSecond),
            P50Micros = Stats.Median(results.Select(r => r.P50Micros)),
            P99Micros = Stats.Median(results.Select(r => r.P99Micros)),
            MaxMicros = results.Max(r => r.MaxMicros),
            CpuSeconds = Stats.Median(results.Select(r => r.CpuSeconds)),
            CpuSecondsPerOp = Stats.Median(results.Select(r => r.CpuSecondsPerOp)),
            JitCompilations = (long)Stats.Median(results.Select(r => (double)r.JitCompilations)),
            DiskDeltaBytes = (long)Stats.Median(results.Select(r => (double)r.DiskDeltaBytes)),
            DiskBytesAfter = (long)Stats.Median(results.Select(r => (double)r.DiskBytesAfter)),
            WriteBytes = writes.Count == 0 ? null : (long)Stats.Median(writes),
            PeakRssBytes = (long)Stats.Median(results.Select(r => (double)r.PeakRssBytes)),
            RssAnonymousBytes = results.All(r => r.RssAnonymousBytes is not null) ? (long)Stats.Median(results.Select(r => (double)r.RssAnonymousBytes!.Value)) : null,
            RssFileBytes = results.All(r => r.RssFileBytes is not null) ? (long)Stats.Median(results.Select(r => (double)r.RssFileBytes!.Value)) : null,
            PeakRssScope = results.All(r => r.PeakRssScope == "workload") ? "workload" : "process",
            LoadAverageStart = null,
            LoadAverageEnd = null,
            LoadAverageMin = loads.Count == 0 ? null : loads.Min(),
            LoadAverageMax = loads.Count == 0 ? null : loads.Max(),
        };
    }
}

/// <summary>A ratio over rounds: the median of the per-round ratios, their range, how many rounds, and against whom.</summary>
internal readonly record struct RatioSummary(double Ratio, double Min, double Max, int Rounds, string Peer);

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
