using System.Diagnostics;
using System.Runtime.ExceptionServices;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.DbBench.Workloads;

/// <summary>
/// The engine workloads, named and defined as db_bench defines them (16-byte keys, --value-size values, keys drawn
/// uniformly with replacement for the random workloads, a fresh database for each fill).
/// </summary>
internal static class DbBenchWorkloads
{
    public const string Group = "db_bench";

    public const string FillSyncPrefix = "fillsync";

    public static IReadOnlyList<string> Names { get; } =
        ["fillseq", "fillrandom", "overwrite", "readrandom", "readmissing", "readseq", "seekrandom", "deleterandom", "fillsync", "fillsync8"];

    public static Workload? TryCreate(string name) => name switch
    {
        "fillseq" => new WriteWorkload(name, "write num keys in order into a fresh database", DatabaseNeed.Fresh, random: false,
            delete: false, _ => DatabaseContent.AllKeys),
        "fillrandom" => new WriteWorkload(name, "write num random keys into a fresh database", DatabaseNeed.Fresh, random: true,
            delete: false, _ => DatabaseContent.SomeKeys),
        "overwrite" => new WriteWorkload(name, "write num random keys over a full database", DatabaseNeed.AllKeys, random: true,
            delete: false, before => before),
        "deleterandom" => new WriteWorkload(name, "delete num random keys from a full database", DatabaseNeed.AllKeys, random: true,
            delete: true, _ => DatabaseContent.SomeKeys),
        "readrandom" => new ReadRandomWorkload(name, missing: false),
        "readmissing" => new ReadRandomWorkload(name, missing: true),
        "readseq" => new ReadSeqWorkload(),
        "seekrandom" => new SeekRandomWorkload(),
        _ when name.StartsWith(FillSyncPrefix, StringComparison.Ordinal) && TryParseWriters(name, out var writers)
            => new FillSyncWorkload(name, writers),
        _ => null,
    };

    // "fillsync" is one writer; "fillsyncN" is N concurrent writers.
    private static bool TryParseWriters(string name, out int writers)
    {
        var suffix = name.AsSpan(FillSyncPrefix.Length);
        if (suffix.IsEmpty)
        {
            writers = 1;
            return true;
        }

        return int.TryParse(suffix, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out writers)
            && writers is >= 1 and <= 256;
    }

    /// <summary>A seed that depends on the run's seed and the workload, the same for every engine.</summary>
    internal static ulong SeedFor(BenchOptions options, string workload, int thread = 0)
    {
        // FNV-1a: string.GetHashCode differs between processes.
        var hash = 14695981039346656037UL;
        foreach (var c in workload)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return options.Seed ^ hash ^ ((ulong)thread * 0x9E3779B97F4A7C15UL);
    }

    private abstract class DbBenchWorkload : Workload
    {
        public override string Group => DbBenchWorkloads.Group;
    }

    /// <summary>fillseq, fillrandom, overwrite, deleterandom: num writes of one entry each (or --batch-size per write).</summary>
    private sealed class WriteWorkload(
        string name, string description, DatabaseNeed need, bool random, bool delete, Func<DatabaseContent, DatabaseContent> after)
        : DbBenchWorkload
    {
        public override string Name => name;

        public override string Description => description;

        public override DatabaseNeed Need => need;

        public override DatabaseContent After(DatabaseContent before) => after(before);

        public override WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies)
        {
            var store = context.Store;
            var values = context.Values;
            var num = context.Num;
            var batchSize = context.Options.BatchSize;
            var generator = new SplitMix64(SeedFor(context.Options, name));
            Span<byte> key = stackalloc byte[KeyFormat.KeySize];
            using var batch = batchSize > 1 ? store.CreateBatch() : null;

            var start = Stopwatch.GetTimestamp();
            for (long done = 0; done < num;)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (batch is null)
                {
                    var index = random ? generator.NextIndex(num) : done;
                    KeyFormat.Write(key, index);
                    if (delete)
                    {
                        store.Delete(key, sync: false);
                    }
                    else
                    {
                        store.Put(key, values.Get(index), sync: false);
                    }

                    done++;
                }
                else
                {
                    batch.Clear();
                    var count = Math.Min(batchSize, num - done);
                    for (var j = 0; j < count; j++)
                    {
                        var index = random ? generator.NextIndex(num) : done + j;
                        KeyFormat.Write(key, index);
                        if (delete)
                        {
                            batch.Delete(key);
                        }
                        else
                        {
                            batch.Put(key, values.Get(index));
                        }
                    }

                    store.Write(batch, sync: false);
                    done += count;
                }

                latencies.Record(Stopwatch.GetTimestamp() - t0);
            }

            return new WorkloadOutcome(num, Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>readrandom (every key exists) and readmissing (keys next to existing ones, none exists).</summary>
    private sealed class ReadRandomWorkload(string name, bool missing) : DbBenchWorkload
    {
        public override string Name => name;

        public override string Description => missing
            ? "look up reads keys that sort among the stored keys but do not exist"
            : "look up reads random existing keys, copying each value";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override bool ReadOnly => true;

        public override WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies)
        {
            var store = context.Store;
            var num = context.Num;
            var reads = context.Options.EffectiveReads;
            var generator = new SplitMix64(SeedFor(context.Options, name));
            Span<byte> key = stackalloc byte[KeyFormat.KeySize];
            var value = new byte[Math.Max(1, context.Values.ValueSize)];
            long found = 0;

            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < reads; i++)
            {
                var index = generator.NextIndex(num);
                var t0 = Stopwatch.GetTimestamp();
                if (missing)
                {
                    KeyFormat.WriteMissing(key, index);
                }
                else
                {
                    KeyFormat.Write(key, index);
                }

                if (store.Get(key, value) >= 0)
                {
                    found++;
                }

                latencies.Record(Stopwatch.GetTimestamp() - t0);
            }

            return new WorkloadOutcome(reads, Stopwatch.GetTimestamp() - start, $"{found} of {reads} found");
        }
    }

    /// <summary>readseq: one iterator from the first key, up to reads entries; each Next is one operation.</summary>
    private sealed class ReadSeqWorkload : DbBenchWorkload
    {
        public override string Name => "readseq";

        public override string Description => "iterate from the first key, reads entries at most";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override bool ReadOnly => true;

        public override WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies)
        {
            var limit = context.Options.EffectiveReads;
            long entries = 0;
            long bytes = 0;
            var start = Stopwatch.GetTimestamp();
            using (var iterator = context.Store.NewIterator())
            {
                var t0 = Stopwatch.GetTimestamp();
                iterator.SeekToFirst();
                while (iterator.Valid && entries < limit)
                {
                    bytes += iterator.Key.Length + iterator.Value.Length;
                    entries++;
                    iterator.Next();
                    var t1 = Stopwatch.GetTimestamp();
                    latencies.Record(t1 - t0);
                    t0 = t1;
                }
            }

            return new WorkloadOutcome(entries, Stopwatch.GetTimestamp() - start, $"{entries} entries, {bytes} bytes read");
        }
    }

    /// <summary>seekrandom: seek to a random existing key, then --seek-nexts Next calls; each seek is one operation.</summary>
    private sealed class SeekRandomWorkload : DbBenchWorkload
    {
        public override string Name => "seekrandom";

        public override string Description => "seek to reads random keys, each followed by --seek-nexts nexts";

        public override DatabaseNeed Need => DatabaseNeed.AllKeys;

        public override DatabaseContent After(DatabaseContent before) => before;

        public override bool ReadOnly => true;

        public override WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies)
        {
            var num = context.Num;
            var reads = context.Options.EffectiveReads;
            var nexts = context.Options.SeekNexts;
            var generator = new SplitMix64(SeedFor(context.Options, Name));
            Span<byte> key = stackalloc byte[KeyFormat.KeySize];
            long found = 0;
            long bytes = 0;

            var start = Stopwatch.GetTimestamp();
            using (var iterator = context.Store.NewIterator())
            {
                for (var i = 0; i < reads; i++)
                {
                    KeyFormat.Write(key, generator.NextIndex(num));
                    var t0 = Stopwatch.GetTimestamp();
                    iterator.Seek(key);
                    if (iterator.Valid && iterator.Key.SequenceEqual(key))
                    {
                        found++;
                    }

                    for (var j = 0; j < nexts && iterator.Valid; j++)
                    {
                        bytes += iterator.Value.Length;
                        iterator.Next();
                    }

                    latencies.Record(Stopwatch.GetTimestamp() - t0);
                }
            }

            return new WorkloadOutcome(reads, Stopwatch.GetTimestamp() - start, $"{found} of {reads} found, {bytes} value bytes read");
        }
    }

    /// <summary>
    /// fillsync / fillsyncN: N writers each do --sync-ops puts of random keys with sync on, into a fresh database.
    /// With N &gt; 1 the engines can share one fsync among queued writers (group commit).
    /// </summary>
    private sealed class FillSyncWorkload(string name, int writers) : DbBenchWorkload
    {
        public override string Name => name;

        public override string Description => writers == 1
            ? "one writer, --sync-ops random puts with an fsync each"
            : $"{writers} concurrent writers, --sync-ops random synced puts each (group commit)";

        public override DatabaseNeed Need => DatabaseNeed.Fresh;

        public override DatabaseContent After(DatabaseContent before) => DatabaseContent.SomeKeys;

        public override WorkloadOutcome Run(WorkloadContext context, LatencyHistogram latencies)
        {
            var opsPerWriter = context.Options.SyncOps;
            var histograms = new LatencyHistogram[writers];
            var threads = new Thread[writers];
            var failures = new Exception?[writers];
            using var ready = new CountdownEvent(writers);
            using var go = new ManualResetEventSlim();
            for (var w = 0; w < writers; w++)
            {
                var writer = w;
                histograms[w] = new LatencyHistogram();
                threads[w] = new Thread(() =>
                {
                    ready.Signal();
                    go.Wait();
                    try
                    {
                        WriteSynced(context, writer, opsPerWriter, histograms[writer]);
                    }
                    catch (Exception e)
                    {
                        failures[writer] = e;
                    }
                })
                {
                    IsBackground = true,
                    Name = $"{name} writer {w}",
                };
                threads[w].Start();
            }

            ready.Wait();
            var start = Stopwatch.GetTimestamp();
            go.Set();
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

            return new WorkloadOutcome((long)writers * opsPerWriter, elapsed, $"{writers} writer(s) x {opsPerWriter} synced puts");
        }

        private void WriteSynced(WorkloadContext context, int writer, int ops, LatencyHistogram latencies)
        {
            var store = context.Store;
            var values = context.Values;
            var num = context.Num;
            var generator = new SplitMix64(SeedFor(context.Options, name, writer));
            Span<byte> key = stackalloc byte[KeyFormat.KeySize];
            for (var i = 0; i < ops; i++)
            {
                var index = generator.NextIndex(num);
                KeyFormat.Write(key, index);
                var t0 = Stopwatch.GetTimestamp();
                store.Put(key, values.Get(index), sync: true);
                latencies.Record(Stopwatch.GetTimestamp() - t0);
            }
        }
    }
}

/// <summary>Every workload the harness can run, by name, across groups (db_bench's engine workloads, the EF workloads).</summary>
internal static class WorkloadCatalog
{
    public static IReadOnlyList<string> DefaultList { get; } = [.. DbBenchWorkloads.Names, .. Ef.Workloads.EfWorkloads.Names];

    /// <summary>The engine workload called <paramref name="name"/>; throws <see cref="BenchArgumentException"/> naming the known ones.</summary>
    public static Workload Create(string name)
        => DbBenchWorkloads.TryCreate(name)
           ?? throw new BenchArgumentException(
               $"Unknown benchmark '{name}' in --benchmarks; known: {string.Join(", ", DbBenchWorkloads.Names)} (fillsyncN = N writers) " +
               $"and the EF workloads {string.Join(", ", [.. Ef.Workloads.EfWorkloads.Names, .. Ef.Workloads.EfWorkloads.OptInNames])} (ef-insertsyncN = N contexts).");

    /// <summary>Throws <see cref="BenchArgumentException"/> unless <paramref name="name"/> is a workload of some group.</summary>
    public static void Validate(string name)
    {
        if (Ef.Workloads.EfWorkloads.IsEfWorkload(name))
        {
            _ = Ef.Workloads.EfWorkloadCatalog.Create(name);
        }
        else
        {
            _ = Create(name);
        }
    }
}
