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
            using var db = LsmDatabase.Open(dbPath, RandomWorkload.SmallOptions());
            var k = state.Verify(db, mustHave: lastAck, mayHave: lastAck + 1, $"seed {seed} round {round}");
            inFlightApplied += k > lastAck ? 1 : 0;
        }

        output.WriteLine($"seed {seed}: {kills} kills survived ({killedBeforeReady} before the worker was ready), "
            + $"{acknowledged} writes acknowledged ({synced} synced), {inFlightApplied} in-flight writes found applied, "
            + $"database at op {state.Counter}");
        Assert.True(lateRounds > 0 && acknowledged >= lateRounds * MinAcksBeforeKill, "the worker acknowledged too few writes for the test to mean anything");
    }
}
