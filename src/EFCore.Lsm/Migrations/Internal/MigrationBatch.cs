using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// The entries one migration step writes into a keyspace nothing reads until the catalog switch, buffered and committed in
/// batches. A batch is written as soon as its bytes (<see cref="LsmConditionalBatch.ApproximateSize"/>) reach
/// <c>MigrationBatchBytes</c> or its puts reach the row bound (<c>MigrationBatchRows</c>, capped by the store's operation
/// limit), so a step holds at most one batch plus one entry in memory however large or wide the table is
/// (docs/migrations.md, "Memory"). A store with a request size limit (<see cref="LsmStoreLimits.MaxBytes"/>) gets the
/// batch written before an entry would take it past that limit, which the store would refuse. Each written batch is
/// logged as <c>MigrationBatchWritten</c>, then the step's progress.
/// </summary>
internal sealed class MigrationBatch
{
    private readonly ILsmKeyValueStore _kv;
    private readonly int _maxPuts;
    private readonly long _maxBytes;
    private readonly long? _storeMaxBytes;
    private readonly IDiagnosticsLogger<DbLoggerCategory.Migrations> _logger;
    private readonly string _step;
    private readonly Func<byte[], Exception?, Exception>? _duplicate;
    private readonly LsmConditionalBatch _batch = new();

    // The keys this batch inserts or claims, with what it puts under them: a second row with one of them is a duplicate
    // the store's conditions cannot see (they are checked against committed state, not the batch's own writes).
    private readonly Dictionary<byte[], byte[]> _pending = new(ByteArrayEqualityComparer.Instance);

    /// <param name="kv">The store the batches commit to.</param>
    /// <param name="maxPuts">The most puts per batch.</param>
    /// <param name="maxBytes">The bytes at which a batch is written.</param>
    /// <param name="logger">Where written batches and progress are logged.</param>
    /// <param name="step">What the step writes, e.g. "20250101000000_Rekey: 2/3 AddPrimaryKey on Orders: rows".</param>
    /// <param name="duplicate">
    /// The error for an inserted entry whose key exists (given the value put under it and the store's conflict), or null when
    /// the step inserts nothing.
    /// </param>
    public MigrationBatch(
        ILsmKeyValueStore kv,
        int maxPuts,
        long maxBytes,
        IDiagnosticsLogger<DbLoggerCategory.Migrations> logger,
        string step,
        Func<byte[], Exception?, Exception>? duplicate = null)
    {
        _kv = kv;
        _maxPuts = maxPuts;
        _maxBytes = maxBytes;
        _storeMaxBytes = kv.Limits.MaxBytes;
        _logger = logger;
        _step = step;
        _duplicate = duplicate;
    }

    /// <summary>The rows the step has read so far, which its progress events report.</summary>
    public long Rows { get; set; }

    /// <summary>Puts <paramref name="value"/> under <paramref name="key"/>.</summary>
    public void Put(byte[] key, byte[] value)
    {
        MakeRoom(key.Length + value.Length);
        _batch.Put(key, value);
        WriteIfFull();
    }

    /// <summary>
    /// Puts <paramref name="value"/> under <paramref name="key"/> on condition that the key has no committed value (a
    /// conflict is raised as the step's duplicate error when the batch is written); false, with nothing put, when this
    /// batch already holds the key.
    /// </summary>
    public bool TryInsert(byte[] key, byte[] value)
    {
        if (_pending.ContainsKey(key))
        {
            return false;
        }

        // The condition and the put are written in one batch: room for both first.
        MakeRoom((2L * key.Length) + value.Length);
        _pending.Add(key, value);
        _batch.RequireAbsent(key);
        _batch.Put(key, value);
        WriteIfFull();
        return true;
    }

    /// <summary>Puts <paramref name="value"/> under <paramref name="key"/> and remembers it for <see cref="TryGetPending"/>.</summary>
    public void Claim(byte[] key, byte[] value)
    {
        MakeRoom(key.Length + value.Length);
        _pending[key] = value;
        _batch.Put(key, value);
        WriteIfFull();
    }

    /// <summary>What this batch puts under <paramref name="key"/> by <see cref="TryInsert"/> or <see cref="Claim"/>, if it does.</summary>
    public bool TryGetPending(byte[] key, out byte[] value) => _pending.TryGetValue(key, out value!);

    /// <summary>Writes what is buffered (nothing when empty).</summary>
    public void Flush()
    {
        if (_batch.Operations.Count == 0)
        {
            return;
        }

        var entries = _batch.Operations.Count;
        var bytes = _batch.ApproximateSize;
        try
        {
            _kv.Commit(_batch, sync: false);
        }
        catch (LsmWriteConflictException e) when (_duplicate is not null && e.ConditionIndex < _batch.Conditions.Count)
        {
            throw _duplicate(_pending[_batch.Conditions[e.ConditionIndex].Key], e);
        }

        _batch.Clear();
        _pending.Clear();
        _logger.MigrationBatchWritten(_step, entries, bytes);
        _logger.MigrationOperationProgress($"{_step}: {Rows} rows");
    }

    private void MakeRoom(long entryBytes)
    {
        if (_storeMaxBytes is { } max && _batch.ApproximateSize + entryBytes > max)
        {
            Flush();
        }
    }

    private void WriteIfFull()
    {
        if (_batch.Operations.Count >= _maxPuts || _batch.ApproximateSize >= _maxBytes)
        {
            Flush();
        }
    }
}
