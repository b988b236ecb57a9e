namespace EFCore.Lsm.Engine.Diagnostics;

/// <summary>
/// Cumulative counters of one open database: what users wrote, what that cost in WAL, flush and compaction bytes,
/// and how long writers were held back. Fields are updated with <see cref="Interlocked"/> or under the database's state
/// lock and read without tearing (64-bit fields on 64-bit runtimes), which is what counters and stats text need.
/// </summary>
internal sealed class EngineStatistics
{
    public long Writes;
    public long GroupedCommits;

    /// <summary>Batches refused because a condition did not hold (<see cref="LsmConditionFailedException"/>).</summary>
    public long ConditionFailures;

    /// <summary>Of <see cref="ConditionFailures"/>, those decided by an earlier batch of the same commit group.</summary>
    public long ConditionFailuresWithinGroup;
    public long UserBytesWritten;
    public long WalBytesWritten;
    public long FlushCount;
    public long FlushBytesWritten;
    public long SlowdownWrites;
    public long StoppedWrites;
    public long StallTicks;

    // Where writers wait, split by cause (all in TimeSpan ticks, as StallTicks), so a run can say which one holds the writer back:
    // the L0 slowdown's delays, stops on a full queue of frozen memtables (flush not keeping up with the writer), stops
    // on the L0 file limit (compaction not keeping up), and followers waiting in the commit queue for a leader.
    public long SlowdownTicks;
    public long MemtableStops;
    public long MemtableStopTicks;
    public long Level0Stops;
    public long Level0StopTicks;
    public long CommitQueueWaits;
    public long CommitQueueWaitTicks;

    // WAL syncs asked for by synced writes (one per commit group) and the time the leader spent in them.
    public long WalSyncs;
    public long WalSyncTicks;

    // Time the background threads were busy, so a run can tell whether they or the writer are the bottleneck.
    public long FlushTicks;
    public long CompactionTicks;

    // Memtable switches, and the time the write leader spent in them syncing the frozen WAL and the folder: the writer
    // waits there, off the CPU, so a CPU profile does not show it.
    public long MemtableSwitches;
    public long SwitchSyncTicks;

    private readonly object _gate = new();
    private readonly LevelCompactionStatistics[] _levels = Enumerable.Range(0, Manifest.ManifestConstants.NumLevels)
        .Select(_ => new LevelCompactionStatistics()).ToArray();

    public void RecordFlush(long bytes)
    {
        Interlocked.Increment(ref FlushCount);
        Interlocked.Add(ref FlushBytesWritten, bytes);
    }

    public void RecordCompaction(Compaction.Compaction compaction, Compaction.CompactionJob? job)
    {
        lock (_gate)
        {
            var level = _levels[compaction.OutputLevel];
            level.Count++;
            if (job is null)
            {
                level.TrivialMoves++;
                return;
            }

            level.BytesRead += job.BytesRead;
            level.BytesWritten += job.BytesWritten;
            level.EntriesDropped += job.EntriesDropped;
        }
    }

    /// <summary>Compactions into <paramref name="level"/> so far.</summary>
    public LevelCompactionStatistics Level(int level)
    {
        lock (_gate)
        {
            var s = _levels[level];
            return new LevelCompactionStatistics
            {
                Count = s.Count,
                TrivialMoves = s.TrivialMoves,
                BytesRead = s.BytesRead,
                BytesWritten = s.BytesWritten,
                EntriesDropped = s.EntriesDropped,
            };
        }
    }

    public long CompactionBytesWritten
    {
        get
        {
            lock (_gate)
            {
                return _levels.Sum(l => l.BytesWritten);
            }
        }
    }

    public long CompactionBytesRead
    {
        get
        {
            lock (_gate)
            {
                return _levels.Sum(l => l.BytesRead);
            }
        }
    }

    /// <summary>Bytes written to disk (WAL + flush + compaction) per byte users wrote; 0 before any write.</summary>
    public double WriteAmplification
    {
        get
        {
            var user = Interlocked.Read(ref UserBytesWritten);
            return user == 0
                ? 0
                : (Interlocked.Read(ref WalBytesWritten) + Interlocked.Read(ref FlushBytesWritten) + CompactionBytesWritten) / (double)user;
        }
    }

    public TimeSpan StallTime => TimeSpan.FromTicks(Interlocked.Read(ref StallTicks));

    public TimeSpan SwitchSyncTime => TimeSpan.FromTicks(Interlocked.Read(ref SwitchSyncTicks));

    public static TimeSpan Time(ref long ticks) => TimeSpan.FromTicks(Interlocked.Read(ref ticks));

    /// <summary>Adds the time since <paramref name="startTimestamp"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) to <paramref name="ticks"/>.</summary>
    public static void AddElapsed(ref long ticks, long startTimestamp)
        => Interlocked.Add(ref ticks, System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).Ticks);
}

internal sealed class LevelCompactionStatistics
{
    public long Count;
    public long TrivialMoves;
    public long BytesRead;
    public long BytesWritten;
    public long EntriesDropped;
}
