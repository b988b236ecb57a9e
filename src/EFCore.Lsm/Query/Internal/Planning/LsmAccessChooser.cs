using System.Globalization;
using System.Text;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Chooses which candidate access path of a source runs (docs/query_planning.md). Candidates have a fixed rank (fewest rows
/// read first: point get, key list, unique index equality, key range, index equality, index range, full scan); when two or
/// more range candidates (key ranges and index ranges) remain and the best ranked is one of them, the store's estimate of
/// each range's rows (<see cref="Storage.ILsmReadView.ApproximateCount"/>, capped by the limit a candidate carries) picks
/// the smallest instead. A tie, or a best-ranked candidate without an estimate, keeps the rank's choice, so stores with no
/// estimates plan exactly as before.
/// </summary>
internal static class LsmAccessChooser
{
    /// <summary>How many ranges of one candidate (a list of index values) are estimated; the rest are extrapolated from them.</summary>
    public const int MaxRangesEstimated = 16;

    /// <summary>The name a key range candidate has in the plan log's estimates.</summary>
    public const string PrimaryKeyName = "primary key";

    /// <summary>The eligible candidate of lowest rank (the first of equal ranks); <c>int.MaxValue</c> marks one that is not eligible.</summary>
    public static int ByRank(ReadOnlySpan<int> ranks)
    {
        var best = -1;
        var bestRank = int.MaxValue;
        for (var i = 0; i < ranks.Length; i++)
        {
            if (ranks[i] < bestRank)
            {
                (best, bestRank) = (i, ranks[i]);
            }
        }

        return best;
    }

    /// <summary>
    /// The candidate to run: the best by rank, unless it is a range (<paramref name="ranged"/>) with an estimate and another
    /// range has a smaller one; among equal estimates the lower rank, then the earlier candidate, wins.
    /// </summary>
    public static int Choose(ReadOnlySpan<int> ranks, ReadOnlySpan<bool> ranged, ReadOnlySpan<long?> estimates)
    {
        var best = ByRank(ranks);
        if (best < 0 || !ranged[best] || estimates[best] is not { } bestEstimate)
        {
            return best;
        }

        for (var i = 0; i < ranks.Length; i++)
        {
            if (ranged[i] && ranks[i] != int.MaxValue && estimates[i] is { } estimate
                && (estimate < bestEstimate || (estimate == bestEstimate && ranks[i] < ranks[best])))
            {
                (best, bestEstimate) = (i, estimate);
            }
        }

        return best;
    }

    /// <summary>Extrapolates the estimate of <paramref name="total"/> ranges from the sum over the first <paramref name="estimated"/>.</summary>
    public static long Extrapolate(long sum, int estimated, int total) =>
        estimated == 0 || estimated == total ? sum : (long)Math.Round((double)sum * total / estimated);

    /// <summary>
    /// The estimates as the plan log shows them, " (estimated rows: IX_A 10, primary key 570)", or "" when the store gave
    /// none. Called only when the plan is logged.
    /// </summary>
    public static string Describe(LsmAccessPlan[] candidates, long?[]? estimates)
    {
        if (estimates is null || Array.TrueForAll(estimates, e => e is null))
        {
            return "";
        }

        var text = new StringBuilder(" (estimated rows: ");
        var first = true;
        for (var i = 0; i < candidates.Length; i++)
        {
            if (estimates[i] is { } estimate)
            {
                text.Append(first ? "" : ", ").Append(candidates[i].IndexName ?? PrimaryKeyName).Append(' ')
                    .Append(estimate.ToString(CultureInfo.InvariantCulture));
                first = false;
            }
        }

        return text.Append(')').ToString();
    }
}
