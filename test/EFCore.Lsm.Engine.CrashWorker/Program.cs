using System.Globalization;
using System.Text;
using EFCore.Lsm.Engine;

// Usage: CrashWorker <db-path> <first-batch-number> <keys-per-batch>
// Writes batch after batch, each a synced atomic WriteBatch of <keys-per-batch> puts, and prints "ACK <n>" after each
// returns. The parent kills this process with SIGKILL at a random moment and checks that every acknowledged batch
// survived whole and no batch is partially visible. Values are large enough that memtables fill and get flushed
// while the process runs, so kills also land in the middle of flushes and WAL switches.
var path = args[0];
var next = long.Parse(args[1], CultureInfo.InvariantCulture);
var keysPerBatch = int.Parse(args[2], CultureInfo.InvariantCulture);

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
