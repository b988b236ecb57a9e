namespace EFCore.Lsm.Storage;

/// <summary>
/// Puts, deletes and the conditions under which they may commit, as one atomic unit of an <see cref="ILsmKeyValueStore"/>
/// (docs/storage_seam.md). Conditions are evaluated against the latest committed state immediately before the batch
/// applies, never against the batch's own writes. Operations apply in the order added; a later operation on the same key
/// wins. Not thread-safe; the store copies what it needs, so a batch can be cleared and reused after a commit returns.
/// </summary>
public sealed class LsmConditionalBatch
{
    private readonly List<LsmBatchOperation> _operations = [];
    private readonly List<LsmBatchCondition> _conditions = [];

    /// <summary>The puts and deletes, in the order added.</summary>
    public IReadOnlyList<LsmBatchOperation> Operations => _operations;

    /// <summary>The conditions, in the order added; <see cref="LsmWriteConflictException.ConditionIndex"/> indexes this list.</summary>
    public IReadOnlyList<LsmBatchCondition> Conditions => _conditions;

    /// <summary>Bytes of keys and values of the operations and conditions.</summary>
    public long ApproximateSize { get; private set; }

    /// <summary>Whether the batch has neither operations nor conditions.</summary>
    public bool IsEmpty => _operations.Count == 0 && _conditions.Count == 0;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> when the batch commits.</summary>
    public void Put(byte[] key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _operations.Add(new LsmBatchOperation(key, value));
        ApproximateSize += key.Length + value.Length;
    }

    /// <summary>Removes <paramref name="key"/> when the batch commits.</summary>
    public void Delete(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _operations.Add(new LsmBatchOperation(key, null));
        ApproximateSize += key.Length;
    }

    /// <summary>Commit only if <paramref name="key"/> has no value: an insert that must not overwrite.</summary>
    public int RequireAbsent(byte[] key) => AddCondition(new LsmBatchCondition(LsmConditionKind.Absent, key, null, 0));

    /// <summary>Commit only if <paramref name="key"/> has a value: an update of an existing row, a reference to a principal.</summary>
    public int RequirePresent(byte[] key) => AddCondition(new LsmBatchCondition(LsmConditionKind.Present, key, null, 0));

    /// <summary>
    /// Commit only if <paramref name="key"/> was not written (put or delete) after <paramref name="version"/>, the
    /// <see cref="ILsmReadView.Version"/> of a view that is still open.
    /// </summary>
    public int RequireUnchangedSince(byte[] key, long version) =>
        AddCondition(new LsmBatchCondition(LsmConditionKind.UnchangedSince, key, null, version));

    /// <summary>
    /// Commit only if no key in [<paramref name="lower"/>, <paramref name="upper"/>) was written after
    /// <paramref name="version"/> (no insert, update or delete in the range: phantom protection for a range read at an
    /// open view). Keep such ranges small: a store may visit every entry written in the range since the version.
    /// </summary>
    public int RequireRangeUnchangedSince(byte[] lower, byte[] upper, long version)
    {
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.AsSpan().SequenceCompareTo(upper) >= 0)
        {
            throw new ArgumentException("The range's lower bound must sort before its upper bound.", nameof(upper));
        }

        return AddCondition(new LsmBatchCondition(LsmConditionKind.RangeUnchangedSince, lower, upper, version));
    }

    /// <summary>Removes every operation and condition.</summary>
    public void Clear()
    {
        _operations.Clear();
        _conditions.Clear();
        ApproximateSize = 0;
    }

    private int AddCondition(LsmBatchCondition condition)
    {
        ArgumentNullException.ThrowIfNull(condition.Key);
        _conditions.Add(condition);
        ApproximateSize += condition.Key.Length + (condition.Upper?.Length ?? 0);
        return _conditions.Count - 1;
    }
}

/// <summary>One put (<see cref="Value"/> set) or delete (<see cref="Value"/> null) of a batch.</summary>
public readonly record struct LsmBatchOperation(byte[] Key, byte[]? Value)
{
    /// <summary>Whether the operation deletes its key (it has no value).</summary>
    public bool IsDelete => Value is null;
}

/// <summary>What a condition of a batch requires.</summary>
public enum LsmConditionKind
{
    /// <summary>The key has no value.</summary>
    Absent,

    /// <summary>The key has a value.</summary>
    Present,

    /// <summary>The key was not written after a version.</summary>
    UnchangedSince,

    /// <summary>No key of a range was written after a version.</summary>
    RangeUnchangedSince,
}

/// <summary>One condition of a batch.</summary>
/// <param name="Kind">What it requires.</param>
/// <param name="Key">The key (for a range, its inclusive lower bound).</param>
/// <param name="Upper">The exclusive upper bound of a range condition; null otherwise.</param>
/// <param name="Version">The version of the "unchanged since" kinds; 0 otherwise.</param>
public readonly record struct LsmBatchCondition(LsmConditionKind Kind, byte[] Key, byte[]? Upper, long Version);
