using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Diagnostics;

/// <summary>
/// The payload of <see cref="LsmEventId.MigrationBatchWritten"/>: one batch a migration step committed, with the number of
/// entries it held and their bytes, which is what the migration held in memory for it.
/// </summary>
public sealed class LsmMigrationBatchEventData : EventData
{
    /// <summary>Creates the payload; the provider does, when a migration writes a batch.</summary>
    /// <param name="eventDefinition">The event's definition.</param>
    /// <param name="messageGenerator">Builds the log message from the definition and this payload.</param>
    /// <param name="step">The migration step and what it writes, e.g. "20250101000000_Rekey: 2/3 AddPrimaryKey on Orders: rows".</param>
    /// <param name="entries">The puts the batch held (rows or index entries).</param>
    /// <param name="bytes">The bytes of the batch's keys, values and conditions (<c>LsmConditionalBatch.ApproximateSize</c>).</param>
    public LsmMigrationBatchEventData(
        EventDefinitionBase eventDefinition,
        Func<EventDefinitionBase, EventData, string> messageGenerator,
        string step,
        int entries,
        long bytes)
        : base(eventDefinition, messageGenerator)
    {
        Step = step;
        Entries = entries;
        Bytes = bytes;
    }

    /// <summary>The migration step and what it writes, e.g. "20250101000000_Rekey: 2/3 AddPrimaryKey on Orders: rows".</summary>
    public string Step { get; }

    /// <summary>The puts the batch held (rows or index entries).</summary>
    public int Entries { get; }

    /// <summary>The bytes of the batch's keys, values and conditions.</summary>
    public long Bytes { get; }
}
