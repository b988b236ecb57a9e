using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// Writers, readers, iterators, snapshot holders and manual flushes/compactions on their own threads against one database
/// with tiny memtables and files, so background flushes and compactions run all the time. Every writer batch moves money
/// between two of its own accounts (its total stays constant) and writes its step number to two paired keys; every
/// reader, iterator and snapshot must see each writer's total intact, its pair equal, its step never going backwards,
/// and a snapshot must read the same thing however long it is held. A watchdog fails the test on a deadlock.
/// </summary>
public class ConcurrencyStressTests(ITestOutputHelper output)
{
    private const int Writers = 2;
    private const int AccountsPerWriter = 16;
    private const long InitialBalance = 1000;
    private const long WriterTotal = AccountsPerWriter * InitialBalance;

    [Fact]
    public void Concurrent_readers_see_every_batch_atomically() => Run(TimeSpan.FromSeconds(10));

    /// <summary>The long form: <c>LSM_STRESS_SECONDS</c> seconds (default 300).</summary>
    [LongFact]
    public void Concurrent_readers_see_every_batch_atomically_long()
        => Run(TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("LSM_STRESS_SECONDS") ?? "300", CultureInfo.InvariantCulture)));

    private void Run(TimeSpan duration)
    {
        using var dir = new TempDirectory("stress");
        var options = RandomWorkload.SmallOptions();
        var db = LsmDatabase.Open(dir.Sub("db"), options);
        var failures = new ConcurrentQueue<string>();
        var counters = new long[6];
        var balances = new long[Writers][];
        var setup = new WriteBatch();
        for (var w = 0; w < Writers; w++)
        {
            balances[w] = Enumerable.Repeat(InitialBalance, AccountsPerWriter).ToArray();
            for (var i = 0; i < AccountsPerWriter; i++)
            {
                setup.Put(Account(w, i), Balance(InitialBalance, 0));
            }

            setup.Put(Pair(w, 'a'), Balance(0, 0));
            setup.Put(Pair(w, 'b'), Balance(0, 0));
        }

        db.Write(setup, new WriteOptions { Sync = true });
        var stop = new CancellationTokenSource();
        var threads = new List<Thread>();
        void Start(string name, Action<Random> body, int seed)
        {
            var thread = new Thread(() =>
            {
                var random = new Random(seed);
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        body(random);
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{name}: {e}");
                    stop.Cancel();
                }
            })
            { Name = name, IsBackground = true };
            threads.Add(thread);
        }

        for (var w = 0; w < Writers; w++)
        {
            var writer = w;
            long step = 0;
            Start($"writer {w}", random =>
            {
                var from = random.Next(AccountsPerWriter);
                var to = (from + 1 + random.Next(AccountsPerWriter - 1)) % AccountsPerWriter;
                var amount = random.Next(1, 50);
                step++;
                var batch = new WriteBatch();
                balances[writer][from] -= amount;
                balances[writer][to] += amount;
                batch.Put(Account(writer, from), Balance(balances[writer][from], random.Next(200)));
                batch.Put(Account(writer, to), Balance(balances[writer][to], random.Next(200)));
                batch.Put(Pair(writer, 'a'), Balance(step, random.Next(50)));
                batch.Put(Pair(writer, 'b'), Balance(step, random.Next(50)));

                // Churn outside the checked keys: tombstones and overwrites for compaction to drop.
                var junk = Encoding.ASCII.GetBytes($"junk/{writer}/{random.Next(500):D4}");
                if (random.Next(3) == 0)
                {
                    batch.Delete(junk);
                }
                else
                {
                    batch.Put(junk, Balance(step, random.Next(300)));
                }

                db.Write(batch, random.Next(50) == 0 ? new WriteOptions { Sync = true } : null);
                Interlocked.Increment(ref counters[0]);
            }, 100 + w);
        }

        for (var r = 0; r < 2; r++)
        {
            var lastSteps = new long[Writers];
            Start($"reader {r}", random =>
            {
                var mode = random.Next(4);
                if (mode == 3)
                {
                    // Separate gets without a snapshot are not one view, but a later read never sees an older step.
                    for (var w = 0; w < Writers; w++)
                    {
                        var a = ParseNumber(db.Get(Pair(w, 'a'))!);
                        var b = ParseNumber(db.Get(Pair(w, 'b'))!);
                        if (a < lastSteps[w] || b < a)
                        {
                            failures.Enqueue($"gets: writer {w}'s step went back: {lastSteps[w]}, then a = {a}, then b = {b}");
                        }

                        lastSteps[w] = b;
                    }
                }
                else
                {
                    using var snapshot = mode == 2 ? null : db.GetSnapshot();
                    var read = new ReadOptions { Snapshot = snapshot };
                    var view = mode == 0 ? ReadByGets(db, read) : ReadByIterator(db, read, reverse: random.Next(2) == 0);
                    Check(view, snapshot is null ? lastSteps : null, failures, mode == 0 ? "snapshot gets" : "iterator");
                }

                Interlocked.Increment(ref counters[1]);
            }, 200 + r);
        }

        Start("snapshot holder", random =>
        {
            using var snapshot = db.GetSnapshot();
            var read = new ReadOptions { Snapshot = snapshot };
            var first = ReadByIterator(db, read, reverse: false);
            Check(first, null, failures, "held snapshot");
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2;
            while (Stopwatch.GetTimestamp() < until && !stop.IsCancellationRequested)
            {
                // Flushes and compactions happen meanwhile; what the snapshot sees must not change at all.
                var again = random.Next(2) == 0 ? ReadByGets(db, read) : ReadByIterator(db, read, reverse: true);
                if (!again.SequenceEqual(first))
                {
                    failures.Enqueue($"a snapshot at {snapshot.Sequence} changed while held");
                    stop.Cancel();
                }

                Interlocked.Increment(ref counters[2]);
            }
        }, 300);

        Start("maintenance", random =>
        {
            Thread.Sleep(random.Next(20, 200));
            if (random.Next(3) == 0)
            {
                var a = Encoding.ASCII.GetBytes($"a/{random.Next(Writers)}");
                db.CompactRange(a, null);
                Interlocked.Increment(ref counters[3]);
            }
            else
            {
                db.Flush();
                Interlocked.Increment(ref counters[4]);
            }
        }, 400);

        foreach (var thread in threads)
        {
            thread.Start();
        }

        stop.Token.WaitHandle.WaitOne(duration);
        stop.Cancel();

        // The watchdog: a thread that does not finish its current step in this time is stuck.
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        foreach (var thread in threads)
        {
            var left = TimeSpan.FromTicks(Math.Max(0, deadline - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            Assert.True(thread.Join(left), $"'{thread.Name}' did not stop within 60 s: a deadlock? {string.Join("; ", failures)}");
        }

        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
        var stats = db.GetProperty("lsm.stats");
        db.Dispose();

        // What the writers last wrote is what a reopened database holds.
        using (var reopened = LsmDatabase.Open(dir.Sub("db"), options))
        {
            for (var w = 0; w < Writers; w++)
            {
                for (var i = 0; i < AccountsPerWriter; i++)
                {
                    Assert.Equal(balances[w][i], ParseNumber(reopened.Get(Account(w, i))!));
                }
            }
        }

        output.WriteLine($"{duration.TotalSeconds} s: {counters[0]} batches written, {counters[1]} reads/scans, "
            + $"{counters[2]} snapshot re-reads, {counters[3]} manual compactions, {counters[4]} manual flushes");
        output.WriteLine(stats ?? "");
        Assert.True(counters[0] > 100 && counters[1] > 10 && counters[2] > 10, "too little work was done to mean anything");
    }

    private static byte[] Account(int writer, int index) => Encoding.ASCII.GetBytes($"a/{writer}/{index:D3}");

    private static byte[] Pair(int writer, char side) => Encoding.ASCII.GetBytes($"p/{writer}/{side}");

    private static byte[] Balance(long value, int padding)
        => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + ":" + new string('x', padding));

    private static long ParseNumber(ReadOnlySpan<byte> value)
        => long.Parse(value[..value.IndexOf((byte)':')], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>Per writer: its accounts' balances, then pair a and pair b.</summary>
    private static long[] ReadByGets(LsmDatabase db, ReadOptions read)
    {
        var view = new long[Writers * (AccountsPerWriter + 2)];
        var n = 0;
        for (var w = 0; w < Writers; w++)
        {
            for (var i = 0; i < AccountsPerWriter; i++)
            {
                view[n++] = ParseNumber(db.Get(Account(w, i), read) ?? throw new InvalidOperationException($"account {w}/{i} is missing"));
            }

            view[n++] = ParseNumber(db.Get(Pair(w, 'a'), read) ?? throw new InvalidOperationException($"pair {w}/a is missing"));
            view[n++] = ParseNumber(db.Get(Pair(w, 'b'), read) ?? throw new InvalidOperationException($"pair {w}/b is missing"));
        }

        return view;
    }

    /// <summary>The same view as <see cref="ReadByGets"/>, from one iterator over "a/" and one over "p/".</summary>
    private static long[] ReadByIterator(LsmDatabase db, ReadOptions read, bool reverse)
    {
        var view = new long[Writers * (AccountsPerWriter + 2)];

        // One iterator over the whole "a/".."p0" range, so accounts and pairs come from one implicit snapshot.
        using var iterator = db.NewIterator(
            new ReadOptions { Snapshot = read.Snapshot, LowerBound = "a/"u8.ToArray(), UpperBound = "p0"u8.ToArray() });
        var seen = 0;
        var previous = Array.Empty<byte>();
        for (Position(iterator, reverse); iterator.Valid; Step(iterator, reverse))
        {
            var key = iterator.Key;
            var order = key.SequenceCompareTo(previous);
            if (seen > 0 && (reverse ? order >= 0 : order <= 0))
            {
                throw new InvalidOperationException($"the iterator went out of order at '{Encoding.ASCII.GetString(key)}'");
            }

            previous = key.ToArray();
            if (key[0] == (byte)'j')
            {
                continue; // churn
            }

            var writer = key[2] - '0';
            var slot = key[0] == (byte)'a'
                ? int.Parse(key[4..], CultureInfo.InvariantCulture)
                : AccountsPerWriter + (key[4] == (byte)'a' ? 0 : 1);
            view[writer * (AccountsPerWriter + 2) + slot] = ParseNumber(iterator.Value);
            seen++;
        }

        if (seen != view.Length)
        {
            throw new InvalidOperationException($"the iterator returned {seen} account and pair keys, not {view.Length}");
        }

        return view;
    }

    private static void Position(LsmIterator iterator, bool reverse)
    {
        if (reverse)
        {
            iterator.SeekToLast();
        }
        else
        {
            iterator.SeekToFirst();
        }
    }

    private static void Step(LsmIterator iterator, bool reverse)
    {
        if (reverse)
        {
            iterator.Prev();
        }
        else
        {
            iterator.Next();
        }
    }

    private static void Check(long[] view, long[]? lastSteps, ConcurrentQueue<string> failures, string how)
    {
        for (var w = 0; w < Writers; w++)
        {
            var start = w * (AccountsPerWriter + 2);
            var total = view.AsSpan(start, AccountsPerWriter).ToArray().Sum();
            var a = view[start + AccountsPerWriter];
            var b = view[start + AccountsPerWriter + 1];
            if (total != WriterTotal)
            {
                failures.Enqueue($"{how}: writer {w}'s accounts total {total}, not {WriterTotal} (step {a})");
            }

            if (a != b)
            {
                failures.Enqueue($"{how}: writer {w}'s pair is split: a = {a}, b = {b}");
            }

            if (lastSteps is not null)
            {
                if (a < lastSteps[w])
                {
                    failures.Enqueue($"{how}: writer {w}'s step went back from {lastSteps[w]} to {a}");
                }

                lastSteps[w] = a;
            }
        }
    }
}
