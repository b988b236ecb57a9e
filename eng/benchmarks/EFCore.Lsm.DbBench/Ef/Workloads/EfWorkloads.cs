using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using EFCore.Lsm.DbBench.Ef.Model;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Workloads;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.DbBench.Ef.Workloads;

/// <summary>
/// The EF Core workloads: what an application does through a DbContext. Each runs the same LINQ over the same seeded
/// customers on every provider; the notes they print (rows found, sums) must therefore agree between providers.
/// </summary>
internal static class EfWorkloads
{
    public const string Group = "ef";

    public const string BulkInsert = "ef-bulkinsert";
    public const string Find = "ef-find";
    public const string FindNoTracking = "ef-find-notrack";
    public const string Range = "ef-range";
    public const string Scan = "ef-scan";
    public const string Count = "ef-count";
    public const string Sum = "ef-sum";
    public const string Update = "ef-update";
    public const string Delete = "ef-delete";
    public const string Indexed = "ef-indexed";
    public const string Include = "ef-include";
    public const string Join = "ef-join";
    public const string ExecuteDelete = "ef-executedelete";
    public const string InsertSyncPrefix = "ef-insertsync";
    public const string ShortLived = "ef-shortlived";
    public const string Rekey = "ef-rekey";

    /// <summary>Entities per SaveChanges in the bulk insert (and in the unmeasured load).</summary>
    public const int BulkBatchSize = 1000;

    /// <summary>Rows the key-range query takes.</summary>
    public const int RangeTake = 100;

    public static IReadOnlyList<string> Names { get; } =
        [BulkInsert, Find, FindNoTracking, Range, Scan, Count, Sum, Indexed, Include, Join, Update, InsertSyncPrefix, InsertSyncPrefix + "8", ShortLived, Delete, ExecuteDelete];

    /// <summary>
    /// Workloads that run only when --benchmarks names them: ef-rekey runs on lsm and sqlite only, and loads --ef-num rows of
    /// its own.
    /// </summary>
    public static IReadOnlyList<string> OptInNames { get; } = [Rekey];

    public static bool IsEfWorkload(string name) => name.StartsWith("ef-", StringComparison.Ordinal);

    public static EfWorkload? TryCreate(string name) => name switch
    {
        BulkInsert => new BulkInsertWorkload(),
        Find => new FindWorkload(Find, tracking: true),
        FindNoTracking => new FindWorkload(FindNoTracking, tracking: false),
        Range => new RangeWorkload(),
        Scan => new ScanWorkload(),
        Count => new AggregateWorkload(Count),
        Sum => new AggregateWorkload(Sum),
        Update => new UpdateWorkload(),
        Delete => new DeleteWorkload(),
        Indexed => new IndexedWorkload(),
        Include => new OrdersWorkload(Include, "Where(Id == k).Include(c => c.Orders).Single(), AsNoTracking: a customer with its orders (--ef-ops queries)",
            (db, key) => db.Customers.AsNoTracking().Where(c => c.Id == key).Include(c => c.Orders).Single().Orders.Count),
        Join => new OrdersWorkload(Join, "from c in Customers where c.Id == k join o in Orders on c.Id equals o.CustomerId select (c.Name, o.Amount) (--ef-ops queries)",
            (db, key) => (from c in db.Customers where c.Id == key join o in db.Orders on c.Id equals o.CustomerId select new { c.Name, o.Amount }).ToList().Count),
        ExecuteDelete => new ExecuteDeleteWorkload(),
        ShortLived => new ShortLivedContextWorkload(),
        Rekey => new RekeyMigrationWorkload(),
        _ when name.StartsWith(InsertSyncPrefix, StringComparison.Ordinal) && TryParseContexts(name, out var contexts)
            => new InsertSyncWorkload(name, contexts),
        _ => null,
    };

    /// <summary>Inserts customers 0..count-1 with one SaveChanges per <see cref="BulkBatchSize"/>, one latency sample each.</summary>
    internal static void InsertSeededRows(EfWorkloadContext context, int count, LatencyHistogram? latencies)
    {
        using var db = context.Provider.CreateContext(durable: false);
        var batch = new List<BenchCustomer>(BulkBatchSize);
        for (var first = 0; first < count; first += BulkBatchSize)
        {
            batch.Clear();
            for (var id = first; id < Math.Min(count, first + BulkBatchSize); id++)
            {
                batch.Add(context.Data.Customer(id));
            }

            var t0 = Stopwatch.GetTimestamp();
            db.Customers.AddRange(batch);
            db.SaveChanges();
            db.ChangeTracker.Clear();
            latencies?.Record(Stopwatch.GetTimestamp() - t0);
        }
    }

    // "ef-insertsync" is one context; "ef-insertsyncN" is N contexts on N threads.
    private static bool TryParseContexts(string name, out int contexts)
    {
        var suffix = name.AsSpan(InsertSyncPrefix.Length);
        if (suffix.IsEmpty)
        {
            contexts = 1;
            return true;
        }

        return int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out contexts) && contexts is >= 1 and <= 256;
    }

    /// <summary>
    /// Runs <paramref name="operations"/> operations as one pass; a <paramref name="repeatable"/> workload then runs more
    /// whole passes until --ef-min-seconds have passed, so a short workload is not decided by the JIT's first tiers. The
    /// note describes the first pass (the same work on every provider); ops/s counts every pass.
    /// </summary>
    private static WorkloadOutcome Repeat(
        EfWorkloadContext context, int operations, LatencyHistogram latencies, Action<int> operation, Func<string> note, bool repeatable = true)
    {
        var minimum = repeatable && !context.SinglePass ? (long)(context.Options.EfMinSeconds * Stopwatch.Frequency) : 0;
        if (context.SinglePass)
        {
            // A warm-up pass is a fiftieth of a measured one (10,000 lookups: 200; 20 scans: 2), so the warm-up sees
            // when the JIT goes quiet to within a short pass rather than a pass of many seconds.
            operations = Math.Min(operations, Math.Max(2, operations / 50));
        }

        var start = Stopwatch.GetTimestamp();
        string? firstPassNote = null;
        var passes = 0;
        do
        {
            for (var i = 0; i < operations; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                operation(i);
                latencies.Record(Stopwatch.GetTimestamp() - t0);
            }

            firstPassNote ??= note();
            passes++;
        }
        while (Stopwatch.GetTimestamp() - start < minimum);

        var elapsed = Stopwatch.GetTimestamp() - start;
        return new WorkloadOutcome((long)operations * passes, elapsed, firstPassNote, passes);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Bulk insert: EfNum new customers into an empty table, SaveChanges per 1,000; ops are entities.</summary>
    private sealed class BulkInsertWorkload : EfWorkload
    {
        public override string Name => BulkInsert;

        public override string Description => "insert --ef-num customers into an empty table, one SaveChanges per 1,000 (not synced)";

        public override DatabaseNeed Need => DatabaseNeed.Fresh;

        public override DatabaseContent After(DatabaseContent before) => DatabaseContent.AllKeys;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            var start = Stopwatch.GetTimestamp();
            InsertSeededRows(context, context.Num, latencies);
            var elapsed = Stopwatch.GetTimestamp() - start;
            return new WorkloadOutcome(context.Num, elapsed,
                Invariant($"{context.Num} entities in {latencies.Count} SaveChanges; latencies are per SaveChanges"));
        }
    }

    /// <summary>Point lookup by primary key of a random existing customer, tracking (change tracker cleared after each) or not.</summary>
    private sealed class FindWorkload(string name, bool tracking) : EfWorkload
    {
        public override string Name => name;

        public override string Description => tracking
            ? "query one random customer by primary key, tracked (the tracker is cleared after each, as a new unit of work)"
            : "query one random customer by primary key with AsNoTracking";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, name));
            var num = context.Num;
            var found = 0;
            var operations = context.Options.EfOps;
            return Repeat(context, operations, latencies, _ =>
            {
                var id = (int)generator.NextIndex(num);
                BenchCustomer? customer;
                if (tracking)
                {
                    customer = db.Customers.FirstOrDefault(c => c.Id == id);
                    db.ChangeTracker.Clear();
                }
                else
                {
                    customer = db.Customers.AsNoTracking().FirstOrDefault(c => c.Id == id);
                }

                if (customer is not null && customer.Id == id)
                {
                    found++;
                }
            }, () => Invariant($"{found} of {operations} found"));
        }
    }

    /// <summary>Key-range query: the 100 customers from a random key on, in key order, not tracked.</summary>
    private sealed class RangeWorkload : EfWorkload
    {
        public override string Name => Range;

        public override string Description => "Where(Id >= random).OrderBy(Id).Take(100), AsNoTracking";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, Name));
            var starts = Math.Max(1, context.Num - RangeTake);
            long rows = 0;
            long outOfOrder = 0;
            var operations = context.Options.EfOps;
            return Repeat(context, operations, latencies, _ =>
            {
                var from = (int)generator.NextIndex(starts);
                var page = db.Customers.AsNoTracking().Where(c => c.Id >= from).OrderBy(c => c.Id).Take(RangeTake).ToList();
                rows += page.Count;
                for (var i = 0; i < page.Count; i++)
                {
                    if (page[i].Id < from || (i > 0 && page[i].Id <= page[i - 1].Id))
                    {
                        outOfOrder++;
                    }
                }
            }, () => Invariant($"{rows} rows ({rows / (double)operations:F1} per query), {outOfOrder} out of range or order"));
        }
    }

    /// <summary>Full scan with a filter on non-key columns (no index helps), materialising the matches untracked.</summary>
    private sealed class ScanWorkload : EfWorkload
    {
        public override string Name => Scan;

        public override string Description => "Where(City == c && Balance >= 500).ToList(), AsNoTracking: a full scan (--ef-scans queries)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            long rows = 0;
            return Repeat(context, context.Options.EfScans, latencies, i =>
            {
                var city = BenchData.Cities[i % BenchData.Cities.Count];
                rows += db.Customers.AsNoTracking()
                    .Where(c => c.City == city && c.Balance >= BenchData.ScanMinimumBalance)
                    .ToList()
                    .Count;
            }, () => Invariant($"{rows} rows matched"));
        }
    }

    /// <summary>Count (ef-count) or Sum of Balance (ef-sum) over the customers of one city: a full scan aggregated by the provider.</summary>
    private sealed class AggregateWorkload(string name) : EfWorkload
    {
        public override string Name => name;

        public override string Description => name == Count
            ? "Count(City == c): a full scan counted by the provider (--ef-scans queries)"
            : "Where(City == c).Sum(Balance): a full scan aggregated by the provider (--ef-scans queries)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            long count = 0;
            decimal sum = 0;
            return Repeat(context, context.Options.EfScans, latencies, i =>
            {
                var city = BenchData.Cities[i % BenchData.Cities.Count];
                if (name == Count)
                {
                    count += db.Customers.Count(c => c.City == city);
                }
                else
                {
                    sum += db.Customers.Where(c => c.City == city).Sum(c => c.Balance);
                }
            }, () => name == Count ? Invariant($"{count} counted") : Invariant($"sum {sum:F2}"));
        }
    }

    /// <summary>Equality on the indexed Region column, materialising the matches untracked (about 1 in 256 rows).</summary>
    private sealed class IndexedWorkload : EfWorkload
    {
        public override string Name => Indexed;

        public override string Description => "Where(Region == r).ToList(), AsNoTracking: equality on the indexed column (--ef-ops queries)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, Name));
            long rows = 0;
            return Repeat(context, context.Options.EfOps, latencies, _ =>
            {
                var region = BenchData.RegionName((int)generator.NextIndex(BenchData.RegionCount));
                rows += db.Customers.AsNoTracking().Where(c => c.Region == region).ToList().Count;
            }, () => Invariant($"{rows} rows matched"));
        }
    }

    /// <summary>
    /// Queries of a random customer (among those with orders) and its orders, through <paramref name="query"/> (which returns
    /// the orders found). Seeds the orders first and removes them after (neither measured), so the other workloads see the
    /// customers alone.
    /// </summary>
    private sealed class OrdersWorkload(string name, string description, Func<BenchDbContext, int, int> query) : EfWorkload
    {
        public override string Name => name;

        public override string Description => description;

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            var customers = Math.Min(context.Num, BenchData.CustomersWithOrders);
            SeedOrders(context, customers * BenchData.OrdersPerCustomer);
            try
            {
                using var db = context.Provider.CreateContext(durable: false);
                var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, Name));
                long orders = 0;
                return Repeat(context, context.Options.EfOps, latencies, _ =>
                {
                    orders += query(db, (int)generator.NextIndex(customers));
                }, () => Invariant($"{orders} orders found"));
            }
            finally
            {
                using var db = context.Provider.CreateContext(durable: false);
                if (db.Database.IsInMemory())
                {
                    db.Orders.RemoveRange(db.Orders.ToList());
                    db.SaveChanges();
                }
                else
                {
                    db.Orders.ExecuteDelete();
                }
            }
        }

        private static void SeedOrders(EfWorkloadContext context, int count)
        {
            using var db = context.Provider.CreateContext(durable: false);
            for (var first = 0; first < count; first += BulkBatchSize)
            {
                for (var id = first; id < Math.Min(count, first + BulkBatchSize); id++)
                {
                    db.Orders.Add(BenchData.Order(id));
                }

                db.SaveChanges();
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// One ExecuteDelete of a tenth of the customers, a key range (Id in [num/2, num/2 + num/10)); ops are rows deleted.
    /// EF InMemory has no ExecuteDelete: it loads the rows and deletes them with one SaveChanges (said in the description).
    /// </summary>
    private sealed class ExecuteDeleteWorkload : EfWorkload
    {
        public override string Name => ExecuteDelete;

        public override string Description =>
            "Where(Id >= num/2 && Id < num/2 + num/10).ExecuteDelete(): 10% of the rows in one statement (not synced; "
            + "InMemory, which has no ExecuteDelete, loads them and deletes them in one SaveChanges)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => DatabaseContent.SomeKeys;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            var from = context.Num / 2;
            var to = from + Math.Max(1, context.Num / 10);
            var inMemory = db.Database.IsInMemory();
            var t0 = Stopwatch.GetTimestamp();
            int deleted;
            if (inMemory)
            {
                db.Customers.RemoveRange(db.Customers.Where(c => c.Id >= from && c.Id < to).ToList());
                deleted = db.SaveChanges();
            }
            else
            {
                deleted = db.Customers.Where(c => c.Id >= from && c.Id < to).ExecuteDelete();
            }

            var elapsed = Stopwatch.GetTimestamp() - t0;
            latencies.Record(elapsed);
            var left = db.Customers.Count(c => c.Id >= from && c.Id < to);
            return new WorkloadOutcome(deleted, elapsed,
                Invariant($"{deleted} rows deleted, {left} left in the range"));
        }
    }

    /// <summary>Update of a random customer: tracked query by key, change one property, SaveChanges (not synced).</summary>
    private sealed class UpdateWorkload : EfWorkload
    {
        public override string Name => Update;

        public override string Description => "load a random customer by key (tracked), Balance += 1, SaveChanges (not synced)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override bool Repeatable => true;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            using var db = context.Provider.CreateContext(durable: false);
            var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, Name));
            var num = context.Num;
            var saved = 0;
            return Repeat(context, context.Options.EfOps, latencies, _ =>
            {
                var id = (int)generator.NextIndex(num);
                var customer = db.Customers.First(c => c.Id == id);
                customer.Balance += 1m;
                saved += db.SaveChanges();
                db.ChangeTracker.Clear();
            }, () => Invariant($"{saved} rows saved"));
        }
    }

    /// <summary>Delete of distinct random existing customers by key (a key-only stub, SaveChanges each, not synced).</summary>
    private sealed class DeleteWorkload : EfWorkload
    {
        public override string Name => Delete;

        public override string Description => "Remove(stub with a random existing key) + SaveChanges, distinct keys (not synced)";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => DatabaseContent.SomeKeys;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            var num = context.Num;
            var operations = Math.Min(context.Options.EfOps, num);

            // The first `operations` entries of a seeded partial Fisher-Yates shuffle: distinct keys, each deleted once.
            var keys = new int[num];
            for (var i = 0; i < num; i++)
            {
                keys[i] = i;
            }

            var generator = new SplitMix64(DbBenchWorkloads.SeedFor(context.Options, Name));
            for (var i = 0; i < operations; i++)
            {
                var j = i + (int)generator.NextIndex(num - i);
                (keys[i], keys[j]) = (keys[j], keys[i]);
            }

            using var db = context.Provider.CreateContext(durable: false);
            var deleted = 0;
            return Repeat(context, operations, latencies, i =>
            {
                db.Customers.Remove(new BenchCustomer { Id = keys[i] });
                deleted += db.SaveChanges();
                db.ChangeTracker.Clear();
            }, () => Invariant($"{deleted} of {operations} deleted"), repeatable: false);
        }
    }

    /// <summary>
    /// Durable single-entity inserts: N contexts on N threads, each adding one new customer per SaveChanges, synced
    /// (the save is on disk when SaveChanges returns); --ef-sync-ops saves per context.
    /// </summary>
    private sealed class InsertSyncWorkload(string name, int contexts) : EfWorkload
    {
        public override string Name => name;

        public override string Description => Invariant($"{contexts} context(s) on as many threads, one synced SaveChanges per new customer");

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override WorkloadOutcome Run(EfWorkloadContext context, LatencyHistogram latencies)
        {
            var perContext = context.Options.EfSyncOps;
            var histograms = new LatencyHistogram[contexts];
            var failures = new Exception?[contexts];
            var saved = new int[contexts];
            using var ready = new Barrier(contexts + 1);
            var threads = new Thread[contexts];
            for (var t = 0; t < contexts; t++)
            {
                var index = t;
                histograms[index] = new LatencyHistogram();
                threads[index] = new Thread(() =>
                {
                    var started = false;
                    try
                    {
                        using var db = context.Provider.CreateContext(durable: true);
                        ready.SignalAndWait();
                        started = true;
                        for (var i = 0; i < perContext; i++)
                        {
                            var customer = context.Data.Customer(context.NextNewId());
                            var t0 = Stopwatch.GetTimestamp();
                            db.Customers.Add(customer);
                            saved[index] += db.SaveChanges();
                            db.ChangeTracker.Clear();
                            histograms[index].Record(Stopwatch.GetTimestamp() - t0);
                        }
                    }
                    catch (Exception e)
                    {
                        failures[index] = e;
                        if (!started)
                        {
                            // Do not leave the others waiting for a context that could not be created.
                            ready.RemoveParticipant();
                        }
                    }
                })
                { IsBackground = true, Name = $"{name}-{index}" };
                threads[index].Start();
            }

            // Contexts are created before the clock starts: the figure is the saves, not opening connections.
            ready.SignalAndWait();
            var start = Stopwatch.GetTimestamp();
            foreach (var thread in threads)
            {
                thread.Join();
            }

            var elapsed = Stopwatch.GetTimestamp() - start;
            foreach (var failure in failures)
            {
                if (failure is not null)
                {
                    ExceptionDispatchInfo.Capture(failure).Throw();
                }
            }

            foreach (var histogram in histograms)
            {
                latencies.Merge(histogram);
            }

            return new WorkloadOutcome((long)contexts * perContext, elapsed,
                Invariant($"{contexts} context(s) x {perContext} synced saves, {saved.Sum()} rows saved"));
        }
    }
}
