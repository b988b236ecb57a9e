using System.Globalization;
using System.Text;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.CrashWorker;

// Usage: CrashWorker <db-path> <first-batch-number> <keys-per-batch>
//        CrashWorker random <db-path> <seed> <first-counter>
//        CrashWorker hold <db-path>
// The parent kills this process with SIGKILL at a random moment and checks what survived; see the modes below.
if (args.Length > 0 && args[0] == "random")
{
    RunRandom(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), long.Parse(args[3], CultureInfo.InvariantCulture));
    return;
}

if (args.Length > 0 && args[0] == "hold")
{
    Hold(args[1]);
    return;
}

RunBatches(args[0], long.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));

// Writes batch after batch, each a synced atomic WriteBatch of <keys-per-batch> puts, and prints "ACK <n>" after each
// returns; the parent checks that every acknowledged batch survived whole and no batch is partially visible. Values
// are large enough that memtables fill and get flushed while the process runs, so kills also land in the middle of
// flushes and WAL switches.
static void RunBatches(string path, long next, int keysPerBatch)
{
    using var db = LsmDatabase.Open(path, new LsmOptions { WriteBufferSize = 64 * 1024, BlockSize = 1024 });
    var stdout = Console.Out;
    var sync = new WriteOptions { Sync = true };
    var filler = new string('v', 300);
    stdout.WriteLine("READY");
    stdout.Flush();
    for (; ; next++)
    {
        var batch = new WriteBatch();
        for (var j = 0; j < keysPerBatch; j++)
        {
            batch.Put(Encoding.UTF8.GetBytes($"batch/{next:D10}/{j:D3}"), Encoding.UTF8.GetBytes($"{next}:{j}:{filler}"));
        }

        // Every batch also overwrites one shared key, so recovery must pick the newest version of it.
        batch.Put("latest"u8, Encoding.UTF8.GetBytes(next.ToString(CultureInfo.InvariantCulture)));
        db.Write(batch, sync);
        stdout.WriteLine("ACK " + next.ToString(CultureInfo.InvariantCulture));
        stdout.Flush();
    }
}

// Runs RandomWorkload from <first-counter> on: puts, deletes and batches, synced and not, with an occasional explicit
// flush or full compaction on top of the background ones, and prints "ACK <counter> <1 if synced else 0>" after each
// write returns. The parent regenerates every op from the seed and checks the reopened database against them.
static void RunRandom(string path, long seed, long next)
{
    var workload = new RandomWorkload(seed);
    var random = new Random(RandomWorkload.Mix(seed, ~next));
    using var db = LsmDatabase.Open(path, RandomWorkload.SmallOptions());
    var stdout = Console.Out;
    stdout.WriteLine("READY");
    stdout.Flush();
    for (; ; next++)
    {
        var op = workload.Op(next);
        RandomWorkload.Apply(db, op);
        stdout.WriteLine("ACK " + next.ToString(CultureInfo.InvariantCulture) + (op.Sync ? " 1" : " 0"));
        stdout.Flush();
        var roll = random.Next(1000);
        if (roll < 5)
        {
            db.Flush();
        }
        else if (roll < 7)
        {
            db.CompactRange(null, null);
        }
    }
}

// Opens the database, prints READY and keeps it open until killed: a second process for tests of what another opener
// may and may not do while this one holds the database (the lock must hold even when an operator deletes LOCK).
static void Hold(string path)
{
    using var db = LsmDatabase.Open(path, RandomWorkload.SmallOptions());
    Console.Out.WriteLine("READY");
    Console.Out.Flush();
    Thread.Sleep(Timeout.Infinite);
}
