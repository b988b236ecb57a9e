using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.DbBench.Workloads;

/// <summary>What a workload needs the database to hold before it starts.</summary>
internal enum DatabaseNeed
{
    /// <summary>An empty, newly created database (the fill workloads).</summary>
    Fresh,

    /// <summary>Every key 0..num-1 present, so reads of existing keys all hit.</summary>
    AllKeys,

    /// <summary>None of the shared database: the workload builds a database of its own (the migration workloads).</summary>
    OwnDatabase,
}

/// <summary>What the database holds between workloads, as far as the runner knows.</summary>
internal enum DatabaseContent
{
    Empty,

    /// <summary>Every key 0..num-1.</summary>
    AllKeys,

    /// <summary>Some keys (random fills, deletes).</summary>
    SomeKeys,
}

/// <summary>What a workload reports: operations done, the time they took, and an optional check ("found 10 of 10").</summary>
internal readonly record struct WorkloadOutcome(long Operations, long ElapsedTicks, string? Note = null, int Passes = 1);

/// <summary>Everything a workload runs against; one per engine run.</summary>
internal sealed class WorkloadContext(IKeyValueStore store, BenchOptions options, ValueSource values)
{
    public IKeyValueStore Store { get; } = store;

    public BenchOptions Options { get; } = options;

    public ValueSource Values { get; } = values;

    public int Num => Options.Num;
}

/// <summary>
/// One measured engine workload (db_bench's group; the EF workloads are <c>Ef.Workloads.EfWorkload</c>, which run on a
/// DbContext rather than a store). Records one latency sample per operation into the histogram it is given.
/// </summary>
internal abstract class Workload
{
    public abstract string Name { get; }

    public abstract string Group { get; }

    public abstract string Description { get; }

    public abstract DatabaseNeed Need { get; }

    /// <summary>What the database holds after this workload, given what it held before.</summary>
    public abstract DatabaseContent After(DatabaseContent before);

    /// <summary>Whether the workload only reads (so it can warm up on the database it is measured on).</summary>
    public virtual bool ReadOnly => false;

    public abstract WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies);
}
