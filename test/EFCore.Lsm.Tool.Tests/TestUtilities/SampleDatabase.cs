using System.Globalization;

namespace EFCore.Lsm.Tool.Tests.TestUtilities;

/// <summary>
/// A database with something in every kind of file: one table holding <see cref="TableKeys"/> puts (100-byte values)
/// and one deletion, and a WAL holding later writes that were never flushed.
/// </summary>
internal static class SampleDatabase
{
    public const int TableKeys = 2000;

    public static string Key(int i) => "user/" + i.ToString("D5", CultureInfo.InvariantCulture);

    public static byte[] Value(int i) => Bytes.Utf8(("value-" + i.ToString(CultureInfo.InvariantCulture)).PadRight(100, '.'));

    public static void Create(TempFolder folder)
    {
        using var db = folder.OpenDatabase();
        for (var i = 0; i < TableKeys; i++)
        {
            db.Put(Bytes.Utf8(Key(i)), Value(i));
        }

        db.Delete(Bytes.Utf8(Key(0)));
        db.Flush();

        // Left in the WAL: closing does not flush the memtable.
        db.Put("wal/only"u8, "in the log"u8);
        db.Delete(Bytes.Utf8(Key(1)));
        var batch = new Engine.WriteBatch();
        batch.Put("wal/batch-1"u8, "b1"u8);
        batch.Put("wal/batch-2"u8, new byte[300]);
        batch.Delete("wal/only"u8);
        db.Write(batch);
    }
}
