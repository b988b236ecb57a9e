using EFCore.Lsm.DbBench.Ef.Model;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Ef.Workloads;

/// <summary>Everything an EF workload runs against; one per provider run.</summary>
internal sealed class EfWorkloadContext(IEfProvider provider, BenchOptions options, BenchData data)
{
    private int _nextNewId = options.EfNum;

    public IEfProvider Provider { get; } = provider;

    public BenchOptions Options { get; } = options;

    public BenchData Data { get; } = data;

    /// <summary>Customers 0..EfNum-1 are the seeded rows.</summary>
    public int Num => Options.EfNum;

    /// <summary>A key no row has had in this database: new rows get keys above the seeded ones (thread-safe).</summary>
    public int NextNewId() => Interlocked.Increment(ref _nextNewId) - 1;

    /// <summary>
    /// Set while the runner warms a repeatable workload up: its Run is then one short pass (a fiftieth of the operations,
    /// at least 2), however long --ef-min-seconds asks the measured run to last.
    /// </summary>
    public bool SinglePass { get; set; }

    /// <summary>Called when the database is recreated: its keys start over.</summary>
    public void ResetNewIds() => Volatile.Write(ref _nextNewId, Options.EfNum);
}

/// <summary>
/// One measured EF workload: what an application does through a DbContext, the same LINQ and the same rows on every
/// provider. Records one latency sample per operation (per SaveChanges for the bulk insert).
/// </summary>
internal abstract class EfWorkload
{
    public abstract string Name { get; }

    public string Group => EfWorkloads.Group;

    public abstract string Description { get; }

    public abstract DatabaseNeed Need { get; }

    /// <summary>
    /// Whether the workload repeats whole passes for --ef-min-seconds (queries and updates): such a workload leaves the
    /// database as it found it apart from values, so it also warms up on the database it is measured on.
    /// </summary>
    public virtual bool Repeatable => false;

    /// <summary>What the database holds after this workload, given what it held before.</summary>
    public abstract DatabaseContent After(DatabaseContent before);

    /// <summary>
    /// Unmeasured set-up of a workload that builds its own database (<see cref="DatabaseNeed.OwnDatabase"/>), run just before
    /// it; returns what the report says it did, or null.
    /// </summary>
    public virtual string? Prepare(EfWorkloadContext context) => null;

    /// <summary>Unmeasured work after the workload: checking what it left, removing its own database.</summary>
    public virtual void Finish(EfWorkloadContext context)
    {
    }

    public abstract WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies);
}

/// <summary>The EF workloads by name (the "ef" group of --benchmarks).</summary>
internal static class EfWorkloadCatalog
{
    /// <summary>The workload called <paramref name="name"/>; throws <see cref="BenchArgumentException"/> naming the known ones.</summary>
    public static EfWorkload Create(string name)
        => EfWorkloads.TryCreate(name)
           ?? throw new BenchArgumentException(
               $"Unknown EF benchmark '{name}' in --benchmarks; known: {string.Join(", ", [.. EfWorkloads.Names, .. EfWorkloads.OptInNames])} (ef-insertsyncN = N contexts).");
}
