using System.Runtime.CompilerServices;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// The write of an <c>ExecuteDelete</c> outside a transaction whose rows have no dependents (docs/bulk_operations.md, "How a
/// delete is written"): each selected row's condition (unchanged since the view), its tombstone and the tombstones of its
/// index entries go straight into one conditional batch, and each deleted row's dependents' range is required unchanged,
/// exactly the batch <see cref="LsmSavePlan"/> builds for these rows, without a plan object per row. Only the indexed and
/// the referenced key columns of a row are decoded. When the dependents' sweep finds an entry in any deleted row's range (a
/// dependent to cascade to, set null, or refuse the delete for), <see cref="TryBuild"/> says so and the caller plans the
/// same rows as a save (<see cref="Writes"/>), whose referential integrity then applies.
/// </summary>
internal sealed class LsmBulkDelete : IDisposable
{
    private readonly LsmEntityMapping _mapping;
    private readonly LsmForeignKeyMapping[] _foreignKeys;
    private readonly object?[] _values;
    private readonly object?[][] _principalValues;
    private readonly LsmConditionalBatch _batch = new();

    // The selected rows in query order, and where each one's operations and conditions start in _batch: the rows are cut
    // into chunks at these boundaries when the store limits a batch. A row's stored value is read into one pooled buffer,
    // decoded there and not kept.
    private readonly List<byte[]> _keys = [];
    private readonly PooledByteBufferWriter _row = new();
    private readonly List<(int Operations, int Conditions)> _starts = [];

    // Per foreign key: the deleted rows' dependent ranges (for the sweep); a foreign key whose dependents are found by a full
    // scan has the whole dependent keyspace as every principal's range, required once per batch (as LsmReferentialIntegrity
    // requires it once per save), so it is not in the rows' conditions but added to each chunk.
    private readonly List<LsmDependentSweep.Target>[] _targets;
    private readonly List<LsmForeignKeyMapping> _wholeKeyspaces = [];
    private readonly HashSet<byte[]> _selected = new(ByteArrayEqualityComparer.Instance);
    private LsmDependentSweep.Results _swept = new();
    private ILsmCursor? _cursor;
    private bool _cursorAtEnd;

    private LsmBulkDelete(LsmEntityMapping mapping, bool enforceForeignKeys)
    {
        _mapping = mapping;
        _foreignKeys = enforceForeignKeys ? [.. mapping.ReferencingForeignKeys] : [];
        _values = new object?[mapping.Indexes.Count == 0 ? 0 : mapping.Indexes.Max(index => index.Columns.Count)];
        _targets = [.. _foreignKeys.Select(_ => new List<LsmDependentSweep.Target>())];
        _principalValues = [.. _foreignKeys.Select(foreignKey => new object?[foreignKey.DependentColumns.Count])];
    }

    /// <summary>
    /// The lean write for rows of <paramref name="mapping"/>, or null where the rows need a save's plan: a unique index still
    /// being built may hold one value for two rows, whose deletes the plan merges.
    /// </summary>
    public static LsmBulkDelete? For(LsmEntityMapping mapping, bool enforceForeignKeys) =>
        mapping.Indexes.Any(index => index.IsUnique && !index.IsReady) ? null : new LsmBulkDelete(mapping, enforceForeignKeys);

    /// <summary>The selected rows as row writes, each read at <paramref name="view"/> (the one they were selected at), for the caller to plan as a save.</summary>
    public List<RowWrite> Writes(ILsmReadView view)
    {
        var writes = new List<RowWrite>(_keys.Count);
        foreach (var key in _keys)
        {
            writes.Add(new RowWrite(key, null, RowCheck.ReadAtView, entry: null, _mapping)
            {
                OldValue = view.Get(key) ?? throw new InvalidOperationException("A row selected at a view is missing from it."),
                SinceVersion = view.Version,
            });
        }

        return writes;
    }

    /// <summary>
    /// Adds the deletes of the rows <paramref name="rows"/> yields (primary key values first; those in
    /// <paramref name="done"/> and repeats skipped) as <paramref name="view"/> has them. False when a row has dependents: the
    /// batch is then not to be committed, and the caller plans <see cref="Writes"/> instead.
    /// </summary>
    public bool TryBuild(ILsmReadView view, IEnumerable<object[]> rows, int keyCount, HashSet<byte[]> done)
    {
        Clear();
        try
        {
            return Build(view, rows, keyCount, done);
        }
        finally
        {
            _cursor?.Dispose();
            _cursor = null;
        }
    }

    // Optimized from the first call: a statement calls it once for all its rows, so tiered compilation would run a whole
    // delete through unoptimized code (as LsmEncodedRowScan says for a scan's per-row methods).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Build(ILsmReadView view, IEnumerable<object[]> rows, int keyCount, HashSet<byte[]> done)
    {
        var ascending = true;
        byte[]? previous = null;
        foreach (var row in rows)
        {
            var key = _mapping.EncodeKey(row.AsSpan(0, keyCount));

            // A query that joins can yield an entity more than once; it is deleted once. While the keys come in ascending
            // order (a key range or a scan) none can repeat, so the set of keys seen is only built once one does not. (The
            // order is of every key the query yields, rows or not: the reading cursor has passed them all.)
            if (ascending && previous is not null && key.AsSpan().SequenceCompareTo(previous) <= 0)
            {
                ascending = false;
                _selected.UnionWith(_keys);
            }

            previous = key;

            if ((done.Count > 0 && done.Contains(key)) || (!ascending && !_selected.Add(key)) || !TryRead(view, key, ascending))
            {
                continue;
            }

            var old = _row.WrittenSpan;
            _starts.Add((_batch.Operations.Count, _batch.Conditions.Count));
            _keys.Add(key);
            _batch.RequireUnchangedSince(key, view.Version);
            _batch.Delete(key);
            foreach (var index in _mapping.Indexes)
            {
                try
                {
                    _batch.Delete(index.EntryKeyOf(key, old, _values));
                }
                catch (LsmInvalidEntityException e)
                {
                    throw new DbUpdateException(e.Message, e);
                }
            }

            for (var f = 0; f < _foreignKeys.Length; f++)
            {
                var foreignKey = _foreignKeys[f];
                if (!LsmDependentSweep.TryTarget(foreignKey, old, out var target, principalKey: false, _principalValues[f]))
                {
                    continue;
                }

                // Phantom protection, as for a save (LsmReferentialIntegrity): a dependent that appears in the range after
                // the view fails the batch, and the statement runs again seeing it.
                if (foreignKey.Access != LsmDependentAccess.FullScan)
                {
                    _batch.RequireRangeUnchangedSince(target.Lower, target.Upper, view.Version);
                }
                else if (!_wholeKeyspaces.Contains(foreignKey))
                {
                    _wholeKeyspaces.Add(foreignKey);
                }

                _targets[f].Add(target);
            }
        }

        var dependents = false;
        for (var f = 0; f < _foreignKeys.Length; f++)
        {
            if (_targets[f].Count > 0)
            {
                var found = LsmDependentSweep.Find(view, _foreignKeys[f], _targets[f]);
                _swept.Add(_foreignKeys[f], _targets[f], found);
                dependents |= Array.Exists(found, entries => entries is not null);
            }
        }

        return !dependents;
    }

    /// <summary>The sweeps of the last <see cref="TryBuild"/>: a plan of <see cref="Writes"/> at the same view reuses them.</summary>
    public LsmDependentSweep.Results Swept => _swept;

    /// <summary>
    /// Reads the stored row <paramref name="key"/> into <see cref="_row"/>; false when the view has none. While the keys come
    /// in ascending order they are read through one cursor that steps from each to the next (a key range's rows are
    /// neighbours: a step costs less than a point read through every level), and reopened at the key when more than
    /// <see cref="LsmDependentSweep.MaxSkippedEntries"/> rows lie between two; otherwise each is a point read.
    /// </summary>
    private bool TryRead(ILsmReadView view, byte[] key, bool ascending)
    {
        _row.Reset();
        if (!ascending)
        {
            _cursor?.Dispose();
            _cursor = null;
            return view.TryGet(key, _row);
        }

        var skipped = 0;
        if (_cursor is null)
        {
            Reopen(view, key);
        }

        while (!_cursorAtEnd)
        {
            var order = _cursor!.Key.SequenceCompareTo(key);
            if (order == 0)
            {
                var value = _cursor.Value;
                value.CopyTo(_row.GetSpan(value.Length));
                _row.Advance(value.Length);
                return true;
            }

            if (order > 0)
            {
                return false;
            }

            if (++skipped > LsmDependentSweep.MaxSkippedEntries)
            {
                Reopen(view, key);
                skipped = 0;
                continue;
            }

            _cursorAtEnd = !_cursor.MoveNext();
        }

        // The cursor ran to the end of the keyspace: no later key has a row either.
        return false;
    }

    private void Reopen(ILsmReadView view, byte[] key)
    {
        _cursor?.Dispose();
        _cursor = view.Scan(key, _mapping.KeyspaceUpperBound);
        _cursorAtEnd = !_cursor.MoveNext();
    }

    /// <summary>Rows selected by the last <see cref="TryBuild"/>.</summary>
    public int Count => _keys.Count;

    /// <summary>
    /// Commits the batch <see cref="TryBuild"/> built: whole, or, when the store limits batches and it does not fit, in chunks
    /// of whole rows in query order, each as large as fits (docs/bulk_operations.md, "Batch limits"). Returns the rows
    /// committed (added to <paramref name="done"/>) and, when a chunk's rows or dependents' ranges changed since
    /// <paramref name="view"/>, the exception to raise if the caller stops retrying.
    /// </summary>
    public (int Written, Exception? Failure) Commit(
        ILsmKeyValueStore store, ILsmReadView view, bool sync, HashSet<byte[]> done, Func<LsmBatchTooLargeException, Exception> tooLarge)
    {
        var limits = store.Limits;
        var (sharedCount, sharedBytes) = (_wholeKeyspaces.Count, 0L);
        foreach (var foreignKey in _wholeKeyspaces)
        {
            sharedBytes += foreignKey.Dependent.KeyspaceLowerBound.Length + foreignKey.Dependent.KeyspaceUpperBound.Length;
        }

        var written = 0;
        var first = 0;
        while (first < _keys.Count)
        {
            var end = _keys.Count;
            LsmConditionalBatch chunk;
            if (first == 0 && Fits(_batch.Operations.Count + _batch.Conditions.Count + sharedCount, _batch.ApproximateSize + sharedBytes, limits))
            {
                chunk = _batch;
            }
            else
            {
                // As many whole rows as fit; a row that alone does not fit is a chunk of its own, which the store refuses.
                var (count, bytes) = (sharedCount, sharedBytes);
                end = first;
                while (end < _keys.Count)
                {
                    var (rowCount, rowBytes) = CostOf(end);
                    if (end > first && !Fits(count + rowCount, bytes + rowBytes, limits))
                    {
                        break;
                    }

                    (count, bytes) = (count + rowCount, bytes + rowBytes);
                    end++;
                }

                chunk = Slice(first, end);
            }

            foreach (var foreignKey in _wholeKeyspaces)
            {
                chunk.RequireRangeUnchangedSince(foreignKey.Dependent.KeyspaceLowerBound, foreignKey.Dependent.KeyspaceUpperBound, view.Version);
            }

            try
            {
                store.Commit(chunk, sync);
            }
            catch (LsmBatchTooLargeException e)
            {
                throw tooLarge(e);
            }
            catch (LsmWriteConflictException conflict)
            {
                return (written, Failure(chunk.Conditions[conflict.ConditionIndex], conflict));
            }

            for (var i = first; i < end; i++)
            {
                done.Add(_keys[i]);
            }

            written += end - first;
            first = end;
        }

        return (written, null);
    }

    private static bool Fits(int operationsAndConditions, long bytes, LsmStoreLimits limits) =>
        (limits.MaxOperations is not { } operations || operationsAndConditions <= operations)
        && (limits.MaxBytes is not { } maxBytes || bytes <= maxBytes);

    /// <summary>The operations and conditions of row <paramref name="row"/>, and their bytes (as a batch counts them).</summary>
    private (int Count, long Bytes) CostOf(int row)
    {
        var (operations, conditions) = _starts[row];
        var (operationsEnd, conditionsEnd) = Start(row + 1);
        long bytes = 0;
        for (var i = operations; i < operationsEnd; i++)
        {
            bytes += _batch.Operations[i].Key.Length;
        }

        for (var i = conditions; i < conditionsEnd; i++)
        {
            bytes += _batch.Conditions[i].Key.Length + (_batch.Conditions[i].Upper?.Length ?? 0);
        }

        return (operationsEnd - operations + conditionsEnd - conditions, bytes);
    }

    private (int Operations, int Conditions) Start(int row) =>
        row < _starts.Count ? _starts[row] : (_batch.Operations.Count, _batch.Conditions.Count);

    /// <summary>A batch of the operations and conditions of rows [<paramref name="first"/>, <paramref name="end"/>).</summary>
    private LsmConditionalBatch Slice(int first, int end)
    {
        var chunk = new LsmConditionalBatch();
        for (var i = Start(first).Operations; i < Start(end).Operations; i++)
        {
            chunk.Delete(_batch.Operations[i].Key);
        }

        for (var i = Start(first).Conditions; i < Start(end).Conditions; i++)
        {
            var condition = _batch.Conditions[i];
            if (condition.Kind == LsmConditionKind.UnchangedSince)
            {
                chunk.RequireUnchangedSince(condition.Key, condition.Version);
            }
            else
            {
                chunk.RequireRangeUnchangedSince(condition.Key, condition.Upper!, condition.Version);
            }
        }

        return chunk;
    }

    /// <summary>The exception a failed condition raises when the statement stops retrying, as a save's plan words it.</summary>
    private Exception Failure(LsmBatchCondition condition, LsmWriteConflictException conflict)
    {
        if (condition.Kind == LsmConditionKind.RangeUnchangedSince)
        {
            foreach (var foreignKey in _foreignKeys)
            {
                var prefix = foreignKey.DependentIndex?.KeyspaceLowerBound ?? foreignKey.Dependent.KeyspaceLowerBound;
                if (condition.Key.AsSpan().StartsWith(prefix))
                {
                    return LsmSaveErrors.KeptChanging(
                        $"the '{foreignKey.Dependent.EntityType.DisplayName()}' rows that reference the deleted "
                        + $"'{foreignKey.Principal.EntityType.DisplayName()}'",
                        conflict,
                        []);
                }
            }
        }

        return LsmSaveErrors.KeptChanging($"the '{_mapping.EntityType.DisplayName()}' rows it read", conflict, []);
    }

    public void Dispose() => _row.Dispose();

    private void Clear()
    {
        _batch.Clear();
        _keys.Clear();
        _starts.Clear();
        _wholeKeyspaces.Clear();
        _selected.Clear();
        _swept = new();
        foreach (var targets in _targets)
        {
            targets.Clear();
        }
    }
}
