namespace EFCore.Lsm.Engine.Wal;

/// <summary>
/// Checks that the WAL records replayed continue the history the manifest recorded, so a lost WAL or lost manifest
/// edits are refused instead of leaving a hole (a key written before a later one missing while the later one is
/// there). Sequences are handed out one per entry, without gaps, and every WAL starts where the one before it ended,
/// so the first record replayed must start at or before the manifest's last sequence + 1, and each later one right
/// after the previous one. The one gap a healthy database shows is after a power loss: the unsynced tail of a WAL is
/// gone while the manifest had already recorded a last sequence past it, and the next run continued from the
/// manifest's value, so a record may also start exactly at the manifest's last sequence + 1. With
/// <see cref="LsmOptions.TolerateCorruptedWalRecords"/> skipped records leave gaps on purpose: nothing is checked.
/// </summary>
internal sealed class SequenceContinuity(ulong manifestLastSequence, string manifestName, bool tolerateGaps)
{
    private bool _any;

    /// <summary>The last sequence of the records checked so far (0 before the first).</summary>
    public ulong LastReplayed { get; private set; }

    public void Check(ulong first, ulong count, string walName, long offset)
    {
        var expected = _any ? LastReplayed + 1 : manifestLastSequence + 1;
        var continues = _any
            ? first == expected || (LastReplayed < manifestLastSequence && first == manifestLastSequence + 1)
            : first <= expected;
        if (!continues && !tolerateGaps)
        {
            var missing = first > expected ? $"writes {expected}..{first - 1} are in no file" : "it repeats earlier sequences";
            throw new LsmCorruptionException(
                walName, offset, $"this record starts at sequence {first}, but {(_any ? "the one before it ended at "
                + LastReplayed : $"the manifest {manifestName} ends at {manifestLastSequence}")}: {missing} (a WAL, or "
                + "the manifest's last edits, are missing). Nothing was changed");
        }

        _any = true;
        LastReplayed = Math.Max(LastReplayed, first + count - 1);
    }
}
