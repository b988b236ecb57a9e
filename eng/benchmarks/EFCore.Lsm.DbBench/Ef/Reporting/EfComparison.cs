using System.Globalization;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Workloads;
using EFCore.Lsm.DbBench.Running;

namespace EFCore.Lsm.DbBench.Ef.Reporting;

/// <summary>A throughput target for EF Core + EFCore.Lsm against one peer provider on one workload.</summary>
internal sealed record EfTarget(string Workload, string Peer, double MinimumRatio, string What);

/// <summary>EF Core + EFCore.Lsm against each peer provider, from the same run: throughput ratios and the targets they are held to.</summary>
internal static class EfComparison
{
    public static IReadOnlyList<EfTarget> Targets { get; } =
    [
        new(EfWorkloads.BulkInsert, EfProviderCatalog.Sqlite, 3.0, "bulk insert"),
        new(EfWorkloads.BulkInsert, EfProviderCatalog.InMemory, 0.8, "bulk insert"),
        new(EfWorkloads.Find, EfProviderCatalog.Sqlite, 1.5, "primary-key lookup, tracking"),
        new(EfWorkloads.FindNoTracking, EfProviderCatalog.Sqlite, 1.5, "primary-key lookup, no tracking"),
        new(EfWorkloads.InsertSyncPrefix + "8", EfProviderCatalog.Sqlite, 4.0, "durable single-entity saves from 8 contexts"),
        new(EfWorkloads.Indexed, EfProviderCatalog.Sqlite, 1.5, "query on a non-key indexed column"),
        new(EfWorkloads.Include, EfProviderCatalog.Sqlite, 1.5, "Include of a customer's orders, by customer key"),
        new(EfWorkloads.Join, EfProviderCatalog.Sqlite, 1.5, "join of a customer and its orders, filtered on the customer key"),
        new(EfWorkloads.ExecuteDelete, EfProviderCatalog.Sqlite, 2.0, "ExecuteDelete of 10% of the rows"),
    ];

    /// <summary>
    /// lsm's ops/s divided by <paramref name="peer"/>'s on <paramref name="workload"/>: the median of the per-round ratios
    /// and their range; null when either did not run it.
    /// </summary>
    public static RatioSummary? Ratio(BenchReport report, string workload, string peer)
        => report.Ratio(EfProviderCatalog.Lsm, peer, workload);

    /// <summary>"3.10 sqlite, 0.85 inmemory": lsm / each peer that ran <paramref name="workload"/> (medians over rounds).</summary>
    public static string Describe(BenchReport report, string workload)
        => string.Join(", ", EfProviderCatalog.Peers
            .Select(peer => Ratio(report, workload, peer) is { } ratio ? ratio.Ratio.ToString("F2", CultureInfo.InvariantCulture) + " " + peer : null)
            .Where(text => text is not null));

    /// <summary>One line per target whose workload and peer both ran: the ratio, the target, met or missed.</summary>
    public static List<string> TargetLines(BenchReport report)
    {
        var lines = new List<string>();
        foreach (var target in Targets)
        {
            if (Ratio(report, target.Workload, target.Peer) is { } ratio)
            {
                var verdict = ratio.Ratio >= target.MinimumRatio ? "met" : "missed";
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{target.What} ({target.Workload}): lsm/{target.Peer} {ratio.Ratio:F2} (rounds {ratio.Min:F2}-{ratio.Max:F2}), " +
                    $"target >= {target.MinimumRatio:F1}: {verdict}"));
            }
        }

        return lines;
    }
}
