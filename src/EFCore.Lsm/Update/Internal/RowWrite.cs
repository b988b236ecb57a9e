using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>What must hold for a row write to commit, checked against the latest committed state when the batch commits.</summary>
internal enum RowCheck
{
    /// <summary>An insert: no row may have the key.</summary>
    MustBeAbsent,

    /// <summary>An update or delete: the row must exist, and its concurrency tokens must equal the entry's original values.</summary>
    MustExist,

    /// <summary>
    /// A transaction's write: the row must not have been written by anyone since the transaction's view
    /// (<see cref="RowWrite.SinceVersion"/>).
    /// </summary>
    Unchanged,

    /// <summary>
    /// A write the provider derived from a row it read at the save's view — a dependent a delete cascades to or sets null,
    /// a row an <c>ExecuteDelete</c>/<c>ExecuteUpdate</c> selected: <see cref="RowWrite.OldValue"/> is that row, and it must
    /// not have been written since <see cref="RowWrite.SinceVersion"/> (else the save is planned again at a newer view).
    /// </summary>
    ReadAtView,
}

/// <summary>One row put or delete of a save, with the check that guards it and the entry it came from.</summary>
internal sealed class RowWrite(byte[] key, byte[]? value, RowCheck check, IUpdateEntry? entry, LsmEntityMapping mapping)
{
    public byte[] Key { get; } = key;

    /// <summary>The new row value; null deletes the row.</summary>
    public byte[]? Value { get; } = value;

    public RowCheck Check { get; } = check;

    /// <summary>For <see cref="RowCheck.Unchanged"/> and <see cref="RowCheck.ReadAtView"/>: the store version the row was read at.</summary>
    public long SinceVersion { get; init; }

    /// <summary>For <see cref="RowCheck.ReadAtView"/>: the row as it was read (never null: the write is derived from it).</summary>
    public byte[]? OldValue { get; init; }

    /// <summary>
    /// Why the provider wrote this row when no entry asked for it (a cascade, <c>ExecuteUpdate</c>), for messages; null for
    /// an entry's own write.
    /// </summary>
    public string? Cause { get; init; }

    public IUpdateEntry? Entry { get; } = entry;

    /// <summary>
    /// The entry whose original concurrency token values the stored row must match: the entry itself, or for an insert
    /// that replaces a deleted entity with the same key, the deleted one.
    /// </summary>
    public IUpdateEntry? TokenEntry { get; init; } = entry;

    /// <summary>Whether the check compares concurrency tokens (which needs the stored row, read before the commit).</summary>
    public bool ChecksTokens => Check == RowCheck.MustExist && TokenEntry is not null && Mapping.HasConcurrencyTokens(TokenEntry.EntityType);

    /// <summary>For an insert: the values of its generated integer key parts, which their generators must pass.</summary>
    public IReadOnlyList<(LsmEntityMapping.PropertyMapping Key, long Value)> GeneratedKeyValues { get; init; } = [];

    public LsmEntityMapping Mapping { get; } = mapping;
}
