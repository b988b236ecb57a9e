using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.Query.Internal;

internal static partial class LsmRowSource
{
    /// <summary>
    /// The stored rows of a key range or full scan source, undecoded, for the loops that test and aggregate rows as bytes
    /// (<see cref="LsmScanRows"/>): the same plan choice, log event, bounds and limit as <see cref="Rows"/>. Null when no row
    /// can match. The cursor holds the execution's view until it is disposed.
    /// </summary>
    internal static LsmEntryCursor? OpenEntries(
        LsmQueryContext context, LsmSource source, object?[][] candidateValues, out LsmEntityMapping mapping, out LsmAccessPlan plan)
    {
        mapping = context.Database.GetMapping(source.EntityType);
        (plan, var values, var estimates) = Choose(context, mapping, source, candidateValues);
        context.LogPlan(plan, values, source, estimates);

        if (plan.Kind is not (LsmAccessKind.FullScan or LsmAccessKind.KeyRange))
        {
            throw new InvalidOperationException($"The access plan '{plan.Kind}' is not a scan; only scan sources are read undecoded.");
        }

        var limit = plan.HasLimit ? (int?)values[plan.LimitIndex] : null;
        if (limit <= 0
            || KeyBounds(mapping, plan, values) is not var (lower, upper) || lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            return null;
        }

        var view = context.AcquireView();
        try
        {
            return new LsmEntryCursor(context, view.Scan(lower, upper, plan.Reverse, limit));
        }
        catch
        {
            context.ReleaseView();
            throw;
        }
    }

    /// <summary>Whether <see cref="OpenEntries"/> can run every candidate plan of <paramref name="source"/>.</summary>
    internal static bool ScansOnly(LsmSource source) =>
        source.Candidates.All(c => c.Kind is LsmAccessKind.FullScan or LsmAccessKind.KeyRange);
}

/// <summary>A scan's cursor that gives the execution's view back when disposed.</summary>
internal sealed class LsmEntryCursor(LsmQueryContext context, ILsmCursor cursor) : IDisposable
{
    public ReadOnlySpan<byte> Value => cursor.Value;

    public bool MoveNext() => cursor.MoveNext();

    public void Dispose()
    {
        cursor.Dispose();
        context.ReleaseView();
    }
}
