using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// One short <see cref="RandomWorkload"/> run in process over a <see cref="FaultInjectionFileSystem"/>: writes with
/// explicit flushes, a full compaction and a close-and-reopen halfway (so faults also land in recovery and manifest
/// rotation), stopping at a simulated crash. Records what was acknowledged so the outcome can be checked.
/// </summary>
internal sealed class FaultRun
{
    public const string DbPath = "/fault-db";

    private readonly int _ops;
    private readonly bool _reopenHalfway;

    public FaultRun(long seed, int ops, bool reopenHalfway = true)
    {
        _ops = ops;
        _reopenHalfway = reopenHalfway;
        Fs = NewFileSystem();
        State = new ExpectedState(new RandomWorkload(seed));
    }

    public FaultInjectionFileSystem Fs { get; }

    public ExpectedState State { get; }

    public LsmDatabase? Db { get; private set; }

    /// <summary>The newest op acknowledged, acknowledged as synced, and attempted at all.</summary>
    public long LastAck { get; private set; } = -1;

    public long LastSyncedAck { get; private set; } = -1;

    public long LastIssued { get; private set; } = -1;

    /// <summary>The newest op that was acknowledged before a reopen that succeeded (recovery makes it durable).</summary>
    public long DurableFloor { get; private set; } = -1;

    /// <summary>The newest op attempted before the last successful open (its replay may have made it visible).</summary>
    public long IssuedBeforeOpen { get; private set; } = -1;

    /// <summary>The first exception any call of the run raised (the run goes on after it unless the process crashed).</summary>
    public Exception? FirstError { get; private set; }

    /// <summary>The first exception since the database was last opened.</summary>
    public Exception? ErrorSinceOpen { get; private set; }

    /// <summary>Write attempts after the first error since the last open, and how many of them failed as they must.</summary>
    public int WritesAfterError { get; private set; }

    public int WritesRefusedAfterError { get; private set; }

    /// <summary>
    /// <see cref="RandomWorkload.SmallOptions"/> with flushes and compactions run inline, so that the numbering of
    /// file-system calls, and with it every fault case, depends only on the seed.
    /// </summary>
    public static LsmOptions Options(IFileSystem fs)
    {
        var options = RandomWorkload.SmallOptions(fs);
        options.InlineBackgroundWork = true;
        return options;
    }

    public static FaultInjectionFileSystem NewFileSystem()
    {
        var memory = new MemoryFileSystem();
        memory.CreateDirectory(DbPath);
        return new FaultInjectionFileSystem(memory);
    }

    /// <summary>
    /// Runs the workload. Any exception must be an <see cref="LsmException"/> (checked by <paramref name="onError"/>'s
    /// caller); the run stops at a crash point and otherwise keeps trying, so later calls show the error state.
    /// </summary>
    public void Run(Action<string, Exception> onError)
    {
        var random = new Random(RandomWorkload.Mix(State.Workload.Seed, -1));
        if (!TryOpen(onError))
        {
            return;
        }

        var reopened = !_reopenHalfway;
        for (var counter = 0L; counter < _ops && !Fs.Crashed; counter++)
        {
            if (!reopened && counter >= _ops / 2)
            {
                reopened = true;
                var hadFailures = LastIssued > LastAck;
                CloseQuietly();
                if (!TryOpen(onError))
                {
                    return;
                }

                if (hadFailures)
                {
                    // Writes that failed left a gap in the counters; the reopened database holds some prefix of them.
                    // Find it, and go on from there so the history stays one sequence of ops.
                    var k = State.Verify(Db!, LastAck, LastIssued, $"reopen after a failed write ({Fs.LastFault})");
                    counter = k + 1;
                    LastAck = LastIssued = DurableFloor = k;
                }
            }

            if (Db is null)
            {
                return;
            }

            var op = State.Workload.Op(counter);
            LastIssued = counter;
            try
            {
                RandomWorkload.Apply(Db, op);
                if (ErrorSinceOpen is not null)
                {
                    WritesAfterError++;
                }

                LastAck = counter;
                LastSyncedAck = op.Sync ? counter : LastSyncedAck;
            }
            catch (Exception e)
            {
                if (ErrorSinceOpen is not null)
                {
                    WritesAfterError++;
                    WritesRefusedAfterError += e is LsmException ? 1 : 0;
                }

                Record("write", e, onError);
            }

            try
            {
                var roll = random.Next(100);
                if (roll < 3)
                {
                    Db.Flush();
                }
                else if (roll == 3)
                {
                    Db.CompactRange(null, null);
                }
            }
            catch (Exception e)
            {
                Record("flush or compaction", e, onError);
            }
        }
    }

    /// <summary>Closes the database, ignoring the errors a crashed or failed file system makes closing raise.</summary>
    public void CloseQuietly()
    {
        try
        {
            Db?.Dispose();
        }
        catch (Exception e) when (e is IOException or LsmException)
        {
            // Closing after a fault may fail again; what the test checks is the reopened state.
        }

        Db = null;
    }

    private bool TryOpen(Action<string, Exception> onError)
    {
        try
        {
            Db = LsmDatabase.Open(DbPath, Options(Fs));
            DurableFloor = LastAck;
            IssuedBeforeOpen = LastIssued;
            ErrorSinceOpen = null;
            WritesAfterError = WritesRefusedAfterError = 0;
            return true;
        }
        catch (Exception e)
        {
            Record("open", e, onError);
            Db = null;
            return false;
        }
    }

    private void Record(string call, Exception e, Action<string, Exception> onError)
    {
        FirstError ??= e;
        ErrorSinceOpen ??= e;
        if (!Fs.Crashed)
        {
            onError(call, e);
        }
    }
}
