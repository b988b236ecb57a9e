using System.Globalization;
using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using EFCore.Lsm.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// Black-box crash loop: the CrashWorker runs a seeded random workload (puts, deletes, batches, synced and not, with
/// background flushes and compactions on tiny memtables and files) and is SIGKILLed at random moments, sometimes before
/// it finished recovering; after every kill the database is reopened and must hold exactly the ops 0..k for one k,
/// with k at or past the last acknowledged op (a process kill loses no OS-buffered WAL bytes, so even unsynced
/// acknowledged writes survive) and at most the one op in flight beyond it. Then the worker continues from k + 1.
/// Operator mistakes are mixed in: a second opener while the worker runs (sometimes after deleting LOCK) must be refused
/// as in use, and a copy of the crashed folder must open elsewhere with exactly the original's rows.
/// </summary>
public class CrashLoopTests(ITestOutputHelper output)
{
    private const int MinAcksBeforeKill = 10;

    [Fact]
    public void Random_workload_survives_repeated_sigkill() => Run(kills: 25, seed: 20260101);

    /// <summary>The long form: <c>LSM_CRASH_KILLS</c> kills (default 500).</summary>
    [LongFact]
    public void Random_workload_survives_many_sigkills()
        => Run(kills: int.Parse(Environment.GetEnvironmentVariable("LSM_CRASH_KILLS") ?? "500", CultureInfo.InvariantCulture),
            seed: Environment.TickCount);

    private void Run(int kills, int seed)
    {
        using var dir = new TempDirectory("crash-loop");
        var dbPath = dir.Sub("db");
        var random = new Random(seed);
        var state = new ExpectedState(new RandomWorkload(seed));
        long acknowledged = 0, synced = 0, killedBeforeReady = 0, inFlightApplied = 0, lateRounds = 0;
        long secondOpenersRefused = 0, lockDeletions = 0, copiesOpened = 0;
        for (var round = 0; round < kills; round++)
        {
            var next = state.Counter + 1;
            using var worker = new CrashWorkerProcess(
                "random", dbPath, seed.ToString(CultureInfo.InvariantCulture), next.ToString(CultureInfo.InvariantCulture));

            // One round in five is killed at a random moment from the start, which can land in the worker's recovery (on a
            // busy machine it may land before the process even runs: that round checks recovery alone). The others are
            // killed by progress: after the k-th acknowledged write, then a short random pause.
            var early = random.Next(5) == 0;
            if (early)
            {
                Thread.Sleep(random.Next(10, 250));
            }
            else
            {
                var acksBeforeKill = random.Next(MinAcksBeforeKill, 200);
                Assert.True(
                    worker.WaitForLines(acksBeforeKill, TimeSpan.FromMinutes(5)),
                    $"the worker did not acknowledge {acksBeforeKill} writes: {worker.Errors}");
                Thread.Sleep(random.Next(0, 10));
                lateRounds++;

                // An operator's mistakes while the worker holds the database: a second opener, with LOCK deleted first in
                // one such round of two. The opener is refused as in use and the worker goes on (its acks still count).
                if (random.Next(3) == 0)
                {
                    var deleteLock = random.Next(2) == 0;
                    if (deleteLock)
                    {
                        File.Delete(Path.Combine(dbPath, "LOCK"));
                    }

                    var refused = Assert.Throws<LsmException>(() => LsmDatabase.Open(dbPath, RandomWorkload.SmallOptions()).Dispose());
                    Assert.True(refused.IsDatabaseInUse, $"seed {seed} round {round}: {refused.Message}");
                    secondOpenersRefused++;
                    lockDeletions += deleteLock ? 1 : 0;
                }
            }

            var lines = worker.Kill();
            Assert.True(worker.Errors.Length == 0, $"seed {seed} round {round}: the worker failed before it was killed: {worker.Errors}");
            var lastAck = state.Counter;
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                Assert.True(parts is ["ACK", _, _], $"unexpected worker output '{line}'");
                var counter = long.Parse(parts[1], CultureInfo.InvariantCulture);
                Assert.Equal(lastAck + 1, counter);
                lastAck = counter;
                acknowledged++;
                synced += parts[2] == "1" ? 1 : 0;
            }

            killedBeforeReady += early && lines.Count == 0 ? 1 : 0;
            string? copy = null;
            if (random.Next(4) == 0)
            {
                copy = dir.Sub($"copy-{round}");
                CopyFolder(dbPath, copy);
            }

            using var db = LsmDatabase.Open(dbPath, RandomWorkload.SmallOptions());
            var k = state.Verify(db, mustHave: lastAck, mayHave: lastAck + 1, $"seed {seed} round {round}");
            inFlightApplied += k > lastAck ? 1 : 0;

            // A copy of the crashed folder (taken before anything opened it) is the same database: it opens in its new
            // place with exactly the rows the original recovered.
            if (copy is not null)
            {
                using (var copied = LsmDatabase.Open(copy, RandomWorkload.SmallOptions()))
                {
                    var expected = state.ReadAll(db, $"seed {seed} round {round} original");
                    var actual = state.ReadAll(copied, $"seed {seed} round {round} copy");
                    Assert.True(
                        expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v.AsSpan().SequenceEqual(e.Value)),
                        $"seed {seed} round {round}: the copied folder holds {actual.Count} keys, the original {expected.Count}");
                }

                Directory.Delete(copy, recursive: true);
                copiesOpened++;
            }
        }

        output.WriteLine($"seed {seed}: {kills} kills survived ({killedBeforeReady} before the worker was ready), "
            + $"{acknowledged} writes acknowledged ({synced} synced), {inFlightApplied} in-flight writes found applied, "
            + $"database at op {state.Counter}; {secondOpenersRefused} second openers refused ({lockDeletions} after LOCK was deleted), "
            + $"{copiesOpened} copied folders opened equal");
        Assert.True(lateRounds > 0 && acknowledged >= lateRounds * MinAcksBeforeKill, "the worker acknowledged too few writes for the test to mean anything");
        Assert.True(secondOpenersRefused > 0 && copiesOpened > 0, "no operator scenario ran: too few rounds for the seed");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            // LOCK is the holder's, not part of the database: a copy made with cp -r has one, and that is fine too.
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
