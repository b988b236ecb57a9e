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
}

/// <summary>One row put or delete of a save, with the check that guards it and the entry it came from.</summary>
internal sealed class RowWrite(byte[] key, byte[]? value, RowCheck check, IUpdateEntry? entry, LsmEntityMapping mapping)
{
    public byte[] Key { get; } = key;

    /// <summary>The new row value; null deletes the row.</summary>
    public byte[]? Value { get; } = value;

    public RowCheck Check { get; } = check;

    /// <summary>For <see cref="RowCheck.Unchanged"/>: the store version the transaction read at.</summary>
    public long SinceVersion { get; init; }

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
