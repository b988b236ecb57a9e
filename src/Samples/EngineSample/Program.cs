using System.Text;
using EFCore.Lsm.Engine;

// Writes, reads back, reopens and scans an engine database in a local folder (default: data/sample).
var path = args.Length > 0 ? args[0] : Path.Combine("data", "sample");
LsmDatabase.Destroy(path);

using (var db = LsmDatabase.Open(path))
{
    var batch = new WriteBatch();
    for (var i = 0; i < 10_000; i++)
    {
        batch.Put(Encoding.UTF8.GetBytes($"order/{i:D6}"), Encoding.UTF8.GetBytes($"{{\"id\":{i},\"total\":{i * 3 % 997}}}"));
    }

    batch.Put("customer/ada"u8, "Ada Lovelace"u8);
    batch.Put("customer/alan"u8, "Alan Turing"u8);
    db.Write(batch, new WriteOptions { Sync = true }); // one atomic, durable WAL record
    db.Delete("order/000000"u8);
    Console.WriteLine($"wrote 10,002 keys, sequence {db.LastSequence}");
    Console.WriteLine($"customer/ada = {Encoding.UTF8.GetString(db.Get("customer/ada"u8)!)}");
    db.Flush(); // memtable -> L0 SSTable
}

using (var db = LsmDatabase.Open(path))
{
    Console.WriteLine($"after reopen: order/000042 = {Encoding.UTF8.GetString(db.Get("order/000042"u8)!)}");
    Console.WriteLine($"order/000000 deleted: {db.Get("order/000000"u8) is null}");

    // A bounded range scan: orders 000100..000104.
    using var iterator = db.NewIterator(new ReadOptions
    {
        LowerBound = "order/000100"u8.ToArray(),
        UpperBound = "order/000105"u8.ToArray(),
    });
    for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
    {
        Console.WriteLine($"  {Encoding.UTF8.GetString(iterator.Key)} -> {Encoding.UTF8.GetString(iterator.Value)}");
    }

    Console.Write(db.GetProperty(LsmDatabase.Properties.Stats));
}
