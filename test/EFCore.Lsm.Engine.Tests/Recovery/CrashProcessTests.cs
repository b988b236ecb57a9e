using System.Globalization;
using System.Text;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using EFCore.Lsm.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Recovery;

/// <summary>
/// Crash durability with a real process: a child writes synced batches and acknowledges each on stdout; it is killed
/// with SIGKILL at a random moment; the database is reopened and must hold every acknowledged batch whole, and no batch
/// partially. Repeated, continuing the same database, so later kills also hit recovery's own files.
/// </summary>
public class CrashProcessTests(ITestOutputHelper output)
{
    private const int KeysPerBatch = 10;

    [Fact]
    public void Every_acknowledged_synced_batch_survives_sigkill_whole()
    {
        using var dir = new TempDirectory("crash");
        var dbPath = dir.Sub("db");
        var random = new Random(20261121);
        var acknowledged = new SortedSet<long>();
        long next = 0;
        var kills = 0;
        for (var round = 0; round < 22; round++)
        {
            // Killed after the k-th acknowledged batch plus a short random pause: progress, not the clock, picks the moment.
            var acks = RunAndKill(dbPath, next, acksBeforeKill: random.Next(1, 40), pauseMs: random.Next(0, 10));
            kills++;
            acknowledged.UnionWith(acks);
            next = Verify(dbPath, acknowledged, round) + 1;
        }

        output.WriteLine($"{kills} kills, {acknowledged.Count} acknowledged batches, next batch {next}");
        Assert.True(acknowledged.Count >= kills, "the child acknowledged too few batches for the test to mean anything");
    }

    private static List<long> RunAndKill(string dbPath, long first, int acksBeforeKill, int pauseMs)
    {
        using var worker = new CrashWorkerProcess(
            dbPath, first.ToString(CultureInfo.InvariantCulture), KeysPerBatch.ToString(CultureInfo.InvariantCulture));
        Assert.True(
            worker.WaitForLines(acksBeforeKill, TimeSpan.FromMinutes(5)),
            $"The crash worker did not acknowledge {acksBeforeKill} batches: {worker.Errors}");
        Thread.Sleep(pauseMs);
        var lines = worker.Kill(); // SIGKILL: no finalizers, no flushes, no Dispose.
        Assert.True(worker.Errors.Length == 0, $"The crash worker failed before it was killed: {worker.Errors}");
        return [.. lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(l => long.Parse(l.AsSpan(4), CultureInfo.InvariantCulture))];
    }

    /// <summary>Checks the database after a kill and returns the newest batch number present.</summary>
    private static long Verify(string dbPath, SortedSet<long> acknowledged, int round)
    {
        using var db = LsmDatabase.Open(dbPath);
        var counts = new SortedDictionary<long, int>();
        using (var iterator = db.NewIterator(new ReadOptions { LowerBound = "batch/"u8.ToArray(), UpperBound = "batch0"u8.ToArray() }))
        {
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                var key = Encoding.UTF8.GetString(iterator.Key);
                var batch = long.Parse(key.AsSpan(6, 10), CultureInfo.InvariantCulture);
                var index = int.Parse(key.AsSpan(17, 3), CultureInfo.InvariantCulture);
                var value = Encoding.UTF8.GetString(iterator.Value);
                Assert.StartsWith($"{batch}:{index}:", value);
                counts[batch] = counts.GetValueOrDefault(batch) + 1;
            }
        }

        foreach (var (batch, count) in counts)
        {
            Assert.True(count == KeysPerBatch, $"round {round}: batch {batch} is partially visible ({count} of {KeysPerBatch} keys)");
        }

        foreach (var batch in acknowledged)
        {
            Assert.True(counts.ContainsKey(batch), $"round {round}: acknowledged batch {batch} was lost");
        }

        var newest = counts.Count == 0 ? -1 : counts.Keys.Max();
        var latest = db.Get("latest"u8);
        if (newest >= 0)
        {
            Assert.Equal(newest.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(latest!));
        }

        // Batches are written one after another: what survives must be a prefix, with no holes.
        Assert.Equal(newest + 1, counts.Count);
        return newest;
    }
}
