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

    /// <summary>"workload" when the peak was reset before this workload, "process" when it is the process's peak so far.</summary>
    public required string PeakRssScope { get; init; }

    /// <summary>Set when the runner first had to load the database (unmeasured fillseq) or other context.</summary>
    public string? Preparation { get; init; }

    /// <summary>The workload's own check, such as "1000 of 1000 found".</summary>
    public string? Note { get; init; }
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

/// <summary>Everything one harness invocation measured.</summary>
internal sealed record BenchReport
{
    public required BenchOptions Options { get; init; }

    public required IReadOnlyList<string> CommandLine { get; init; }

    public required List<EngineRun> Engines { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public string? ResultsFolder { get; set; }

    /// <summary>The result for (engine, workload), or null when that engine did not run it.</summary>
    public WorkloadResult? Find(string engine, string workload)
        => Engines.FirstOrDefault(e => e.Engine == engine)?.Results.FirstOrDefault(r => r.Workload == workload);

    /// <summary>
    /// Our throughput divided by the best peer's on <paramref name="workload"/> (above 1: ours is faster), with the
    /// peer's name; null when ours or every peer is missing.
    /// </summary>
    public (double Ratio, string Peer)? RatioToBestPeer(string workload)
    {
        var ours = Find(Stores.StoreCatalog.Ours, workload);
        var best = Engines
            .Where(e => Stores.StoreCatalog.IsPeer(e.Engine))
            .Select(e => e.Results.FirstOrDefault(r => r.Workload == workload))
            .Where(r => r is not null && r.OpsPerSecond > 0)
            .MaxBy(r => r!.OpsPerSecond);
        if (ours is null || best is null || ours.OpsPerSecond <= 0)
        {
            return null;
        }

        return (ours.OpsPerSecond / best.OpsPerSecond, best.Engine);
    }
}
