using System.Globalization;
using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// Sweeps fault points over every mutating file-system call of a short workload (creates, appends, fsyncs, renames,
/// deletes and directory syncs of WALs, tables, manifests and CURRENT's temp file, in writes, flushes, compactions,
/// recovery and manifest rotation):
/// a crash point there (then power loss) must reopen to a prefix of the writes holding every synced acknowledged one;
/// an I/O error or full disk there must surface only as <see cref="LsmException"/>, leave the database refusing writes
/// once it refused one, lose nothing acknowledged, and reopen to a working database once the disk is healthy.
/// </summary>
public class FaultInjectionTests(ITestOutputHelper output)
{
    private const int Ops = 240;

    private static readonly FaultOp[] AllOps = Enum.GetValues<FaultOp>();

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Crash_at_any_file_system_call_recovers_a_prefix_with_every_synced_write(int seed)
        => Sweep(seed, FaultMode.Crash, maxCasesPerTarget: 40);

    [Theory]
    [InlineData(21, FaultMode.IOError)]
    [InlineData(22, FaultMode.DiskFull)]
    public void Io_error_at_any_file_system_call_makes_a_read_only_database_that_loses_nothing(int seed, object mode)
        => Sweep(seed, (FaultMode)mode, maxCasesPerTarget: 25);

    /// <summary>The long form: every call of every target, <c>LSM_FAULT_SEEDS</c> seeds (default 5) per mode.</summary>
    [LongFact]
    public void Fault_sweep_long()
    {
        var seeds = int.Parse(Environment.GetEnvironmentVariable("LSM_FAULT_SEEDS") ?? "5", CultureInfo.InvariantCulture);
        var total = 0;
        for (var seed = 1000; seed < 1000 + seeds; seed++)
        {
            foreach (var mode in Enum.GetValues<FaultMode>())
            {
                total += Sweep(seed, mode, maxCasesPerTarget: int.MaxValue);
            }
        }

        output.WriteLine($"{total} faults injected in total");
    }

    [Fact]
    public void A_run_makes_the_same_file_system_calls_every_time_so_every_case_replays_by_its_seed()
    {
        // The sweep once failed on an idle machine and passed on three reruns: with flushes and compactions on their own
        // threads, "Append #28 of the manifest" was a different call in every run. Inline background work fixes the order.
        var traces = new List<IReadOnlyList<string>>();
        for (var i = 0; i < 3; i++)
        {
            var run = new FaultRun(seed: 22, Ops);
            run.Run((call, e) => throw new Xunit.Sdk.XunitException($"{call} failed without a fault: {e}"));
            run.CloseQuietly();
            traces.Add(run.Fs.Trace);
        }

        Assert.True(traces[0].Count(c => c.StartsWith("Append MANIFEST", StringComparison.Ordinal)) > 10, "the run should write the manifest often");
        for (var i = 1; i < traces.Count; i++)
        {
            var at = Enumerable.Range(0, Math.Min(traces[0].Count, traces[i].Count)).FirstOrDefault(c => traces[0][c] != traces[i][c], -1);
            Assert.True(at < 0 && traces[0].Count == traces[i].Count,
                $"run {i} differs from run 0 at call {at}: '{(at >= 0 ? traces[i][at] : "")}' instead of '{(at >= 0 ? traces[0][at] : "")}' "
                + $"({traces[i].Count} and {traces[0].Count} calls)");
        }
    }

    [Fact]
    public void Failed_wal_sync_makes_every_later_write_fail_and_loses_no_acknowledged_write()
    {
        var run = new FaultRun(seed: 5, ops: Ops, reopenHalfway: false);
        run.Fs.FailAt(FaultOp.Sync, DbFileKind.Log, 3, FaultMode.IOError);
        run.Run((call, e) => Assert.True(e is LsmException, $"{call} raised {e.GetType().Name}: {e.Message}"));
        Assert.Equal(1, run.Fs.FaultsInjected);
        Assert.IsType<LsmException>(run.FirstError);
        Assert.True(run.WritesAfterError > 10, "the workload should go on trying to write after the failure");
        Assert.Equal(run.WritesAfterError, run.WritesRefusedAfterError);
        var ex = Assert.Throws<LsmException>(() => run.Db!.Put("x"u8, "y"u8));
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
        CheckReopen(run, powerLoss: false, "wal sync");
    }

    [Fact]
    public void Failed_manifest_sync_in_a_flush_makes_the_database_read_only()
    {
        var run = new FaultRun(seed: 6, ops: Ops, reopenHalfway: false);

        // The first two manifest syncs are the new database's and the open's own; the third is the first flush's edit.
        run.Fs.FailAt(FaultOp.Sync, DbFileKind.Manifest, 3, FaultMode.IOError);
        run.Run((call, e) => Assert.True(e is LsmException, $"{call} raised {e.GetType().Name}: {e.Message}"));
        Assert.Equal(1, run.Fs.FaultsInjected);
        Assert.NotNull(run.Db);
        Assert.Throws<LsmException>(() => run.Db!.Put("x"u8, "y"u8));
        CheckReopen(run, powerLoss: true, "manifest sync");
    }

    /// <summary>Runs every target (call kind × file kind seen in a clean run) at up to that many points; returns the faults injected.</summary>
    private int Sweep(int seed, FaultMode mode, int maxCasesPerTarget)
    {
        var clean = new FaultRun(seed, Ops);
        clean.Run((call, e) => throw new Xunit.Sdk.XunitException($"{call} failed without a fault: {e}"));
        clean.CloseQuietly();
        var targets = new List<(FaultOp Op, DbFileKind? Kind, int Count)>();
        foreach (var op in AllOps)
        {
            foreach (DbFileKind? kind in Enum.GetValues<DbFileKind>().Cast<DbFileKind?>().Append(null))
            {
                var count = clean.Fs.Count(op, kind);
                if (count > 0 && (kind is not null || op == FaultOp.SyncDirectory))
                {
                    targets.Add((op, kind, count));
                }
            }
        }

        var cases = 0;
        var injected = 0;
        foreach (var (op, kind, count) in targets)
        {
            var stride = Math.Max(1, count / maxCasesPerTarget);
            for (var n = 1 + (seed % stride); n <= count; n += stride)
            {
                var context = $"seed {seed}, {mode} at {op} #{n} of {kind?.ToString() ?? "directory"}";
                var run = new FaultRun(seed, Ops);
                run.Fs.FailAt(op, kind, n, mode);
                RunCase(run, mode, context);
                cases++;
                injected += run.Fs.FaultsInjected;
            }
        }

        output.WriteLine($"seed {seed} {mode}: {targets.Count} targets, {cases} cases, {injected} faults injected");
        Assert.True(injected > cases / 2, "most cases should reach their fault point");
        return injected;
    }

    private static void RunCase(FaultRun run, FaultMode mode, string context)
    {
        run.Run((call, e) =>
        {
            if (e is not LsmException)
            {
                throw new Xunit.Sdk.XunitException($"{context} ({run.Fs.LastFault}): {call} raised {e.GetType().Name}, not LsmException: {e}");
            }
        });

        AssertNoWriteAfterFailure(run, context);
        if (mode == FaultMode.Crash)
        {
            run.CloseQuietly();
            CheckReopen(run, powerLoss: true, context);
            return;
        }

        // Once any write was refused, every later one must be too: nothing may be acknowledged on top of a failed WAL.
        if (run.ErrorSinceOpen is not null && run.Db is not null && run.WritesAfterError > 0)
        {
            Assert.True(run.WritesAfterError == run.WritesRefusedAfterError,
                $"{context} ({run.Fs.LastFault}): {run.WritesAfterError - run.WritesRefusedAfterError} of {run.WritesAfterError} "
                + $"writes after the first error were acknowledged");
        }

        // Readers of the live database see every acknowledged write and never one that failed.
        if (run.Db is not null)
        {
            var live = new ExpectedState(run.State.Workload);
            live.Verify(run.Db, run.LastAck, Math.Max(run.LastAck, run.IssuedBeforeOpen), context + " (live, before reopen)");
        }

        CheckReopen(run, powerLoss: (run.LastIssued & 1) == 0, context);
    }

    /// <summary>Nothing may be written to a file after a write or fsync of it failed (see <see cref="FaultInjectionFileSystem.Violations"/>).</summary>
    private static void AssertNoWriteAfterFailure(FaultRun run, string context)
    {
        var violations = run.Fs.Violations;
        Assert.True(violations.Count == 0, $"{context}: {string.Join("; ", violations)}");
    }

    /// <summary>Closes, heals the disk (after a power loss if asked), reopens, verifies, writes on and verifies again.</summary>
    private static void CheckReopen(FaultRun run, bool powerLoss, string context)
    {
        run.CloseQuietly();
        run.Fs.Heal();
        if (powerLoss)
        {
            run.Fs.Inner.SimulateCrash();
        }

        var mustHave = powerLoss ? Math.Max(run.LastSyncedAck, run.DurableFloor) : run.LastAck;
        context += $" ({run.Fs.LastFault}, {(powerLoss ? "power loss" : "restart")})";
        LsmDatabase db;
        try
        {
            db = LsmDatabase.Open(FaultRun.DbPath, FaultRun.Options(run.Fs));
        }
        catch (LsmException e)
        {
            throw new Xunit.Sdk.XunitException($"{context}: the database does not reopen on the healed disk: {e}");
        }

        using var _ = db;
        var k = run.State.Verify(db, mustHave, run.LastIssued, context + " after reopen");
        var last = k;
        for (var i = 0; i < 30; i++)
        {
            RandomWorkload.Apply(db, run.State.Workload.Op(++last));
        }

        db.Flush();
        run.State.Verify(db, last, last, context + " after writing on");
        AssertNoWriteAfterFailure(run, context);
    }
}
