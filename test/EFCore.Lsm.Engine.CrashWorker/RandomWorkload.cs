using System.Globalization;
using System.Text;

namespace EFCore.Lsm.Engine.CrashWorker;

/// <summary>One write of a <see cref="RandomWorkload"/>: a put, a delete or a batch of both, synced or not.</summary>
public sealed class WorkloadOp(long counter, WorkloadOpKind kind, bool sync, WorkloadEntry[] entries)
{
    /// <summary>The op's place in the global write order; every value it writes starts with this number.</summary>
    public long Counter { get; } = counter;

    public WorkloadOpKind Kind { get; } = kind;

    public bool Sync { get; } = sync;

    public IReadOnlyList<WorkloadEntry> Entries { get; } = entries;

    public bool HasPut => Entries.Any(e => e.Value is not null);

    public override string ToString()
        => $"#{Counter} {Kind}{(Sync ? " sync" : "")}: "
            + string.Join(", ", Entries.Select(e => (e.Value is null ? "del " : "put ") + e.KeyIndex.ToString(CultureInfo.InvariantCulture)));
}

public enum WorkloadOpKind
{
    Put,
    Delete,
    Batch,
}

/// <summary>A put (<see cref="Value"/> set) or a delete (null value) of key number <see cref="KeyIndex"/>.</summary>
public readonly record struct WorkloadEntry(int KeyIndex, byte[]? Value);

/// <summary>
/// A random write workload whose op number <c>c</c> is a pure function of (seed, c), so a process that checks a database
/// after a crash can regenerate exactly what a killed writer did from the counters it acknowledged (the idea of
/// RocksDB's db_stress expected state). Every value starts with "counter:", so the newest op whose effect survived
/// can be read back from the data itself, which is what makes "the unsynced writes that survive form a prefix" checkable.
/// </summary>
public sealed class RandomWorkload(long seed, int keyCount = 400, int maxValueLength = 400, int syncPercent = 15)
{
    public long Seed { get; } = seed;

    public int KeyCount { get; } = keyCount;

    /// <summary>
    /// Options small enough that a few hundred writes fill memtables, flush, compact L0 into L1 and L1 into L2, so crashes
    /// and faults land inside flushes, compactions and WAL switches.
    /// </summary>
    public static LsmOptions SmallOptions(Storage.IFileSystem? fileSystem = null) => new()
    {
        FileSystem = fileSystem ?? Storage.LocalFileSystem.Instance,
        WriteBufferSize = 64 * 1024,
        BlockSize = 512,
        TargetFileSize = 16 * 1024,
        MaxBytesForLevelBase = 64 * 1024,
        Level0CompactionTrigger = 2,
        Level0SlowdownWritesTrigger = 8,
        Level0StopWritesTrigger = 12,
        BlockCacheSize = 256 * 1024,

        // The sweeps' shapes (many tiny tables, a fault at every call) were tuned on uncompressed tables; block
        // compression has its own tests (Table/TableCompressionTests).
        Compression = TableCompression.None,
    };

    public static byte[] Key(int index) => Encoding.ASCII.GetBytes("k" + index.ToString("D5", CultureInfo.InvariantCulture));

    /// <summary>The key number of <paramref name="key"/>, or -1 when it is not a workload key.</summary>
    public static int KeyIndex(ReadOnlySpan<byte> key)
        => key.Length == 6 && key[0] == (byte)'k' && int.TryParse(key[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;

    /// <summary>The counter a workload value starts with, or -1 when the value is not one.</summary>
    public static long CounterOf(ReadOnlySpan<byte> value)
    {
        var colon = value.IndexOf((byte)':');
        return colon > 0 && long.TryParse(value[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : -1;
    }

    public WorkloadOp Op(long counter)
    {
        var random = new Random(Mix(Seed, counter));
        var sync = random.Next(100) < syncPercent;
        var roll = random.Next(100);
        if (roll < 50)
        {
            return new WorkloadOp(counter, WorkloadOpKind.Put, sync, [PutEntry(random, counter, 0)]);
        }

        if (roll < 65)
        {
            return new WorkloadOp(counter, WorkloadOpKind.Delete, sync, [new WorkloadEntry(random.Next(KeyCount), null)]);
        }

        // Batches mix puts and deletes and may touch one key twice (the later entry wins), so a half-applied batch shows.
        var entries = new WorkloadEntry[random.Next(2, 9)];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = random.Next(4) == 0 ? new WorkloadEntry(random.Next(KeyCount), null) : PutEntry(random, counter, i);
        }

        return new WorkloadOp(counter, WorkloadOpKind.Batch, sync, entries);
    }

    /// <summary>Performs <paramref name="op"/> on <paramref name="db"/> through the public API its kind names.</summary>
    public static void Apply(LsmDatabase db, WorkloadOp op)
    {
        var options = op.Sync ? SyncWrite : NoSyncWrite;
        switch (op.Kind)
        {
            case WorkloadOpKind.Put:
                db.Put(Key(op.Entries[0].KeyIndex), op.Entries[0].Value, options);
                break;
            case WorkloadOpKind.Delete:
                db.Delete(Key(op.Entries[0].KeyIndex), options);
                break;
            default:
                var batch = new WriteBatch();
                foreach (var entry in op.Entries)
                {
                    if (entry.Value is null)
                    {
                        batch.Delete(Key(entry.KeyIndex));
                    }
                    else
                    {
                        batch.Put(Key(entry.KeyIndex), entry.Value);
                    }
                }

                db.Write(batch, options);
                break;
        }
    }

    /// <summary>Applies <paramref name="op"/> to a model of the database (key number → value).</summary>
    public static void Apply(Dictionary<int, byte[]> model, WorkloadOp op)
    {
        foreach (var entry in op.Entries)
        {
            if (entry.Value is null)
            {
                model.Remove(entry.KeyIndex);
            }
            else
            {
                model[entry.KeyIndex] = entry.Value;
            }
        }
    }

    /// <summary>
    /// A seed for op <paramref name="counter"/> that is the same in every process (HashCode is randomized per process,
    /// so the parent and the worker would disagree).
    /// </summary>
    public static int Mix(long seed, long counter)
    {
        var x = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)counter * 0xBF58476D1CE4E5B9UL;
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        return (int)(x ^ (x >> 29));
    }

    private static readonly WriteOptions SyncWrite = new() { Sync = true };
    private static readonly WriteOptions NoSyncWrite = new();

    private WorkloadEntry PutEntry(Random random, long counter, int entry)
    {
        var key = random.Next(KeyCount);
        var head = Encoding.ASCII.GetBytes(
            counter.ToString(CultureInfo.InvariantCulture) + ":" + key.ToString(CultureInfo.InvariantCulture) + ":"
            + entry.ToString(CultureInfo.InvariantCulture) + ":");
        var value = new byte[head.Length + random.Next(maxValueLength)];
        head.CopyTo(value, 0);
        for (var i = head.Length; i < value.Length; i++)
        {
            value[i] = (byte)('a' + ((counter + i) % 26));
        }

        return new WorkloadEntry(key, value);
    }
}
